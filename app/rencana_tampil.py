"""A run's plan as people read it, for the API, the pages and the file alike:
the table OPD × aksi, the labels of the actions, and until when it may be
approved (docs/design.md, "Preview, approval and the guard")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from app.models import PlanStatus, SyncRun
from app.runs import persetujuan
from app.sync.reconcile import Action

# The actions in the order the table shows them, with their words.
LABEL_AKSI: dict[str, str] = {
    Action.CREATE: "buat",
    Action.UPDATE: "ubah",
    Action.DEACTIVATE: "nonaktifkan",
    Action.UNCHANGED: "tetap",
    Action.CONFLICT: "konflik",
}


@dataclass(frozen=True)
class JumlahOpd:
    """One OPD's rows of a plan per action, and why the guard held it (if it did)."""

    kode_skpd: str
    per_aksi: dict[str, int]
    alasan_ditahan: str | None = None

    @property
    def jumlah(self) -> int:
        return sum(self.per_aksi.values())


def per_opd(
    counts: dict[tuple[str, str, str], int], held: dict[str, str], opd: frozenset[str] | None
) -> list[JumlahOpd]:
    """app.repositories.rencana.counts as a table per OPD: rows a later decision
    replaced left out, and only the OPDs in ``opd`` (None: every OPD)."""
    table: dict[str, dict[str, int]] = {}
    for (kode, aksi, status), n in counts.items():
        if status == PlanStatus.DIGANTIKAN or (opd is not None and kode not in opd):
            continue
        table.setdefault(kode, {})
        table[kode][aksi] = table[kode].get(aksi, 0) + n
    return [
        JumlahOpd(kode_skpd=k, per_aksi=v, alasan_ditahan=held.get(k))
        for k, v in sorted(table.items())
    ]


def jumlah_semua(rows: list[JumlahOpd]) -> dict[str, int]:
    """The table's last line: every OPD's rows per action."""
    total: dict[str, int] = {}
    for row in rows:
        for aksi, n in row.per_aksi.items():
            total[aksi] = total.get(aksi, 0) + n
    return total


def berlaku_sampai(run: SyncRun, jam: float) -> datetime | None:
    """Until when a waiting plan may be approved (SINKRON_PRATINJAU_BERLAKU_JAM);
    None for a run whose plan does not wait."""
    if not persetujuan.waits(run) or run.finished_at is None:
        return None
    return run.finished_at + timedelta(hours=jam)
