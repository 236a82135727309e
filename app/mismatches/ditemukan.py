"""What a run writes: the problems it found, and the end of those it no longer
finds. Called from app.sync within a page's (or the run's end's) transaction;
what each finding does to a mismatch's status is :mod:`app.mismatches.siklus`'s.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any, cast

from sqlalchemy import Row, Table, bindparam, insert, or_, select, update
from sqlalchemy.orm import Session

from app.mismatches import riwayat, sebab, siklus
from app.mismatches.temuan import MismatchRow
from app.models import Mismatch, utcnow

_CHUNK = 500

# What a finding refreshes on the row each time it is found.
_VALUES = (
    "kode_skpd",
    "kode_sub_skpd",
    "kode_sub_kegiatan",
    "nama_sub_kegiatan",
    "nilai_eprogram",
    "nilai_eplanning",
    "keterangan",
)


def record(session: Session, run_id: int, rows: Iterable[MismatchRow]) -> None:
    """Store the problems a run found: refresh the known ones, open new ones,
    and move the known ones as :func:`siklus.found_again` says."""
    latest = {(r.tahun_anggaran, r.tahap, r.identitas): r for r in rows}
    if not latest:
        return
    now = utcnow()
    existing = _by_identity(session, latest)
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for ident, row in latest.items():
        values = {name: getattr(row, name) for name in _VALUES}
        found = existing.get(ident)
        if found is None:
            new.append(_new(row, ident[2], values, run_id=run_id, now=now))
            continue
        status = found.status
        change = siklus.found_again(
            status,
            (found.nilai_eprogram, found.nilai_eplanning),
            (row.nilai_eprogram, row.nilai_eplanning),
            run_id=run_id,
        )
        ditanggapi, selesai = found.ditanggapi_pada, found.selesai_pada
        if change is not None:
            events.append(riwayat.event(found.id, change, at=now, run_id=run_id))
            status = change.ke
            # Opened again by a run: a new wait for an answer begins.
            ditanggapi = selesai = None
        changed.append(
            {"b_id": found.id, "b_status": status, "b_run": run_id, "b_at": now}
            | {"b_ditanggapi": ditanggapi, "b_selesai": selesai}
            | {f"b_{name}": value for name, value in values.items()}
        )
    if new:
        session.execute(insert(Mismatch), new)
    if changed:
        _refresh(session, changed)
    riwayat.keep(session, events)
    _link_causes(session, latest, existing if not new else _by_identity(session, latest))


def _rekaman(row: MismatchRow) -> str:
    return row.source_id or f"epl:{row.kode_sub_skpd or ''}/{row.kode_sub_kegiatan or ''}"


def _link_causes(
    session: Session,
    latest: dict[tuple[int, str, str], MismatchRow],
    stored: dict[tuple[int, str, str], Row[Any]],
) -> None:
    """Link what the page found to its cause, as :func:`sebab.penyebab` says
    (and unlink what no longer follows from anything found now)."""
    by_scope: dict[tuple[int, str], list[sebab.Calon]] = {}
    for (tahun, tahap, ident), row in latest.items():
        found = stored[(tahun, tahap, ident)]
        by_scope.setdefault((tahun, tahap), []).append(
            sebab.Calon(found.id, _rekaman(row), row.kategori, row.field)
        )
    was = {found.id: found.penyebab_id for found in stored.values()}
    changed = [
        {"b_id": mismatch_id, "b_penyebab": cause}
        for calon in by_scope.values()
        for mismatch_id, cause in sebab.penyebab(calon).items()
        if was.get(mismatch_id) != cause
    ]
    if changed:
        table = Mismatch.__table__
        assert isinstance(table, Table)
        session.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(penyebab_id=bindparam("b_penyebab")),
            changed,
        )


def _new(
    row: MismatchRow, ident: str, values: dict[str, Any], *, run_id: int, now: Any
) -> dict[str, Any]:
    return {
        **values,
        "tahun_anggaran": row.tahun_anggaran,
        "tahap": row.tahap,
        "identitas": ident,
        "source_id": row.source_id,
        "kategori": row.kategori,
        "field": row.field,
        "status": siklus.AWAL,
        "first_run_id": run_id,
        "first_seen_at": now,
        "last_run_id": run_id,
        "last_seen_at": now,
    }


def _refresh(session: Session, changed: list[dict[str, Any]]) -> None:
    # One statement for the page's known problems, executed for each row.
    table = Mismatch.__table__
    assert isinstance(table, Table)
    session.execute(
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(
            status=bindparam("b_status"),
            last_run_id=bindparam("b_run"),
            last_seen_at=bindparam("b_at"),
            ditanggapi_pada=bindparam("b_ditanggapi"),
            selesai_pada=bindparam("b_selesai"),
            **{name: bindparam(f"b_{name}") for name in _VALUES},
        ),
        changed,
    )


def _by_identity(
    session: Session, rows: dict[tuple[int, str, str], MismatchRow]
) -> dict[tuple[int, str, str], Row[Any]]:
    """The stored problems with these identities, as plain rows."""
    found: dict[tuple[int, str, str], Row[Any]] = {}
    columns = (
        Mismatch.id,
        Mismatch.identitas,
        Mismatch.status,
        Mismatch.nilai_eprogram,
        Mismatch.nilai_eplanning,
        Mismatch.ditanggapi_pada,
        Mismatch.selesai_pada,
        Mismatch.penyebab_id,
    )
    for tahun, tahap in {(t, p) for t, p, _ in rows}:
        names = sorted(i for t, p, i in rows if (t, p) == (tahun, tahap))
        for start in range(0, len(names), _CHUNK):
            for mismatch in session.execute(
                select(*columns).where(
                    Mismatch.tahun_anggaran == tahun,
                    Mismatch.tahap == tahap,
                    Mismatch.identitas.in_(names[start : start + _CHUNK]),
                )
            ):
                found[(tahun, tahap, mismatch.identitas)] = cast("Row[Any]", mismatch)
    return found


def resolve_for_sources(
    session: Session,
    *,
    tahun_anggaran: int,
    tahap: str,
    source_ids: Iterable[str],
    run_id: int,
    found: Collection[str] | None = None,
) -> None:
    """The records a run went through lose the problems it did not find again
    (call after :func:`record` for the same page).

    Without ``found``, "found again" means "seen earlier in this run". With it
    (the identities the page found), a record the feed sends twice in one run
    keeps only what its latest copy has.
    """
    ids = sorted(set(source_ids))
    for start in range(0, len(ids), _CHUNK):
        _resolve(
            session,
            run_id,
            Mismatch.tahun_anggaran == tahun_anggaran,
            Mismatch.tahap == tahap,
            Mismatch.source_id.in_(ids[start : start + _CHUNK]),
            found=found,
        )


def resolve_unseen(
    session: Session,
    *,
    tahun_anggaran: int,
    tahap: str,
    kategori: str,
    run_id: int,
    kode_skpd: Sequence[str] = (),
) -> None:
    """Problems of ``kategori`` that a run looking at everything of its scope
    (a full run) did not find again are gone."""
    conditions = [
        Mismatch.tahun_anggaran == tahun_anggaran,
        Mismatch.tahap == tahap,
        Mismatch.kategori == kategori,
    ]
    if kode_skpd:
        conditions.append(Mismatch.kode_skpd.in_(list(kode_skpd)))
    _resolve(session, run_id, *conditions)


def _resolve(
    session: Session, run_id: int, *conditions: Any, found: Collection[str] | None = None
) -> None:
    if found is None:
        conditions += (or_(Mismatch.last_run_id.is_(None), Mismatch.last_run_id != run_id),)
    gone = [
        m
        for m in session.execute(
            select(Mismatch.id, Mismatch.status, Mismatch.identitas).where(
                *conditions, Mismatch.status.in_(sorted(siklus.MASIH_ADA))
            )
        )
        if found is None or m.identitas not in found
    ]
    changes = [(m.id, siklus.not_found(m.status, run_id=run_id)) for m in gone]
    settled = [(mismatch_id, change) for mismatch_id, change in changes if change is not None]
    if not settled:
        return
    now = utcnow()
    for ke in sorted({change.ke for _, change in settled}):
        session.execute(
            update(Mismatch)
            .where(Mismatch.id.in_([i for i, change in settled if change.ke == ke]))
            .values(status=ke, last_run_id=run_id, last_seen_at=now, selesai_pada=now)
            .execution_options(synchronize_session=False)
        )
    riwayat.keep(
        session,
        [
            riwayat.event(mismatch_id, change, at=now, run_id=run_id)
            for mismatch_id, change in settled
        ],
    )
