"""Whether E-Program and E-Planning answered at their last contact.

Kept in the database, not in the process, so every replica's /status says the
same thing, whichever replica made the call.
"""

from __future__ import annotations

import logging
import time
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from app.db import session_scope
from app.repositories import contacts as repo

System = Literal["eprogram", "eplanning"]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Contact:
    reachable: bool | None
    checked_at: datetime | None
    detail: str | None


# A good contact right after another good one is not written again within this
# many seconds: a run makes several requests a second, and /status needs the
# state and a recent time, not a write per request. A failure is always written.
QUIET_SECONDS = 2.0
_last_good: weakref.WeakKeyDictionary[sessionmaker[Session], dict[str, float]] = (
    weakref.WeakKeyDictionary()
)


def note(
    sessions: sessionmaker[Session], system: System, *, ok: bool, detail: str | None = None
) -> None:
    """Record a contact in its own short transaction; never fails the caller."""
    good = _last_good.setdefault(sessions, {})
    now = time.monotonic()
    if ok and now - good.get(system, -QUIET_SECONDS) < QUIET_SECONDS:
        return
    if ok:
        good[system] = now
    else:
        good.pop(system, None)
    try:
        with session_scope(sessions) as session:
            repo.note(session, system, reachable=ok, at=datetime.now(UTC), detail=detail)
    except SQLAlchemyError as exc:
        log.warning("kontak %s tidak tercatat: %s", system, exc)


def last(session: Session, system: System) -> Contact:
    row = repo.get(session, system)
    if row is None:
        return Contact(None, None, None)
    return Contact(row.reachable, row.checked_at, row.detail)
