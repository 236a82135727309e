"""Request rates per API key and per client address: in-process token buckets.

Each process keeps its own buckets, so with several replicas behind a load
balancer a client may get up to (replicas x limit); put a limit at the proxy
too when that matters.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

# Buckets that are full again carry no information; past this many, they go.
MAX_BUCKETS = 10_000


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """``limit`` per ``window_seconds`` (a minute unless said) per caller, in
    bursts of up to ``limit``."""

    def __init__(
        self,
        limit: int,
        *,
        window_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity = float(limit)
        self.rate = limit / window_seconds
        self.clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, caller: str) -> float | None:
        """Spend one token; None when allowed, else the seconds until one is free."""
        now = self.clock()
        with self._lock:
            bucket = self._buckets.get(caller)
            if bucket is None:
                if len(self._buckets) >= MAX_BUCKETS:
                    self._forget_full(now)
                bucket = self._buckets[caller] = _Bucket(self.capacity, now)
            bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return None
            return (1 - bucket.tokens) / self.rate if self.rate else math.inf

    def give_back(self, caller: str) -> None:
        """Return a token :meth:`take` spent on what turned out not to count."""
        with self._lock:
            bucket = self._buckets.get(caller)
            if bucket is not None:
                bucket.tokens = min(self.capacity, bucket.tokens + 1)

    def _forget_full(self, now: float) -> None:
        full = [
            caller
            for caller, b in self._buckets.items()
            if b.tokens + (now - b.updated) * self.rate >= self.capacity
        ]
        for caller in full or list(self._buckets)[: len(self._buckets) // 2]:
            del self._buckets[caller]
