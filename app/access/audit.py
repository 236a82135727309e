"""The audit log: who did what, and every denied request.

Whatever a caller sends ends up here only in bounded, escaped form: a row is
never larger than a few kilobytes, and repeated denials from one address are
folded into one row with a count per reason.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from app.access.keys import Principal
from app.db import session_scope
from app.models import AuditEvent, utcnow
from app.repositories import audit_events

DENIED = "akses.ditolak"
TARGET_LIMIT = 200
CLIENT_LIMIT = 100
DETAIL_TEXT_LIMIT = 500
DETAIL_ITEMS = 20
# A reason is also a key of the per-reason counts, which _safe_detail cuts at 100.
REASON_LIMIT = 100
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
) -> AuditEvent:
    return audit_events.add(
        session,
        actor=safe_text(principal.name, 100),
        actor_email=principal.email,
        role=principal.role.value if principal.role else None,
        action=action,
        target=safe_text(target, TARGET_LIMIT) if target is not None else None,
        status_code=status_code,
        client=safe_text(client, CLIENT_LIMIT) if client is not None else None,
        detail=_safe_detail(detail) if detail is not None else None,
    )


def conclude(
    session: Session, event_id: int, *, status_code: int | None, detail: dict[str, Any]
) -> None:
    """Finish a row written when a long action began (an export): how it ended,
    and when (``last_at``)."""
    audit_events.conclude(
        session, event_id, status_code=status_code, detail=_safe_detail(detail), at=utcnow()
    )


def record_denial(
    sessions: sessionmaker[Session],
    *,
    principal: Principal,
    target: str,
    status_code: int,
    client: str | None,
    reason: str,
    window: timedelta,
) -> None:
    """A denied request, in a transaction of its own.

    Denials from one address by one actor with one status within ``window`` of
    the first are one row: its ``count`` says how many, ``last_at`` when the
    last came, and ``detail.per_alasan`` how many of each reason. So a flood
    that mixes reasons (no key, a wrong key, a forged form...) stays a handful
    of rows. The count goes up in one UPDATE, so concurrent denials add up on
    SQLite and PostgreSQL alike; only a new row is made under a lock, so two
    threads do not both start one.
    """
    fold = _Fold(
        actor=safe_text(principal.name, 100),
        status_code=status_code,
        client=safe_text(client, CLIENT_LIMIT) if client is not None else None,
        reason=safe_text(reason, REASON_LIMIT),
        since=utcnow() - window,
    )
    if window.total_seconds() > 0 and _fold_into_last(sessions, fold):
        return
    with _NEW_FOLD:
        if window.total_seconds() > 0 and _fold_into_last(sessions, fold):
            return
        with session_scope(sessions) as session:
            record(
                session,
                principal=principal,
                action=DENIED,
                target=target,
                status_code=status_code,
                client=client,
                detail={"alasan": fold.reason, PER_REASON: {fold.reason: 1}},
            )


# Held only while a new fold row is made (see record_denial).
_NEW_FOLD = threading.Lock()
PER_REASON = "per_alasan"


@dataclass(frozen=True)
class _Fold:
    actor: str
    status_code: int
    client: str | None
    reason: str
    since: datetime


def _fold_into_last(sessions: sessionmaker[Session], fold: _Fold) -> bool:
    """Count the denial in the latest row it folds into; False when there is none."""
    with session_scope(sessions) as session:
        counted = audit_events.count_in_latest_fold(
            session,
            action=DENIED,
            actor=fold.actor,
            status_code=fold.status_code,
            client=fold.client,
            since=fold.since,
            now=utcnow(),
        )
        if counted is None:
            return False
        event_id, detail = counted
        audit_events.set_detail(session, event_id, _with_reason(detail or {}, fold.reason))
    return True


def _with_reason(detail: dict[str, Any], reason: str) -> dict[str, Any]:
    counts = dict(detail.get(PER_REASON) or {})
    if reason not in counts and len(counts) >= DETAIL_ITEMS:
        reason = OTHER_REASONS
    counts[reason] = int(counts.get(reason, 0)) + 1
    return {**detail, PER_REASON: counts}


OTHER_REASONS = "alasan lain"
