"""After a page's pushes: what E-Planning now holds against what E-Program says.

The pagu that differs because a record did not land, the code that replaced a
dropped one, and where every record of the page stands for the planners'
summary (record_state). Pure: the page decisions (app/sync/decisions.py) hand
in E-Planning's current copies and the page's ledger, and add the rows that
come back to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any, Protocol

from app.mismatches.temuan import MismatchRow
from app.models import Outcome
from app.report import OUTCOME_LABELS, rupiah
from app.sync.ledger import Ledger, row_for
from app.sync.reconcile import RemoteEntry, sync_hash
from app.vocabulary import Kategori
from mappings.eplanning import NaturalKey, RenjaSubKegiatan, format_money
from mappings.nomenklatur import TINGKAT_SAKIP, Nomenklatur, siap_per_tingkat

# Outcomes after which E-Planning may hold another pagu than E-Program's.
_NOT_LANDED = frozenset({Outcome.CONFLICT, Outcome.REJECTED, Outcome.DEAD_LETTER})
_LANDED = frozenset({Outcome.CREATED, Outcome.UPDATED, Outcome.UNCHANGED})


class _Names(Protocol):
    """The names E-Program gives a record's OPD, program and kegiatan (a mapped
    record or one that could not be mapped)."""

    @property
    def nama_skpd(self) -> str | None: ...
    @property
    def nama_program(self) -> str | None: ...
    @property
    def nama_kegiatan(self) -> str | None: ...


def eplanning_pagu(current: RemoteEntry | None) -> Decimal | None:
    """E-Planning's pagu for a key; None when it holds none or holds it switched off."""
    if current is None or not current.aktif:
        return None
    return Decimal(str(current.api_body()["pagu"]))


def _eprogram_pagu(record: RenjaSubKegiatan) -> Decimal | None:
    return record.pagu if record.aktif else None


def _money(value: Decimal | None) -> str | None:
    return None if value is None else format_money(value)


def with_successors(
    rows: Iterable[MismatchRow], nomenklatur: Nomenklatur | None
) -> list[MismatchRow]:
    """The rows again, where a code E-Planning does not know names the code that
    replaced it, when the imported nomenclature links one through kode_sebelumnya."""
    return [_with_successor(row, nomenklatur) for row in rows]


def _with_successor(row: MismatchRow, nomenklatur: Nomenklatur | None) -> MismatchRow:
    if row.kategori != Kategori.KODE_TIDAK_DI_NOMENKLATUR or not row.kode_sub_kegiatan:
        return row
    kode = row.kode_sub_kegiatan
    successor = nomenklatur.successor(kode) if nomenklatur else None
    where = nomenklatur.label if nomenklatur else f"tahun {row.tahun_anggaran}"
    keterangan = f"Kode {kode} tidak ada di nomenklatur {where}"
    if successor is not None:
        keterangan += f"; diganti dengan {successor}"
    return replace(row, nilai_eplanning=successor, keterangan=keterangan)


def _contents(page: Ledger) -> dict[str, RenjaSubKegiatan]:
    """Each mapped record of the page by source id: the content meant for E-Planning."""
    contents = {item.source_id: item.record for item in page.sources}
    contents.update(page.replaced)
    return contents


def _outcomes(page: Ledger) -> dict[str, Outcome]:
    return {row.source_id: row.outcome for row in page.outcomes}


def pagu_rows(page: Ledger, remote: Mapping[NaturalKey, RemoteEntry]) -> list[MismatchRow]:
    """A record that did not land (conflict, rejection, dead letter) leaves
    E-Planning with another pagu than E-Program's: one row for the planners."""
    rows = []
    contents = _contents(page)
    for source_id, outcome in _outcomes(page).items():
        record = contents.get(source_id)
        if outcome not in _NOT_LANDED or record is None:
            continue
        ours = _eprogram_pagu(record)
        theirs = eplanning_pagu(remote.get(record.natural_key()))
        if (ours or 0) == (theirs or 0):
            continue
        held = "tidak ada" if theirs is None else rupiah(theirs)
        rows.append(
            row_for(
                record,
                source_id,
                Kategori.PAGU_BERBEDA,
                "pagu",
                nilai_eprogram=_money(ours),
                nilai_eplanning=_money(theirs),
                keterangan=(
                    f"Pagu di E-Program {rupiah(ours or Decimal(0))}, di E-Planning {held}: "
                    f"data belum masuk karena {OUTCOME_LABELS[outcome]}"
                ),
            )
        )
    return rows


