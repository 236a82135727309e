"""Deciding on mismatches, one or many: the one way the API and the pages do it.

Find them within the caller's OPDs, decide as :mod:`app.mismatches.siklus`
says, keep each change in the mismatch's history and the decision in the audit
log, all in the caller's transaction. Committing is the caller's: an answer
must not leave before the decision is durable, and only the entry point knows
when its answer leaves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from app.access import audit
from app.access.keys import Principal
from app.mismatches import daftar, riwayat, siklus
from app.mismatches.daftar import MismatchFilter
from app.mismatches.siklus import DecisionRefused, Keputusan, Perpindahan
from app.models import Mismatch, utcnow


@dataclass(frozen=True)
class Pemutus:
    """Who decides, on which OPDs, and what the audit log keeps of how."""

    principal: Principal
    opd: frozenset[str] | None  # the caller's OPDs (None: all)
    client: str | None
    status_code: int  # the answer the caller gets: the API's 200, a page's 303
    jejak: Mapping[str, object] = field(default_factory=dict)  # more for the audit row


class TidakAda(LookupError):
    """Mismatches asked for that do not exist, or lie outside the caller's OPDs."""

    def __init__(self, ids: Sequence[int]) -> None:
        self.ids = sorted(ids)
        super().__init__(f"mismatch tidak ada: {', '.join(map(str, self.ids))}")


class TerlaluBanyak(ValueError):
    """A filter that picks more mismatches than one decision may take."""

    def __init__(self, cocok: int, batas: int) -> None:
        self.cocok, self.batas = cocok, batas
        super().__init__(f"filter cocok dengan {cocok} mismatch; paling banyak {batas}")


@dataclass(frozen=True)
class Hasil:
    """A decision on many: how many were picked and moved, the rest by status."""

    cocok: int
    diubah: int
    dilewati: dict[str, int]


def decide_one(
    session: Session,
    mismatch_id: int,
    keputusan: Keputusan,
    catatan: str | None,
    *,
    pemutus: Pemutus,
) -> Mismatch:
    """One decision on one mismatch; DecisionRefused says why it does not apply."""
    mismatch = daftar.get(session, mismatch_id, opd=pemutus.opd)
    if mismatch is None:
        raise TidakAda([mismatch_id])
    dari = mismatch.status
    change = siklus.decide(dari, keputusan, catatan)
    if change is None:
        raise DecisionRefused(f"mismatch {mismatch.id} {siklus.refusal(keputusan, dari)}")
    riwayat.move(
        session,
        [(mismatch, change)],
        oleh=pemutus.principal.name,
        oleh_email=pemutus.principal.email,
        at=utcnow(),
    )
    _audit(
        session,
        pemutus,
        action=f"mismatch.{keputusan.value}",
        target=f"mismatch {mismatch_id}",
        detail={"dari": dari, "ke": mismatch.status, "catatan": mismatch.catatan},
    )
    return mismatch


def decide_many(
    session: Session,
    pilihan: Sequence[int] | MismatchFilter,
    keputusan: Keputusan,
    catatan: str | None,
    *,
    pemutus: Pemutus,
    batas: int,
) -> Hasil:
    """One decision on the mismatches ``pilihan`` names (ids, or a filter that
    picks at most ``batas``); those whose status it does not apply to are
    skipped and counted by status."""
    kept = siklus.note(keputusan, catatan)
    rows = _chosen(session, pilihan, pemutus.opd, batas)
    changes: list[tuple[Mismatch, Perpindahan]] = []
    dilewati: dict[str, int] = {}
    for mismatch in rows:
        change = siklus.decide(mismatch.status, keputusan, kept)
        if change is None:
            dilewati[mismatch.status] = dilewati.get(mismatch.status, 0) + 1
        else:
            changes.append((mismatch, change))
    riwayat.move(
        session,
        changes,
        oleh=pemutus.principal.name,
        oleh_email=pemutus.principal.email,
        at=utcnow(),
    )
    hasil = Hasil(cocok=len(rows), diubah=len(changes), dilewati=dilewati)
    _audit(
        session,
        pemutus,
        action="mismatch.keputusan_massal",
        target=f"{len(rows)} mismatch",
        detail={
            "keputusan": keputusan.value,
            "diubah": hasil.diubah,
            "dilewati": sum(dilewati.values()),
            "catatan": catatan,
        },
    )
    return hasil


def _chosen(
    session: Session,
    pilihan: Sequence[int] | MismatchFilter,
    opd: frozenset[str] | None,
    batas: int,
) -> list[Mismatch]:
    """The mismatches named, all within ``opd``: every id must be there, and a
    filter may pick at most ``batas``."""
    if isinstance(pilihan, MismatchFilter):
        matched = daftar.count(session, pilihan)
        if matched > batas:
            raise TerlaluBanyak(matched, batas)
        ids = daftar.ids_matching(session, pilihan, limit=batas)
        return list(daftar.by_ids(session, ids, opd=opd).values())
    found = daftar.by_ids(session, pilihan, opd=opd)
    missing = set(pilihan) - set(found)
    if missing:
        raise TidakAda(sorted(missing))
    return list(found.values())


def _audit(
    session: Session, pemutus: Pemutus, *, action: str, target: str, detail: dict[str, object]
) -> None:
    audit.record(
        session,
        principal=pemutus.principal,
        action=action,
        target=target,
        status_code=pemutus.status_code,
        client=pemutus.client,
        detail=detail | dict(pemutus.jejak),
    )
