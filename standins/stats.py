"""Request counts of a stand-in, by route and status, for tests and benchmarks."""

from __future__ import annotations

import hashlib
import time
from collections import Counter, defaultdict, deque
from typing import Any

from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from standins.faults import DROPPED_KINDS, FAULT_SCOPE_KEY

TIMELINE_MAX = 200_000


class RequestStats:
    """Counts as `requests["GET /api/v1/sub-kegiatan"]["200"]`; a dropped answer is "dropped".

    `timeline` keeps the latest requests as (arrived, answered, route, status,
    request), wall-clock seconds, so a test can see how long a client waited
    after a 429; `request` is a digest of the method, path, query and body, the
    same for a request sent again.
    """

    def __init__(self) -> None:
        self.requests: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.counters: Counter[str] = Counter()
        self.timeline: deque[tuple[float, float, str, str, str]] = deque(maxlen=TIMELINE_MAX)

    def snapshot(self) -> dict[str, Any]:
        return {
            "requests": {route: dict(counts) for route, counts in sorted(self.requests.items())},
            **dict(self.counters),
        }

    def reset(self) -> None:
        self.requests.clear()
        self.counters.clear()
        self.timeline.clear()


class StatsMiddleware:
    """Counts every `/api/` request under its route template and final status."""

    def __init__(self, app: ASGIApp, *, stats: RequestStats, routes: list[BaseRoute]) -> None:
        self.app = app
        self.stats = stats
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        status = "500"
        arrived = time.time()
        receive, digest = await _digested(scope, receive)

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = str(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            if scope.get(FAULT_SCOPE_KEY) in DROPPED_KINDS:
                status = "dropped"
            route = f"{scope['method']} {self._template(scope)}"
            self.stats.requests[route][status] += 1
            self.stats.timeline.append((arrived, time.time(), route, status, digest))

    def _template(self, scope: Scope) -> str:
        """The route's path template, so every PUT of a record counts under one name."""
        for route in self.routes:
            regex = getattr(route, "path_regex", None)
            if regex is not None and regex.match(scope["path"]):
                return str(getattr(route, "path", scope["path"]))
        return str(scope["path"])


async def _digested(scope: Scope, receive: Receive) -> tuple[Receive, str]:
    """Read the whole body (stand-in bodies are small), digest the request, and hand the
    body on unchanged: a fault that answers before reading it must not change the digest."""
    digest = hashlib.sha256(f"{scope['method']} {scope['path']}?".encode())
    digest.update(scope.get("query_string", b""))
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        digest.update(message.get("body", b""))
        if not message.get("more_body", False):
            break

    async def replay() -> Message:
        return messages.pop(0) if messages else await receive()

    return replay, digest.hexdigest()[:16]
