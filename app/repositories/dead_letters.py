"""Pushes that outlived their retries, kept for a replay."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import func, select, tuple_, update
from sqlalchemy.orm import Session

from app.models import DeadLetter, DeadLetterStatus, utcnow
from app.repositories.upsert import affected
from mappings.eplanning import NaturalKey


def add(session: Session, letter: DeadLetter) -> None:
    session.add(letter)
    session.flush()


def open_letters(session: Session, *, limit: int = 100) -> Sequence[DeadLetter]:
    return session.scalars(
        select(DeadLetter)
        .where(DeadLetter.status == DeadLetterStatus.OPEN)
        .order_by(DeadLetter.id)
        .limit(limit)
    ).all()


def page(
    session: Session, *, status: DeadLetterStatus | None, after_id: int | None, limit: int
) -> Sequence[DeadLetter]:
    """Oldest first, ``limit`` rows after ``after_id``."""
    stmt = select(DeadLetter).order_by(DeadLetter.id).limit(limit)
    if after_id is not None:
        stmt = stmt.where(DeadLetter.id > after_id)
    if status:
        stmt = stmt.where(DeadLetter.status == status)
    return session.scalars(stmt).all()


def get(session: Session, letter_id: int) -> DeadLetter | None:
    return session.get(DeadLetter, letter_id)


def supersede(
    session: Session,
    keys: Iterable[NaturalKey],
    *,
    run_id: int,
    status: DeadLetterStatus = DeadLetterStatus.SUPERSEDED,
) -> int:
    """Close open letters of earlier runs for keys this run settled for good
    (written, rejected, unchanged, a conflict...): replaying them would put old
    content over newer content (or over a planner's edit), or ask again what
    E-Planning already answered."""
    wanted = [tuple(k) for k in keys]
    if not wanted or not _any_open_before(session, run_id):
        # The usual page: no letter is open, and the keys' statement (200 a
        # statement, built for every page) would find none.
        return 0
    closed = 0
    cols = (
        DeadLetter.tahun_anggaran,
        DeadLetter.tahap,
        DeadLetter.kode_sub_skpd,
        DeadLetter.kode_sub_kegiatan,
    )
    for start in range(0, len(wanted), 200):
        result = session.execute(
            update(DeadLetter)
            .where(
                DeadLetter.status == DeadLetterStatus.OPEN,
                DeadLetter.run_id < run_id,
                tuple_(*cols).in_(wanted[start : start + 200]),
            )
            .values(status=status, resolved_at=utcnow())
        )
        closed += affected(result)
    return closed


def _any_open_before(session: Session, run_id: int) -> bool:
    """An open letter of an earlier run (the status index answers it)."""
    found = session.scalar(
        select(DeadLetter.id)
        .where(DeadLetter.status == DeadLetterStatus.OPEN, DeadLetter.run_id < run_id)
        .limit(1)
    )
    return found is not None


def open_of_scope(
    session: Session, *, tahun_anggaran: int, tahap: str, before_run: int, after_id: int, limit: int
) -> Sequence[DeadLetter]:
    """Open letters of one tahun/tahap left by earlier runs, oldest first."""
    return session.scalars(
        select(DeadLetter)
        .where(
            DeadLetter.status == DeadLetterStatus.OPEN,
            DeadLetter.tahun_anggaran == tahun_anggaran,
            DeadLetter.tahap == tahap,
            DeadLetter.run_id < before_run,
            DeadLetter.id > after_id,
        )
        .order_by(DeadLetter.id)
        .limit(limit)
    ).all()


def count_open(session: Session) -> dict[tuple[int, str], int]:
    """Open letters per (tahun_anggaran, tahap)."""
    rows = session.execute(
        select(DeadLetter.tahun_anggaran, DeadLetter.tahap, func.count())
        .where(DeadLetter.status == DeadLetterStatus.OPEN)
        .group_by(DeadLetter.tahun_anggaran, DeadLetter.tahap)
    )
    return {(tahun, tahap): count for tahun, tahap, count in rows}
