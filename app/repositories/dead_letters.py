"""Pushes that outlived their retries, kept for a replay."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import DeadLetter


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
