"""E-Planning's copies as last read or written (table eplanning_mirror).

What a run must know of E-Planning across pages lives here, not in memory: a
page looks up its own keys, a push writes back what E-Planning answered, and a
full run's read refreshes it and forgets what E-Planning no longer holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Table, bindparam, delete, func, or_, select, update
from sqlalchemy.orm import Session

from app.models import (
    EPlanningMirror,
    EPlanningMirrorScope,
    Outcome,
    RecordOutcome,
    SourceRecord,
    utcnow,
)
from app.repositories.natural_keys import rows_for_keys
from app.repositories.upsert import upsert
from app.sync.reconcile import RemoteEntry
from mappings.eplanning import NaturalKey

_KEY = ("tahun_anggaran", "tahap", "kode_sub_skpd", "kode_sub_kegiatan")
_CONTENT = (
    "kode_skpd",
    "versi",
    "diperbarui_oleh",
    "aktif",
    "sync_hash",
    "sumber_id",
    "sumber_diperbarui_pada",
    "body",
)


def _row(key: NaturalKey, entry: RemoteEntry, run_id: int) -> dict[str, object]:
    return {
        "tahun_anggaran": key.tahun_anggaran,
        "tahap": key.tahap,
        "kode_sub_skpd": key.kode_sub_skpd,
        "kode_sub_kegiatan": key.kode_sub_kegiatan,
        "kode_skpd": entry.kode_skpd,
        "versi": entry.versi,
        "diperbarui_oleh": entry.diperbarui_oleh,
        "aktif": entry.aktif,
        "sync_hash": entry.sync_hash,
        "sumber_id": entry.sumber_id,
        "sumber_diperbarui_pada": entry.sumber_diperbarui_pada,
        "body": entry.raw,
        "read_run_id": run_id,
    }


def _entry(row: Any) -> RemoteEntry:
    """A mirror row (ORM object or plain row) as a RemoteEntry."""
    return RemoteEntry(
        versi=row.versi,
        diperbarui_oleh=row.diperbarui_oleh,
        aktif=row.aktif,
        sync_hash=row.sync_hash,
        sumber_id=row.sumber_id,
        sumber_diperbarui_pada=row.sumber_diperbarui_pada,
        raw=row.body,
        kode_skpd=row.kode_skpd,
    )


def save_read(session: Session, entries: Mapping[NaturalKey, RemoteEntry], *, run_id: int) -> None:
    """One page of a read of E-Planning: stored and marked as seen by this run."""
    rows = [_row(key, entry, run_id) for key, entry in entries.items()]
    upsert(session, EPlanningMirror, rows, keys=_KEY, update=(*_CONTENT, "read_run_id"))


def mark_read(session: Session, keys: Iterable[NaturalKey], *, run_id: int) -> None:
    """Copies a read found exactly as the mirror holds them: only seen by this run."""
    params = [
        {
            "b_y": k.tahun_anggaran,
            "b_p": k.tahap,
            "b_s": k.kode_sub_skpd,
            "b_k": k.kode_sub_kegiatan,
        }
        for k in keys
    ]
    if not params:
        return
    table = EPlanningMirror.__table__
    assert isinstance(table, Table)
    stmt = (
        update(table)
        .where(
            table.c.tahun_anggaran == bindparam("b_y"),
            table.c.tahap == bindparam("b_p"),
            table.c.kode_sub_skpd == bindparam("b_s"),
            table.c.kode_sub_kegiatan == bindparam("b_k"),
        )
        .values(read_run_id=run_id)
    )
    session.execute(stmt, params)


def save_written(
    session: Session, entries: Mapping[NaturalKey, RemoteEntry], *, run_id: int
) -> None:
    """E-Planning's copies as it answered a push: the mirror stays current."""
    rows = [_row(key, entry, run_id) for key, entry in entries.items()]
    upsert(session, EPlanningMirror, rows, keys=_KEY, update=_CONTENT)


def load(session: Session, keys: Iterable[NaturalKey]) -> dict[NaturalKey, RemoteEntry]:
    return {
        NaturalKey.of(row): _entry(row) for row in rows_for_keys(session, EPlanningMirror, keys)
    }


def _of_scope(
    tahun_anggaran: int, tahap: str, kode_skpd: tuple[str, ...]
) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [
        EPlanningMirror.tahun_anggaran == tahun_anggaran,
        EPlanningMirror.tahap == tahap,
    ]
    if kode_skpd:
        where.append(EPlanningMirror.kode_skpd.in_(kode_skpd))
    return where


def count(session: Session, *, tahun_anggaran: int, tahap: str, kode_skpd: tuple[str, ...]) -> int:
    """The copies the mirror holds of a scope (of these OPDs; none: all)."""
    stmt = select(func.count()).select_from(EPlanningMirror)
    return session.execute(stmt.where(*_of_scope(tahun_anggaran, tahap, kode_skpd))).scalar_one()


