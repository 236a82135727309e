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
