"""The headers every answer of the service carries, and redirects that never
echo the request's Host header.

A pure ASGI middleware that create_app puts outside everything else, Starlette's
ServerErrorMiddleware included, so the guard's early refusals, the error
handlers' answers and a 500 carry the headers as well as the routes' answers.
A header a route set itself is kept (the assets' Cache-Control)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The pages, /docs and /redoc load everything from the service itself and have
# no inline script or style; nothing may frame them. On a JSON answer the same
# policy is harmless and stops a browser from running anything it holds.
_POLICY = {
    "default-src": "'none'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "font-src": "'self'",
    # /docs and /redoc read /openapi.json; "Try it out" calls the API.
    "connect-src": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'none'",
}


def content_security_policy(**more: str) -> str:
    """The policy, with sources added to some directives for a page that needs
    them, e.g. ``style_src="'nonce-…'"`` (a directive's name with ``_``)."""
    policy = dict(_POLICY)
    for name, sources in more.items():
        directive = name.replace("_", "-")
        policy[directive] = f"{policy.get(directive, '')} {sources}".strip()
    return "; ".join(f"{directive} {sources}" for directive, sources in policy.items())


CONTENT_SECURITY_POLICY = content_security_policy()
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    # Planning data and keys' answers: kept by no shared proxy or browser cache.
    "Cache-Control": "no-store",
}


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, base_url: str | None = None) -> None:
        self.app = app
        self.base_url = base_url.rstrip("/") if base_url else None
        self.headers = dict(HEADERS)
        if self.base_url is not None and self.base_url.startswith("https://"):
            # Only when people reach the service over HTTPS (SINKRON_BASE_URL says so).
            self.headers["Strict-Transport-Security"] = "max-age=31536000"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers.setdefault(name, value)
                location = headers.get("location")
                if location is not None:
                    headers["location"] = self.location(location, scope)
            await send(message)

        await self.app(scope, receive, with_headers)

    def location(self, location: str, scope: Scope) -> str:
        """A redirect to the service itself, made relative (or absolute from
        SINKRON_BASE_URL when it is set), never built from the Host header:
        ``Host: evil.example`` must not send a browser to evil.example."""
        parts = urlsplit(location)
        if parts.scheme or parts.netloc:
            if parts.netloc.lower() not in _own_hosts(scope):
                return location  # somewhere else on purpose
            location = urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment))
        if self.base_url is not None and location.startswith("/") and not location.startswith("//"):
            return self.base_url + location
        return location


def _own_hosts(scope: Scope) -> set[str]:
    """The names Starlette may have built an absolute URL of this request from:
    the Host header, or the server's address when there is none."""
    hosts = {value.decode("latin-1").lower() for name, value in scope["headers"] if name == b"host"}
    server = scope.get("server")
    if server is not None:
        host, port = server
        hosts |= {str(host), f"{host}:{port}"}
    return hosts
