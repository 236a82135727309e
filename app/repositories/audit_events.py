"""The audit log's rows: added, concluded, folded, paged. What goes into a row
(bounded, escaped text; which denials fold together) is app.access.audit's."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, Update, bindparam, func, select, update
from sqlalchemy.orm import Session

from app.models import AuditEvent


def add(session: Session, **values: Any) -> AuditEvent:
    event = AuditEvent(**values)
    session.add(event)
    session.flush()
    return event


def conclude(
    session: Session,
    event_id: int,
    *,
    status_code: int | None,
    detail: dict[str, Any],
    at: datetime,
) -> None:
    session.execute(
        update(AuditEvent)
        .where(AuditEvent.id == event_id)
        .values(status_code=status_code, detail=detail, last_at=at),
        execution_options={"synchronize_session": False},
    )


def _folding(*, with_client: bool) -> tuple[Update, Update]:
    """The two statements of folding one denial, built once (they run on every
    denial of a flood): count it in the latest row of its fold, then rewrite
    that row's counts per reason (app.access.audit.record_denial)."""
    t = AuditEvent.__table__
    assert isinstance(t, Table)
    latest = (
        select(func.max(t.c.id))
        .where(
            t.c.action == bindparam("b_action"),
            t.c.actor == bindparam("b_actor"),
            t.c.status_code == bindparam("b_status_code"),
            t.c.client == bindparam("b_client") if with_client else t.c.client.is_(None),
            t.c.at >= bindparam("b_since"),
        )
        .scalar_subquery()
    )
    count = (
        update(t)
        .where(t.c.id == latest)
        .values(count=t.c.count + 1, last_at=bindparam("b_now"))
        .returning(t.c.id, t.c.detail)
    )
    reasons = update(t).where(t.c.id == bindparam("b_id")).values(detail=bindparam("b_detail"))
    return count, reasons


_FOLDING = {client: _folding(with_client=client) for client in (True, False)}


def count_in_latest_fold(
    session: Session,
    *,
    action: str,
    actor: str,
    status_code: int,
    client: str | None,
    since: datetime,
    now: datetime,
) -> tuple[int, dict[str, Any] | None] | None:
    """Count one more in the latest row of ``action`` by ``actor`` from ``client``
    with ``status_code`` since ``since``; its id and detail, or None when there is none."""
    count, _ = _FOLDING[client is not None]
    # The count comes first: its UPDATE takes the row's lock (PostgreSQL) or
    # the database's write lock (SQLite), so the detail it returns is the
    # latest and no other denial rewrites it before this transaction commits.
    counted = (
        session.connection()
        .execute(
            count,
            {
                "b_action": action,
                "b_actor": actor,
                "b_status_code": status_code,
                "b_client": client,
                "b_since": since,
                "b_now": now,
            },
        )
        .first()
    )
    if counted is None:
        return None
    event_id, detail = counted
    return int(event_id), detail


def set_detail(session: Session, event_id: int, detail: dict[str, Any]) -> None:
    _, reasons = _FOLDING[True]
    session.connection().execute(reasons, {"b_id": event_id, "b_detail": detail})


def page(session: Session, *, limit: int, before_id: int | None) -> Sequence[AuditEvent]:
    stmt = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if before_id is not None:
        stmt = stmt.where(AuditEvent.id < before_id)
    return session.scalars(stmt).all()
