"""The audit log: who did what, and every denied request."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access.keys import Principal
from app.models import AuditEvent


def record(
    session: Session,
    *,
    principal: Principal,
    action: str,
    target: str | None = None,
    status_code: int | None = None,
    client: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditEvent(
            actor=principal.name,
            role=principal.role.value if principal.role else None,
            action=action,
            target=target,
            status_code=status_code,
            client=client,
            detail=detail,
        )
    )
    session.flush()


def page(session: Session, *, limit: int, before_id: int | None) -> Sequence[AuditEvent]:
    stmt = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if before_id is not None:
        stmt = stmt.where(AuditEvent.id < before_id)
    return session.scalars(stmt).all()
