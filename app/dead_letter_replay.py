"""Replaying dead letters on an admin's request: the use case behind
``POST /api/v1/dead-letters/retry`` and ``/{id}/retry``.

Read the letters, send them, record what E-Planning said: each step in its own
short transaction, none open while E-Planning is called, and the whole replay
holding the run lease like any run, so it never races a run. The letters' own
rules (operation, answer → status) are app.sync.replay's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.db import session_scope
from app.models import DeadLetter, DeadLetterStatus, utcnow
from app.repositories import dead_letters
from app.runs import lease
from app.sync import contacts, replay

# Letters one request replays (one E-Planning batch).
BATCH = 200


class LetterMissing(Exception):
    """No dead letter has this id."""


class LetterClosed(Exception):
    """The letter is no longer open: it was resolved or rejected."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


class RunBusy(Exception):
    """A run holds the lease: replay after it ends."""


class LeaseTaken(Exception):
    """Another process took the lease while the letters were being sent."""


@dataclass(frozen=True)
class Replayed:
    """The letters sent and recorded, each with its status after the replay."""

    letters: Sequence[DeadLetter]

    def count(self, status: DeadLetterStatus) -> int:
        return sum(1 for letter in self.letters if letter.status == status)


def replay_open(settings: Settings, sessions: sessionmaker[Session]) -> tuple[int, Replayed]:
    """The oldest open letters (up to :data:`BATCH`), sent again; returns how
    many were asked for and what became of them."""
    with session_scope(sessions) as session:
        letters = list(dead_letters.open_letters(session, limit=BATCH))
    return len(letters), _replay(settings, sessions, letters)


def replay_one(settings: Settings, sessions: sessionmaker[Session], letter_id: int) -> Replayed:
    """One open letter sent again; :class:`LetterMissing` or :class:`LetterClosed` otherwise."""
    with session_scope(sessions) as session:
        letter = dead_letters.get(session, letter_id)
        if letter is None:
            raise LetterMissing(letter_id)
        if letter.status != DeadLetterStatus.OPEN:
            raise LetterClosed(letter.status)
    return _replay(settings, sessions, [letter])


def _replay(
    settings: Settings, sessions: sessionmaker[Session], letters: list[DeadLetter]
) -> Replayed:
    """Send, then record, under the run lease."""
    holder, ttl = lease.holder_id(), timedelta(seconds=settings.lease_ttl_seconds)
    with session_scope(sessions) as session:
        token = lease.acquire(session, holder=holder, ttl=ttl, now=utcnow())
    if token is None:
        raise RunBusy
    try:
        results = asyncio.run(replay.send(settings, letters)) if letters else []
        if results:
            failure = next((r.error for r in results if r.result is None and r.error), None)
            contacts.note(sessions, "eplanning", ok=failure is None, detail=failure)
        with session_scope(sessions) as session:
            lease.renew(session, token=token, ttl=ttl, now=utcnow())
            recorded = replay.apply(session, letters, results)
    except lease.LeaseLost:
        raise LeaseTaken from None
    finally:
        with session_scope(sessions) as session:
            lease.release(session, token=token)
    return Replayed(recorded)
