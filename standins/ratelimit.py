"""The contracts' rate limits, enforced: a token bucket per credential, 429 beyond it.

E-Program allows about 10 requests/s per key, E-Planning about 20 per token.
Off unless asked for (tests and the demo run unlimited); the benchmark turns
it on with ``python -m standins --rate-limits`` or ``STANDIN_RATE_LIMITS=1``.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from standins.stats import RequestStats

EPROGRAM_PER_SECOND = 10.0
EPLANNING_PER_SECOND = 20.0
ENV_SWITCH = "STANDIN_RATE_LIMITS"
RATE_LIMITED = "rate_limited"  # the stats counter of 429s sent by the limiter


def enabled_by_env() -> bool:
    """True when ``STANDIN_RATE_LIMITS`` is set to 1/true/yes/on."""
    return os.environ.get(ENV_SWITCH, "").strip().casefold() in {"1", "true", "yes", "on"}


class TokenBucket:
    """``rate`` requests a second on average, bursts of up to ``burst`` (default: one second's)."""

    def __init__(
        self,
        rate: float,
        burst: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate
        self.burst = burst if burst is not None else max(rate, 1.0)
        self.clock = clock
        self.tokens = self.burst
        self.stamp = clock()

    def take(self) -> float:
        """Take one token: 0.0 when there was one, else the seconds until there is."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


class RateLimitMiddleware:
    """One bucket per credential (the header ``credential`` names) for `/api/` paths.

    A request without the header shares one bucket with the others that lack
    it; the app answers those 401 anyway. Over the limit: 429 with
    ``Retry-After`` in whole seconds (at least 1), in the app's error shape.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        rate: float,
        credential: str,
        stats: RequestStats,
        render_error: Callable[[str, str], dict[str, Any]],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.rate = rate
        self.credential = credential.lower().encode()
        self.stats = stats
        self.render_error = render_error
        self.clock = clock
        self.buckets: dict[bytes, TokenBucket] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        who = next((v for k, v in scope["headers"] if k == self.credential), b"")
        bucket = self.buckets.get(who)
        if bucket is None:
            bucket = self.buckets[who] = TokenBucket(self.rate, clock=self.clock)
        wait = bucket.take()
        if not wait:
            await self.app(scope, receive, send)
            return
        self.stats.counters[RATE_LIMITED] += 1
        body = json.dumps(
            self.render_error("terlalu_banyak_permintaan", "Terlalu banyak permintaan")
        ).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"retry-after", str(max(1, math.ceil(wait))).encode()),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": 429, "headers": headers})
        await send({"type": "http.response.body", "body": body})
