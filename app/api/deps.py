"""Request-scoped dependencies: the session owns the transaction of one request,
and every request passes the route policy before anything else runs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

from app.access import audit, keys
from app.access.keys import ANONYMOUS, Principal
from app.access.policy import PUBLIC, SESI, required
from app.api.errors import Forbidden, Unauthorized
from app.db import session_scope


def get_session(request: Request) -> Iterator[Session]:
    with session_scope(request.app.state.session_factory) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def authorize(request: Request) -> Principal:
    """Authenticate the X-API-Key and check the route's role (app.access.policy)."""
    route = request.scope.get("route")
    path = route.path_format if isinstance(route, APIRoute) else request.url.path
    needed = required(request.method, path)
    if needed in (PUBLIC, SESI):
        # A report page checks its own session cookie (app.web.sessions).
        request.state.principal = ANONYMOUS
        return ANONYMOUS
    key = request.headers.get("X-API-Key")
    with session_scope(request.app.state.session_factory) as session:
        principal = keys.authenticate(session, key) if key else None
        if needed is None or principal is None or not principal.can(needed):
            status = 401 if principal is None else 403
            audit.record(
                session,
                principal=principal or ANONYMOUS,
                action="akses.ditolak",
                target=f"{request.method} {request.url.path}",
                status_code=status,
                client=client_address(request),
                detail={"alasan": _reason(key, principal, needed)},
            )
    if principal is None:
        raise Unauthorized(_reason(key, principal, needed))
    if needed is None or not principal.can(needed):
        raise Forbidden(_reason(key, principal, needed))
    request.state.principal = principal
    return principal


def _reason(key: str | None, principal: Principal | None, needed: object) -> str:
    if needed is None:
        return "rute ini belum punya kebijakan akses"
    if not key:
        return "header X-API-Key wajib diisi"
    if principal is None:
        return "kunci API tidak dikenal atau sudah dicabut"
    return f"peran '{principal.role}' tidak boleh memakai rute ini (perlu '{needed}')"


PrincipalDep = Annotated[Principal, Depends(authorize)]


def audit_action(
    request: Request,
    session: Session,
    *,
    action: str,
    target: str,
    status_code: int,
    detail: dict[str, Any] | None = None,
) -> None:
    """Log what the calling principal did, from where, in the request's transaction."""
    audit.record(
        session,
        principal=request.state.principal,
        action=action,
        target=target,
        status_code=status_code,
        client=client_address(request),
        detail=detail,
    )
