"""Pushes that outlived their retries, kept for a replay."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select, tuple_, update
from sqlalchemy.orm import Session

from app.models import DeadLetter, utcnow
from app.repositories.upsert import affected
from mappings.eplanning import NaturalKey


def add(session: Session, letter: DeadLetter) -> None:
    session.add(letter)
    session.flush()


def open_letters(session: Session, *, limit: int = 100) -> Sequence[DeadLetter]:
    return session.scalars(
        select(DeadLetter).where(DeadLetter.status == "open").order_by(DeadLetter.id).limit(limit)
    ).all()


def page(
    session: Session, *, status: str | None, after_id: int | None, limit: int
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


def supersede(session: Session, keys: Iterable[NaturalKey], *, run_id: int) -> int:
    """Close open letters of earlier runs for keys this run has written: replaying
    them would put old content over newer content (or over a planner's edit)."""
    wanted = [tuple(k) for k in keys]
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
                DeadLetter.status == "open",
                DeadLetter.run_id < run_id,
                tuple_(*cols).in_(wanted[start : start + 200]),
            )
            .values(status="superseded", resolved_at=utcnow())
        )
        closed += affected(result)
    return closed
