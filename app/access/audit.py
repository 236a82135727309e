"""The audit log: who did what, and every denied request.

Whatever a caller sends ends up here only in bounded, escaped form: a row is
never larger than a few kilobytes, and repeated denials from one address are
folded into one row with a count.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access.keys import Principal
from app.models import AuditEvent, utcnow

DENIED = "akses.ditolak"
TARGET_LIMIT = 200
CLIENT_LIMIT = 100
DETAIL_TEXT_LIMIT = 500
DETAIL_ITEMS = 20
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def safe_text(value: str, limit: int) -> str:
    """Control characters escaped (``\\x00``), then cut to ``limit`` characters."""
    escaped = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
    return escaped if len(escaped) <= limit else escaped[: limit - 1] + "…"


def _safe_detail(value: Any, depth: int = 0) -> Any:
    if isinstance(value, str):
        return safe_text(value, DETAIL_TEXT_LIMIT)
    if isinstance(value, bool | int | float) or value is None:
        return value
    if depth >= 3:
        return safe_text(repr(value), DETAIL_TEXT_LIMIT)
    if isinstance(value, dict):
        items = list(value.items())[:DETAIL_ITEMS]
        return {safe_text(str(k), 100): _safe_detail(v, depth + 1) for k, v in items}
    if isinstance(value, list | tuple):
        kept = [_safe_detail(v, depth + 1) for v in list(value)[:DETAIL_ITEMS]]
        if len(value) > DETAIL_ITEMS:
            kept.append(f"… dan {len(value) - DETAIL_ITEMS} lainnya")
        return kept
    return safe_text(str(value), DETAIL_TEXT_LIMIT)


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
            actor=safe_text(principal.name, 100),
            role=principal.role.value if principal.role else None,
            action=action,
            target=safe_text(target, TARGET_LIMIT) if target is not None else None,
            status_code=status_code,
            client=safe_text(client, CLIENT_LIMIT) if client is not None else None,
            detail=_safe_detail(detail) if detail is not None else None,
        )
    )
    session.flush()


def record_denial(
    session: Session,
    *,
    principal: Principal,
    target: str,
    status_code: int,
    client: str | None,
    reason: str,
    window: timedelta,
) -> None:
    """A denied request; within ``window`` of the last like it from the same
    address (same actor, status and reason), that row's count goes up instead."""
    now = utcnow()
    client_text = safe_text(client, CLIENT_LIMIT) if client is not None else None
    actor = safe_text(principal.name, 100)
    earlier = session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.action == DENIED,
            AuditEvent.actor == actor,
            AuditEvent.status_code == status_code,
            AuditEvent.client.is_(None)
            if client_text is None
            else AuditEvent.client == client_text,
            AuditEvent.at >= now - window,
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).first()
    if earlier is not None and (earlier.detail or {}).get("alasan") == reason:
        earlier.count += 1
        earlier.last_at = now
        session.flush()
        return
    record(
        session,
        principal=principal,
        action=DENIED,
        target=target,
        status_code=status_code,
        client=client,
        detail={"alasan": reason},
    )


def page(session: Session, *, limit: int, before_id: int | None) -> Sequence[AuditEvent]:
    stmt = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if before_id is not None:
        stmt = stmt.where(AuditEvent.id < before_id)
    return session.scalars(stmt).all()
