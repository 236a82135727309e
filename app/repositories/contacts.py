"""The last contact with each upstream system, shared by every replica."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import UpstreamContact
from app.repositories.upsert import upsert

DETAIL_LIMIT = 1000


def note(
    session: Session, system: str, *, reachable: bool, at: datetime, detail: str | None
) -> None:
    upsert(
        session,
        UpstreamContact,
        [
            {
                "system": system,
                "reachable": reachable,
                "checked_at": at,
                "detail": detail[:DETAIL_LIMIT] if detail else None,
            }
        ],
        keys=["system"],
        update=["reachable", "checked_at", "detail"],
    )


def get(session: Session, system: str) -> UpstreamContact | None:
    return session.scalars(select(UpstreamContact).where(UpstreamContact.system == system)).first()