def state_rows(
    page: Ledger,
    remote: Mapping[NaturalKey, RemoteEntry],
    *,
    tahun_anggaran: int,
    tahap: str,
    run_id: int,
) -> list[dict[str, Any]]:
    """One record_state row per record of the page (and per copy that went to
    E-Planning in a record's place)."""
    states: list[dict[str, Any]] = []
    outcomes = _outcomes(page)
    base = {"tahun_anggaran": tahun_anggaran, "tahap": tahap, "run_id": run_id}
    for item in page.sources:
        outcome = outcomes.get(item.source_id)
        if outcome is None:
            continue
        replaced_by = page.replaced.get(item.source_id)
        in_scope = outcome != Outcome.DUPLICATE and replaced_by is None
        states.append(
            base
            | _state(
                item.source_id,
                item.record,
                names=item,
                outcome=outcome,
                remote=remote,
                in_scope=in_scope,
            )
        )
        if replaced_by is not None and replaced_by.sumber is not None:
            # The copy whose content went in the record's place is what counts now.
            copy_id = replaced_by.sumber.id
            states.append(
                base
                | _state(
                    copy_id,
                    replaced_by,
                    names=item,
                    outcome=outcome,
                    remote=remote,
                    in_scope=True,
                )
            )
    for lost in page.unmappable:
        key = lost.natural_key
        states.append(
            {
                **base,
                **_where(lost.source_id or "?", lost.kode_skpd, lost, key),
                "nama_sub_kegiatan": lost.nama_sub_kegiatan,
                # It is E-Program's to fix: counted, and not landed.
                "dalam_lingkup": True,
                "tepat": False,
                "siap_sakip": False,
                **{f"siap_{tingkat}": False for tingkat in TINGKAT_SAKIP},
                "pagu_eprogram": lost.pagu if lost.pagu is not None and lost.pagu >= 0 else None,
                "pagu_eplanning": eplanning_pagu(remote.get(key)) if key else None,
                "outcome": Outcome.UNMAPPABLE,
            }
        )
    return states


def _state(
    source_id: str,
    record: RenjaSubKegiatan,
    *,
    names: _Names,
    outcome: Outcome,
    remote: Mapping[NaturalKey, RemoteEntry],
    in_scope: bool,
) -> dict[str, Any]:
    key = record.natural_key()
    current = remote.get(key)
    counted = in_scope and record.aktif
    siap = siap_per_tingkat(record)
    return {
        **_where(source_id, record.kode_skpd, names, key),
        "nama_sub_kegiatan": record.nama_sub_kegiatan,
        "dalam_lingkup": counted,
        "tepat": _landed(outcome, current, record),
        "siap_sakip": all(siap.values()),
        **{f"siap_{tingkat}": ready for tingkat, ready in siap.items()},
        "pagu_eprogram": record.pagu,
        # Only the copy in scope carries E-Planning's pagu, so a key is counted
        # once however many copies E-Program holds.
        "pagu_eplanning": eplanning_pagu(current) if counted else None,
        "outcome": outcome,
    }


def _landed(outcome: Outcome, current: RemoteEntry | None, record: RenjaSubKegiatan) -> bool:
    """E-Planning holds exactly this content after the push."""
    return outcome in _LANDED and current is not None and current.sync_hash == sync_hash(record)


def _where(
    source_id: str, kode_skpd: str | None, names: _Names, key: NaturalKey | None
) -> dict[str, Any]:
    kode = key.kode_sub_kegiatan if key else None
    segments = kode.split(".") if kode else []
    return {
        "source_id": source_id,
        "kode_skpd": kode_skpd,
        "nama_skpd": names.nama_skpd,
        "kode_sub_skpd": key.kode_sub_skpd if key else None,
        "kode_program": ".".join(segments[:3]) or None,
        "nama_program": names.nama_program,
        "kode_kegiatan": ".".join(segments[:5]) or None,
        "nama_kegiatan": names.nama_kegiatan,
        "kode_sub_kegiatan": kode,
    }


def only_in_eplanning(
    remote: Mapping[NaturalKey, RemoteEntry], in_eprogram: Iterable[NaturalKey]
) -> list[MismatchRow]:
    """Keys active in E-Planning that no active E-Program record speaks for (a
    full run has seen every record of its scope, so absence means absence)."""
    known = set(in_eprogram)
    rows = []
    for key, current in remote.items():
        if not current.aktif or key in known:
            continue
        body = current.api_body()
        who = current.diperbarui_oleh
        rows.append(
            MismatchRow(
                tahun_anggaran=key.tahun_anggaran,
                tahap=key.tahap,
                source_id=None,
                kategori=Kategori.HANYA_DI_EPLANNING,
                field=None,
                nilai_eprogram=None,
                nilai_eplanning=f"aktif, pagu {rupiah(eplanning_pagu(current) or Decimal(0))}",
                keterangan=(
                    f"Sub kegiatan {key.kode_sub_kegiatan} aktif di E-Planning (terakhir diubah "
                    f"oleh {who}), tetapi tidak ada atau tidak aktif di E-Program"
                ),
                kode_skpd=str(body.get("kode_skpd") or "") or None,
                kode_sub_skpd=key.kode_sub_skpd,
                kode_sub_kegiatan=key.kode_sub_kegiatan,
                nama_sub_kegiatan=str(body.get("nama_sub_kegiatan") or "") or None,
            )
        )
    return rows
