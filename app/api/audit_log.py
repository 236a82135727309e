"""The audit log (admins only)."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.schemas import AuditOut, AuditPage
from app.http.deps import PrincipalDep, SessionDep
from app.http.pagination import Cursor, Limit, cut, decode_cursor
from app.repositories import audit_events

router = APIRouter(prefix="/api/v1", tags=["audit"])


@router.get("/audit", response_model=AuditPage, summary="Jejak audit, terbaru dulu")
def list_audit(
    session: SessionDep,
    _principal: PrincipalDep,
    limit: Limit = 100,
    cursor: Cursor = "",
) -> AuditPage:
    rows = audit_events.page(session, limit=limit + 1, before_id=decode_cursor(cursor))
    page, next_cursor = cut(rows, limit)
    return AuditPage(items=[AuditOut.model_validate(r) for r in page], next_cursor=next_cursor)
