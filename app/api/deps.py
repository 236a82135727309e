"""Request-scoped dependencies: the service's parts as create_app set them up,
typed; the session owns the transaction of one request; the principal is the
one app.api.guard admitted before any work was done."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request, Security, params
from fastapi.dependencies.utils import get_flat_params
from fastapi.security import APIKeyHeader
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.access import audit, opd_scope
from app.access.keys import Principal
from app.access.opd_scope import OpdScope
from app.api.errors import Invalid, Unauthorized
from app.api.known_opd import KnownOpd
from app.config import Settings
from app.db import session_scope
from app.runs.schedule import Scheduler
from app.runs.worker import RunWorker

T = TypeVar("T")


def _part(request: Request, name: str, kind: type[T]) -> T:
    """What create_app put on ``app.state`` under `name`; the one untyped read."""
    part = getattr(request.app.state, name, None)
    if not isinstance(part, kind):
        raise RuntimeError(f"app.state.{name} is not set up: build the service with create_app")
    return part


def _optional_part(request: Request, name: str, kind: type[T]) -> T | None:
    """A part that only a service with background work has (None otherwise)."""
    part = getattr(request.app.state, name, None)
    return part if isinstance(part, kind) else None


def get_settings(request: Request) -> Settings:
    return _part(request, "settings", Settings)


def get_engine(request: Request) -> Engine:
    return _part(request, "engine", Engine)


def get_session_factory(request: Request) -> sessionmaker[Session]:
    return _part(request, "session_factory", sessionmaker)


def get_known_opd(request: Request) -> KnownOpd:
    return _part(request, "known_opd", KnownOpd)


def get_worker(request: Request) -> RunWorker | None:
    return _optional_part(request, "worker", RunWorker)


def get_scheduler(request: Request) -> Scheduler | None:
    return _optional_part(request, "scheduler", Scheduler)


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
SessionFactoryDep = Annotated[sessionmaker[Session], Depends(get_session_factory)]
KnownOpdDep = Annotated[KnownOpd, Depends(get_known_opd)]
WorkerDep = Annotated[RunWorker | None, Depends(get_worker)]
SchedulerDep = Annotated[Scheduler | None, Depends(get_scheduler)]


def get_session(factory: SessionFactoryDep) -> Iterator[Session]:
    with session_scope(factory) as session:
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


def route_opd_scope(request: Request, principal: Principal) -> OpdScope:
    """The OPDs the matched route may show ``principal``, as the policy scopes it."""
    route = request.scope.get("route")
    return opd_scope.for_route(principal, request.method, getattr(route, "path", ""))


def caller_opd_scope(request: Request, principal: PrincipalDep) -> OpdScope:
    """The OPDs this API route may show its caller (app.access.policy)."""
    return route_opd_scope(request, principal)


OpdScopeDep = Annotated[OpdScope, Depends(caller_opd_scope)]


def admitted(request: Request) -> None:
    """Every route: the guard found it in the access policy. A route missing
    there is refused to everyone, so adding one means deciding who may call it."""
    if not getattr(request.state, "admitted", False):
        raise Unauthorized("rute ini belum punya kebijakan akses")
    if request.url.path.startswith("/api/"):
        _refuse_unknown_query(request)


def _refuse_unknown_query(request: Request) -> None:
    """A query parameter the route does not read is a 422, not silently ignored:
    `?stauts=baru` would otherwise list every status as if filtered."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    known = {f.alias for f in get_flat_params(dependant) if isinstance(f.field_info, params.Query)}
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        shown = ", ".join(audit.safe_text(name, 50) for name in unknown[:5])
        raise Invalid(f"parameter tidak dikenal: {shown}")


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
