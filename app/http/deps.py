"""Request-scoped dependencies, the one way into the service's parts: what
create_app set up (:class:`Parts`, the only thing on ``app.state``, written by
:func:`install` and read by :func:`parts` alone), typed; the session that owns
the one transaction of a request and commits it when the route returns; the
principal app.http.guard admitted before any work was done.

Exception handlers, which take no dependencies, call the same getters with
their request."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request, Security, params
from fastapi.dependencies.utils import get_flat_params
from fastapi.security import APIKeyHeader
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import HTTPConnection

from app.access import audit, opd_scope
from app.access.keys import Principal
from app.access.opd_scope import OpdScope
from app.access.ratelimit import RateLimiter
from app.access.slots import Slots
from app.config import Settings
from app.db import session_scope
from app.http.errors import Invalid, Unauthorized
from app.http.known_opd import KnownOpd
from app.mismatches.ikhtisar import Simpanan
from app.runs.schedule import Scheduler


@dataclass(frozen=True)
class Parts:
    """The service's long-lived parts, made once by create_app."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    known_opd: KnownOpd
    # Report files being made at once, per key and per address (app.http.export_answer).
    export_slots: Slots
    # Failed sign-ins per client address (app.web.masuk), one count per service.
    sign_in_failures: RateLimiter
    # The overview's figures, kept until their data changes (app.mismatches.ikhtisar).
    ikhtisar: Simpanan
    # Only a service that supervises a worker process has ``wake`` (tell it a run
    # is queued); ``scheduler`` is there to show the next firing in /status.
    wake: Callable[[], None] | None = None
    scheduler: Scheduler | None = None


def install(app: FastAPI, parts: Parts) -> None:
    """Give the service its parts; routes reach them through the dependencies below."""
    app.state.parts = parts


def parts(connection: HTTPConnection) -> Parts:
    """The parts of the service handling ``connection``; the one read of ``app.state``."""
    found = getattr(connection.app.state, "parts", None)
    if not isinstance(found, Parts):
        raise RuntimeError("the service has no parts: build it with app.main.create_app")
    return found


# The dependencies that only read the service's parts (or, below, what the
# guard decided) are ``async``: FastAPI runs a plain ``def`` dependency in a
# worker thread, a hop that cost far more than the read (a denied request made
# 13 of them). Code outside a dependency reads ``parts(request)``.
async def get_settings(request: Request) -> Settings:
    return parts(request).settings


async def get_engine(request: Request) -> Engine:
    return parts(request).engine


async def get_session_factory(request: Request) -> sessionmaker[Session]:
    return parts(request).session_factory


async def get_known_opd(request: Request) -> KnownOpd:
    return parts(request).known_opd


async def get_export_slots(request: Request) -> Slots:
    return parts(request).export_slots


async def get_sign_in_failures(request: Request) -> RateLimiter:
    return parts(request).sign_in_failures


async def get_ikhtisar(request: Request) -> Simpanan:
    return parts(request).ikhtisar


async def get_wake(request: Request) -> Callable[[], None] | None:
    return parts(request).wake


async def get_scheduler(request: Request) -> Scheduler | None:
    return parts(request).scheduler


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
SessionFactoryDep = Annotated[sessionmaker[Session], Depends(get_session_factory)]
KnownOpdDep = Annotated[KnownOpd, Depends(get_known_opd)]
ExportSlotsDep = Annotated[Slots, Depends(get_export_slots)]
SignInFailuresDep = Annotated[RateLimiter, Depends(get_sign_in_failures)]
IkhtisarDep = Annotated[Simpanan, Depends(get_ikhtisar)]
WakeDep = Annotated[Callable[[], None] | None, Depends(get_wake)]
SchedulerDep = Annotated[Scheduler | None, Depends(get_scheduler)]


def get_session(factory: SessionFactoryDep) -> Iterator[Session]:
    """The request's one unit of work (app.db.session_scope): committed when the
    route function returns, rolled back when it raises. Routes never commit."""
    with session_scope(factory) as session:
        yield session


# scope="function": the transaction ends when the route function returns,
# before the answer leaves, so what the answer reports is already durable (a
# browser follows a redirect at once; a client reads the decision it made) and
# a failed commit is a 5xx, not a success that was lost. Work that must come
# after the commit goes in a BackgroundTasks task.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def client_address(request: Request) -> str | None:
    """The caller's address as the guard decided it (trusted proxies only)."""
    client = getattr(request.state, "client", None)
    if client is not None:
        return str(client)
    return request.client.host if request.client else None


# Declared so the OpenAPI document (and /docs "Authorize") sends X-API-Key; the
# key itself is checked by app.http.guard before the request reaches a route.
API_KEY = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="Kunci API Sinkron (skr_...)"
)


async def authorize(
    request: Request, _key: Annotated[str | None, Security(API_KEY)] = None
) -> Principal:
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


async def caller_opd_scope(request: Request, principal: PrincipalDep) -> OpdScope:
    """The OPDs this API route may show its caller (app.access.policy)."""
    return route_opd_scope(request, principal)


OpdScopeDep = Annotated[OpdScope, Depends(caller_opd_scope)]


async def admitted(request: Request) -> None:
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
