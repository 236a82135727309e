"""Client-side pacing: stay within an API's request budget instead of running into 429s.

A token bucket that lends: each `acquire` takes a token at once and, when the
bucket is in debt, sleeps until that token would have been earned. Taking
before sleeping is what makes concurrent callers on one event loop queue up
in order instead of all waking at the same instant.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import anyio

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class Pacer:
    """At most ``rate`` requests a second on average, ``burst`` at once; a rate of 0 or None
    lets everything through.

    In any window of ``t`` seconds it lets at most ``rate * t + burst`` through.
    """

    def __init__(
        self,
        rate: float | None,
        *,
        burst: float = 1.0,
        clock: Clock = time.monotonic,
        sleep: Sleep | None = None,
    ) -> None:
        if rate is not None and rate < 0:
            raise ValueError("rate must not be negative")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.rate = rate or None
        self.burst = burst
        self._clock = clock
        self._sleep = sleep or anyio.sleep
        self._tokens = burst
        self._stamp = clock()

    async def acquire(self) -> None:
        """Wait, only as long as needed, until one more request fits the budget."""
        if self.rate is None:
            return
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        self._tokens -= 1.0
        if self._tokens < 0:
            await self._sleep(-self._tokens / self.rate)
