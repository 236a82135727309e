"""Request-scoped dependencies: the session owns the transaction of one request;
the principal is the one app.api.guard admitted before any work was done."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader
from sqlalchemy.orm import Session

from app.access import audit
from app.access.keys import Principal
from app.api.errors import Unauthorized
from app.db import session_scope


def get_session(request: Request) -> Iterator[Session]:
    with session_scope(request.app.state.session_factory) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def client_address(request: Request) -> str | None:
    """The caller's address as the guard decided it (trusted proxies only)."""
    client = getattr(request.state, "client", None)
    if client is not None:
        return str(client)
    return request.client.host if request.client else None


# Declared so the OpenAPI document (and /docs "Authorize") sends X-API-Key; the
# key itself is checked by app.api.guard before the request reaches a route.
API_KEY = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="Kunci API Sinkron (skr_...)"
)


def authorize(request: Request, _key: Annotated[str | None, Security(API_KEY)] = None) -> Principal:
    """The principal the guard admitted for this request."""
    principal = getattr(request.state, "principal", None)
    if not isinstance(principal, Principal) or principal.role is None:
        raise Unauthorized("header X-API-Key wajib diisi")
    return principal


PrincipalDep = Annotated[Principal, Depends(authorize)]


def admitted(request: Request) -> None:
    """Every route: the guard found it in the access policy. A route missing
    there is refused to everyone, so adding one means deciding who may call it."""
    if not getattr(request.state, "admitted", False):
        raise Unauthorized("rute ini belum punya kebijakan akses")


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
