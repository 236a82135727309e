"""A mismatch's history (``mismatch_event``): every change of status, with who,
when, from, to and why, whether a run or a person made it."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import insert
from sqlalchemy.orm import Session

from app.mismatches.siklus import Perpindahan
from app.models import Mismatch, MismatchEvent

# Who moves a mismatch when no person does.
SISTEM = "sistem"

# Marks a session that moved a mismatch by a person's decision, until it ends.
_DIPUTUSKAN = "riwayat.diputuskan"
_nomor = itertools.count(1)
_generasi = 0


def event(
    mismatch_id: int,
    change: Perpindahan,
    *,
    at: datetime,
    run_id: int | None = None,
    oleh: str = SISTEM,
    oleh_email: str | None = None,
) -> dict[str, Any]:
    """One history row for :func:`keep`: a run's (``run_id``) or a person's
    (``oleh``, by name and e-mail)."""
    return {
        "mismatch_id": mismatch_id,
        "dari": change.dari,
        "ke": change.ke,
        "catatan": change.catatan,
        "run_id": run_id,
        "at": at,
        "oleh": oleh,
        "oleh_email": oleh_email,
    }


def keep(session: Session, events: Sequence[dict[str, Any]]) -> None:
    """Add these rows (made by :func:`event`) in one statement."""
    if events:
        session.execute(insert(MismatchEvent), list(events))


def move(
    session: Session,
    changes: Sequence[tuple[Mismatch, Perpindahan]],
    *,
    oleh: str,
    at: datetime,
    oleh_email: str | None = None,
) -> None:
    """People's decisions: each mismatch moved, the decision kept on its row
    (for lists, by name) and in its history (by name and e-mail)."""
    for mismatch, change in changes:
        mismatch.status = change.ke
        mismatch.diputuskan_oleh, mismatch.diputuskan_pada = oleh, at
        mismatch.catatan = change.catatan
        # The first answer since a run last opened it (app.mismatches.tindak_lanjut).
        if mismatch.ditanggapi_pada is None:
            mismatch.ditanggapi_pada = at
    keep(
        session,
        [event(m.id, c, at=at, oleh=oleh, oleh_email=oleh_email) for m, c in changes],
    )
    session.flush()
    session.info[_DIPUTUSKAN] = True


def generasi() -> int:
    """How many transactions of this process have committed a person's
    decision. The newest history row can miss one (on PostgreSQL a
    transaction holding an older id may commit later); this count moves after
    every commit here, so a planner who decides on this service and reloads
    the overview sees the decision."""
    return _generasi


@sa_event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    global _generasi  # noqa: PLW0603 - one count per process, read by generasi()
    if session.info.pop(_DIPUTUSKAN, False):
        _generasi = next(_nomor)


@sa_event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, previous_transaction: Any) -> None:
    session.info.pop(_DIPUTUSKAN, None)
