"""The audit log (admins only)."""

from __future__ import annotations

from fastapi import APIRouter

from app.access import audit
from app.api.deps import PrincipalDep, SessionDep
from app.api.pagination import Cursor, Limit, cut, decode_cursor
from app.api.schemas import AuditOut, AuditPage

router = APIRouter(prefix="/api/v1", tags=["audit"])


@router.get("/audit", response_model=AuditPage, summary="Jejak audit, terbaru dulu")
def list_audit(
    session: SessionDep,
    _principal: PrincipalDep,
    limit: Limit = 100,
    cursor: Cursor = "",
) -> AuditPage:
    rows = audit.page(session, limit=limit + 1, before_id=decode_cursor(cursor))
    page, next_cursor = cut(rows, limit)
    return AuditPage(items=[AuditOut.model_validate(r) for r in page], next_cursor=next_cursor)