def forget_unread(
    session: Session, *, tahun_anggaran: int, tahap: str, kode_skpd: tuple[str, ...], run_id: int
) -> None:
    """After a complete read that marked every copy it saw: what E-Planning no
    longer holds leaves the mirror."""
    unread = or_(EPlanningMirror.read_run_id.is_(None), EPlanningMirror.read_run_id != run_id)
    session.execute(
        delete(EPlanningMirror).where(*_of_scope(tahun_anggaran, tahap, kode_skpd), unread)
    )
    record_read(session, tahun_anggaran=tahun_anggaran, tahap=tahap, kode_skpd=kode_skpd,
                run_id=run_id)  # fmt: skip


def record_read(
    session: Session, *, tahun_anggaran: int, tahap: str, kode_skpd: tuple[str, ...], run_id: int
) -> None:
    """A complete read of the whole tahun/tahap (not of some OPDs) filled the mirror."""
    if not kode_skpd:
        upsert(
            session,
            EPlanningMirrorScope,
            [_scope_row(tahun_anggaran, tahap, run_id)],
            keys=("tahun_anggaran", "tahap"),
            update=("read_run_id", "read_at"),
        )


def _scope_row(tahun_anggaran: int, tahap: str, run_id: int) -> dict[str, object]:
    return {
        "tahun_anggaran": tahun_anggaran,
        "tahap": tahap,
        "read_run_id": run_id,
        "read_at": utcnow(),
    }


def is_filled(session: Session, *, tahun_anggaran: int, tahap: str) -> bool:
    """Whether a complete read of this tahun/tahap ever filled the mirror."""
    return session.get(EPlanningMirrorScope, (tahun_anggaran, tahap)) is not None


def not_in_eprogram(
    session: Session,
    *,
    tahun_anggaran: int,
    tahap: str,
    run_ids: Sequence[int],
    chunk: int = 1000,
) -> Iterator[dict[NaturalKey, RemoteEntry]]:
    """Active copies no E-Program record spoke for in this full pass, a chunk at a time.

    A key is spoken for by an active source record (source_record, by its key
    index) the pass saw (its outcome in one of the pass's runs: a record kept
    as it is is not written again, so its row does not say which run saw it),
    or by a record the pass could not map but whose key it could read
    (record_outcome): an anti-join, so nothing of the run is kept in memory.
    ``run_ids`` are the runs of the pass (one, unless it was continued after a crash).
    """
    m = EPlanningMirror
    seen_in_pass = (
        select(RecordOutcome.id)
        .where(RecordOutcome.run_id.in_(run_ids), RecordOutcome.source_id == SourceRecord.source_id)
        .exists()
    )
    active_source = (
        select(SourceRecord.source_id)
        .where(
            SourceRecord.tahun_anggaran == m.tahun_anggaran,
            SourceRecord.tahap == m.tahap,
            SourceRecord.kode_sub_skpd == m.kode_sub_skpd,
            SourceRecord.kode_sub_kegiatan == m.kode_sub_kegiatan,
            SourceRecord.aktif.is_(True),
            seen_in_pass,
        )
        .exists()
    )
    unmapped = (
        select(RecordOutcome.id)
        .where(
            RecordOutcome.run_id.in_(run_ids),
            RecordOutcome.outcome == Outcome.UNMAPPABLE,
            RecordOutcome.kode_sub_skpd == m.kode_sub_skpd,
            RecordOutcome.kode_sub_kegiatan == m.kode_sub_kegiatan,
        )
        .exists()
    )
    stmt = (
        select(*m.__table__.columns)
        .where(*_of_scope(tahun_anggaran, tahap, ()), m.aktif.is_(True), ~active_source, ~unmapped)
        .order_by(m.kode_sub_skpd, m.kode_sub_kegiatan)
        .execution_options(yield_per=chunk)
    )
    found: dict[NaturalKey, RemoteEntry] = {}
    for row in session.execute(stmt):
        found[NaturalKey.of(row)] = _entry(row)
        if len(found) >= chunk:
            yield found
            found = {}
    if found:
        yield found


def active_per_opd(session: Session, *, tahun_anggaran: int, tahap: str) -> dict[str, int]:
    """kode_skpd → records E-Planning holds active for it: what the guard's
    shares are of (app/sync/guard.py)."""
    rows = session.execute(
        select(EPlanningMirror.kode_skpd, func.count())
        .where(
            EPlanningMirror.tahun_anggaran == tahun_anggaran,
            EPlanningMirror.tahap == tahap,
            EPlanningMirror.aktif.is_(True),
            EPlanningMirror.kode_skpd.is_not(None),
        )
        .group_by(EPlanningMirror.kode_skpd)
    )
    return {kode: n for kode, n in rows if kode is not None}
