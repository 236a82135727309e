"""Transient failures on demand: the ones the contracts say happen in production.

`FaultMiddleware` sits in front of a stand-in app and, for `/api/` paths only,
draws one seeded random number per request to decide whether to answer with a
5xx, a 429, a dropped connection, an HTML proxy page, a truncated JSON body,
or (for writes) to apply the request and then drop the connection.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections import Counter
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send

FAULT_SCOPE_KEY = "standin.fault"
DROPPED_KINDS = frozenset({"drop", "drop_after_apply"})
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

PROXY_PAGE = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)
GATEWAY_PAGES = {
    502: PROXY_PAGE,
    504: PROXY_PAGE.replace(b"502 Bad Gateway", b"504 Gateway Time-out"),
}


class FaultSettings(BaseModel):
    """Rates are per request to an `/api/` path; at most one fault is injected per request."""

    model_config = ConfigDict(extra="forbid")

    error_rate: float = Field(0.0, ge=0, le=1, description="500/502/503/504, some with Retry-After")
    rate_limit_rate: float = Field(0.0, ge=0, le=1, description="429 with Retry-After")
    retry_after: int = Field(1, ge=0, description="seconds sent in Retry-After")
    latency_ms: int = Field(0, ge=0, description="delay before every /api/ request")
    drop_rate: float = Field(0.0, ge=0, le=1, description="connection dropped mid-answer")
    html_rate: float = Field(0.0, ge=0, le=1, description="200 with an HTML proxy error page")
    truncate_rate: float = Field(0.0, ge=0, le=1, description="200 with the JSON cut short")
    drop_after_apply_rate: float = Field(
        0.0, ge=0, le=1, description="writes only: applied, then the connection drops"
    )
    item_error_rate: float = Field(
        0.0, ge=0, le=1, description="E-Planning batch items: answered 503, not applied"
    )
    item_error_after_apply_rate: float = Field(
        0.0, ge=0, le=1, description="E-Planning batch items: applied, then answered 503"
    )
    processing_ms: int = Field(
        0, ge=0, description="E-Planning: how long a write holds its idempotency key"
    )
    seed: int = 0

    def rates(self) -> list[tuple[str, float]]:
        return [
            ("error", self.error_rate),
            ("rate_limit", self.rate_limit_rate),
            ("drop", self.drop_rate),
            ("html", self.html_rate),
            ("truncate", self.truncate_rate),
            ("drop_after_apply", self.drop_after_apply_rate),
        ]


class FaultInjector:
    """The current settings, their seeded RNG and the count of faults injected."""

    def __init__(self, settings: FaultSettings | None = None) -> None:
        self.injected: Counter[str] = Counter()
        self.update(settings or FaultSettings())

    def update(self, settings: FaultSettings) -> None:
        """New settings restart the random sequence, so a run is reproducible from here."""
        self.settings = settings
        self.rng = random.Random(settings.seed)

    def draw(self, method: str) -> str | None:
        """The fault for the next request, or None."""
        rates = self.settings.rates()
        if not any(rate for _, rate in rates):
            return None
        point = self.rng.random()
        for kind, rate in rates:
            if point < rate:
                if kind == "drop_after_apply" and method not in WRITE_METHODS:
                    return None
                self.injected[kind] += 1
                return kind
            point -= rate
        return None


class _QuietDrops(logging.Filter):
    """uvicorn logs an error for every answer we cut off on purpose; those are not news."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "returned without completing response" not in record.getMessage()


_quiet_drops = _QuietDrops()


class FaultMiddleware:
    """Applies a `FaultInjector` to `/api/` requests.

    `render_error(code, message)` gives the body of an error answer in the
    app's own error shape.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        injector: FaultInjector,
        render_error: Callable[[str, str], dict[str, Any]],
    ) -> None:
        self.app = app
        self.injector = injector
        self.render_error = render_error
        uvicorn_logger = logging.getLogger("uvicorn.error")
        if _quiet_drops not in uvicorn_logger.filters:
            uvicorn_logger.addFilter(_quiet_drops)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        settings = self.injector.settings
        if settings.latency_ms:
            await asyncio.sleep(settings.latency_ms / 1000)
        kind = self.injector.draw(scope["method"])
        scope[FAULT_SCOPE_KEY] = kind
        if kind is None:
            await self.app(scope, receive, send)
        elif kind == "error":
            await self._server_error(send)
        elif kind == "rate_limit":
            error = self.render_error("terlalu_banyak_permintaan", "Terlalu banyak permintaan")
            retry = {"retry-after": str(settings.retry_after)}
            await _answer(send, 429, json.dumps(error).encode(), "application/json", retry)
        elif kind == "drop":
            await _drop(send, 200, [(b"content-type", b"application/json")], b'{"data": [{"id": "')
        elif kind == "html":
            await _answer(send, 200, PROXY_PAGE, "text/html")
        else:
            status, headers, body = await _capture(self.app, scope, receive)
            if kind == "truncate":
                headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
                await _answer(send, status, body[: len(body) // 2], None, raw_headers=headers)
            else:
                await _drop(send, status, headers, body[: len(body) // 2])

    async def _server_error(self, send: Send) -> None:
        status = self.injector.rng.choice((500, 502, 503, 504))
        if status in GATEWAY_PAGES:
            await _answer(send, status, GATEWAY_PAGES[status], "text/html")
            return
        headers = {}
        if status == 503 and self.injector.rng.random() < 0.5:
            headers["retry-after"] = str(self.injector.settings.retry_after)
        body = self.render_error("gangguan_server", "Terjadi gangguan pada server, coba lagi")
        await _answer(send, status, json.dumps(body).encode(), "application/json", headers)


async def _answer(
    send: Send,
    status: int,
    body: bytes,
    content_type: str | None,
    headers: dict[str, str] | None = None,
    *,
    raw_headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    all_headers = list(raw_headers or [])
    if content_type is not None:
        all_headers.append((b"content-type", content_type.encode()))
    all_headers += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    all_headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": all_headers})
    await send({"type": "http.response.body", "body": body})


async def _drop(send: Send, status: int, headers: list[tuple[bytes, bytes]], part: bytes) -> None:
    """Promise more bytes than we send and stop: uvicorn closes the connection mid-body."""
    headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
    headers.append((b"content-length", str(len(part) + 4096).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": part, "more_body": True})


async def _capture(
    app: ASGIApp, scope: Scope, receive: Receive
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Run the app to the end and keep its answer instead of sending it."""
    start: Message = {}
    chunks: list[bytes] = []

    async def keep(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, keep)
    return int(start.get("status", 500)), list(start.get("headers", [])), b"".join(chunks)
