"""The gate every request passes before the app does any work for it.

A pure ASGI middleware, so it runs before FastAPI reads the body: it finds the
route's policy (app.access.policy), checks the X-API-Key, applies the rate
limits, and counts the bytes of the body as they arrive, refusing a body over
the limit with 413 even when it comes chunked without a Content-Length. What
the path, query and body say is the routes' to judge (app.http.inputs).
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import anyio
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.access import audit, keys
from app.access.keys import ANONYMOUS, Principal, Role
from app.access.policy import POLICY, PUBLIC, SESI, policy_method, required
from app.access.ratelimit import RateLimiter
from app.config import Settings
from app.db import session_scope
from app.http.errors import (
    DATABASE_DOWN,
    ApiError,
    Forbidden,
    PayloadTooLarge,
    TooManyRequests,
    Unauthorized,
    Unavailable,
    render,
)

log = logging.getLogger(__name__)
SLOW_DOWN = "terlalu banyak permintaan; coba lagi setelah {seconds} detik"


class Guard:
    def __init__(
        self, app: ASGIApp, *, settings: Settings, session_factory: sessionmaker[Session]
    ) -> None:
        self.app = app
        self.sessions = session_factory
        self.max_body = settings.max_body_bytes
        self.trusted = settings.trusted_proxy_set
        self.fold = timedelta(seconds=settings.audit_fold_seconds)
        self.by_address = RateLimiter(settings.rate_limit_per_minute)
        self.by_key = RateLimiter(settings.rate_limit_per_minute)
        self.posts_by_address = RateLimiter(settings.rate_limit_post_per_minute)
        self.posts_by_key = RateLimiter(settings.rate_limit_post_per_minute)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = self.client_address(scope)
        state = scope.setdefault("state", {})
        state["client"] = client
        try:
            principal = await self._admit(scope, client)
        except ApiError as exc:
            await render(exc)(scope, receive, send)
            return
        state["principal"] = principal
        state["admitted"] = _route_template(scope) is not None
        await self._call_with_body_limit(scope, receive, send)

    # -- who is calling -------------------------------------------------------

    def client_address(self, scope: Scope) -> str | None:
        """The peer, or the address a trusted proxy says it forwarded for."""
        peer: str | None = str(scope["client"][0]) if scope.get("client") else None
        if peer is None or peer not in self.trusted:
            return peer
        forwarded = [
            part.strip()
            for value in _headers(scope, b"x-forwarded-for")
            for part in value.split(",")
            if part.strip()
        ]
        # The right-most address no trusted proxy added is the client.
        for address in reversed(forwarded):
            if address not in self.trusted:
                return address
        return peer

    async def _admit(self, scope: Scope, client: str | None) -> Principal:
        post = scope["method"] == "POST"
        self._limit(self.by_address, self.posts_by_address, client or "?", post)
        template = _route_template(scope)
        if template is None:
            return ANONYMOUS  # the router answers 404/405; no work is done
        needed = required(scope["method"], template)
        if needed in (PUBLIC, SESI):
            # A report page checks its own session cookie (app.web.sessions).
            return ANONYMOUS
        key = next(iter(_headers(scope, b"x-api-key")), None)
        target = f"{scope['method']} {scope.get('path', '')}"
        principal, reason = await anyio.to_thread.run_sync(
            self._authenticate, key, needed, target, client
        )
        if principal is None:
            raise Unauthorized(reason or "")
        if reason is not None:
            raise Forbidden(reason)
        self._limit(self.by_key, self.posts_by_key, f"key:{principal.name}", post)
        return principal

    def _authenticate(
        self, key: str | None, needed: Role | None, target: str, client: str | None
    ) -> tuple[Principal | None, str | None]:
        """(principal, None) when allowed; else the reason, written to the audit log."""
        try:
            with session_scope(self.sessions) as session:
                principal = keys.authenticate(session, key) if key else None
                if needed is not None and principal is not None and principal.can(needed):
                    return principal, None
            reason = _reason(key, principal, needed)
            self._audit_denial(principal, target, client, reason)
            return principal, reason
        except (OperationalError, InterfaceError) as exc:
            log.error("basis data tidak dapat dihubungi: %s", exc)
            raise Unavailable(DATABASE_DOWN) from None

    def _audit_denial(
        self, principal: Principal | None, target: str, client: str | None, reason: str
    ) -> None:
        # A failing audit write must not turn a 401 into a 500: it is logged instead.
        try:
            audit.record_denial(
                self.sessions,
                principal=principal or ANONYMOUS,
                target=target,
                status_code=401 if principal is None else 403,
                client=client,
                reason=reason,
                window=self.fold,
            )
        except Exception:
            log.exception("penolakan akses tidak tercatat di jejak audit")

    def _limit(self, every: RateLimiter, posts: RateLimiter, caller: str, post: bool) -> None:
        wait = every.take(caller)
        if wait is None and post:
            wait = posts.take(caller)
        if wait is not None:
            raise TooManyRequests(SLOW_DOWN.format(seconds=max(1, round(wait))), retry_after=wait)

    # -- the body ---------------------------------------------------------------

    async def _call_with_body_limit(self, scope: Scope, receive: Receive, send: Send) -> None:
        declared = next(iter(_headers(scope, b"content-length")), None)
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            await render(self._too_large())(scope, receive, send)
            return
        received = 0
        started = False
        refused = False

        async def counting_receive() -> Message:
            # Over the limit, we answer 413 ourselves and tell the app the client
            # left: whatever it then answers (FastAPI turns it into a 400) is dropped.
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    refused = True
                    if not started:
                        await render(self._too_large())(scope, receive, send)
                    return {"type": "http.disconnect"}
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, counting_receive, tracking_send)

    def _too_large(self) -> PayloadTooLarge:
        return PayloadTooLarge(f"isi permintaan lebih dari {self.max_body} byte")


def _headers(scope: Scope, name: bytes) -> list[str]:
    return [v.decode("latin-1") for k, v in scope.get("headers", []) if k.lower() == name]


def _compile_policy() -> list[tuple[str, re.Pattern[str], str]]:
    """(method, path regex, template) of every route in the policy, literal
    paths before templated ones, matched the way Starlette matches routes."""
    compiled = [(method, compile_path(path)[0], path) for method, path in POLICY]
    return sorted(compiled, key=lambda c: c[2].count("{"))


_POLICY_PATHS = _compile_policy()


def _route_template(scope: Scope) -> str | None:
    """The policy template the request falls under, e.g. ``/api/v1/runs/{run_id}``;
    None when no policy names this method and path (the router then answers
    404 or 405, and a route without a policy is refused by ``admitted``)."""
    path = scope.get("path", "")
    asked = policy_method(scope["method"])
    for method, regex, template in _POLICY_PATHS:
        if method == asked and regex.match(path):
            return template
    return None


def _reason(key: str | None, principal: Principal | None, needed: object) -> str:
    if needed is None:
        return "rute ini belum punya kebijakan akses"
    if not key:
        return "header X-API-Key wajib diisi"
    if principal is None:
        return "kunci API tidak dikenal atau sudah dicabut"
    return f"peran '{principal.role}' tidak boleh memakai rute ini (perlu '{needed}')"
