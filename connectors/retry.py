"""How often and how long to retry: exponential backoff, full jitter, Retry-After.

Only `TransientError` is retried (docs/design.md, promise 5). Full jitter spreads the
retries of many requests that failed together (a 503 burst from a proxy)
instead of sending them back in lockstep.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import anyio
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_base,
    retry_if_exception_type,
    retry_if_result,
    stop_after_attempt,
)

from connectors.errors import TransientError

Sleep = Callable[[float], Awaitable[None]]
"""An async sleep; tests pass one that records the waits instead of sleeping."""

OnRetry = Callable[[TransientError, int], None]
"""Called with the error and the number of the attempt that failed (1-based), before sleeping."""

Unfinished = Callable[[Any], TransientError | None]
"""What in a result must be sent again, as the error `OnRetry` is told; None when nothing."""

# Past 2**64 the cap is max_wait anyway; bounding the exponent avoids an OverflowError.
_MAX_EXPONENT = 64


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds on retrying one request.

    After failed attempt ``n`` the wait is ``uniform(0, min(max_wait, initial_wait * 2**(n-1)))``;
    when the server sent Retry-After, the wait is at least that, but never more
    than `max_retry_after`, so one server cannot stall a run for hours.
    """

    max_attempts: int = 6
    initial_wait: float = 0.5
    max_wait: float = 30.0
    max_retry_after: float = 120.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if min(self.initial_wait, self.max_wait, self.max_retry_after) < 0:
            raise ValueError("waits must not be negative")

    def backoff_cap(self, attempt: int) -> float:
        """The upper bound of the jittered wait after failed attempt `attempt` (1-based)."""
        exponent = min(max(attempt - 1, 0), _MAX_EXPONENT)
        return min(self.max_wait, self.initial_wait * 2.0**exponent)

    def wait_before_retry(
        self,
        attempt: int,
        retry_after: float | None = None,
        *,
        rng: random.Random | None = None,
    ) -> float:
        """Seconds to wait after failed attempt `attempt`, honouring the server's Retry-After."""
        uniform = rng.uniform if rng is not None else random.uniform
        jitter = uniform(0.0, self.backoff_cap(attempt))
        if retry_after is None:
            return jitter
        return min(max(retry_after, jitter), self.max_retry_after)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date); None when absent or bad."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT even when the zone is written oddly
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


def retrying(
    policy: RetryPolicy,
    *,
    on_retry: OnRetry | None = None,
    sleep: Sleep | None = None,
    unfinished: Unfinished | None = None,
) -> AsyncRetrying:
    """A tenacity loop under `policy`: backoff with full jitter, Retry-After honoured,
    `on_retry` told before every sleep.

    Without `unfinished` it retries a raised `TransientError` and re-raises the
    last one. With it, it retries a *result* that `unfinished` finds work left in
    (the items of a batch answered 429 or 5xx), returns the last result when the
    attempts run out, and lets exceptions through: each request inside has had
    its own retries.
    """

    def failure(state: RetryCallState) -> TransientError | None:
        outcome = state.outcome
        if outcome is None:
            return None
        if outcome.failed:
            exc = outcome.exception()
            return exc if isinstance(exc, TransientError) else None
        return unfinished(outcome.result()) if unfinished is not None else None

    def wait(state: RetryCallState) -> float:
        exc = failure(state)
        return policy.wait_before_retry(state.attempt_number, exc.retry_after if exc else None)

    def before_sleep(state: RetryCallState) -> None:
        exc = failure(state)
        if on_retry is not None and exc is not None:
            on_retry(exc, state.attempt_number)

    def last_result(state: RetryCallState) -> Any:
        assert state.outcome is not None  # tenacity stops only after an attempt
        return state.outcome.result()

    retry: retry_base = retry_if_exception_type(TransientError)
    if unfinished is not None:
        retry = retry_if_result(lambda result: unfinished(result) is not None)
    return AsyncRetrying(
        stop=stop_after_attempt(policy.max_attempts),
        wait=wait,
        retry=retry,
        before_sleep=before_sleep,
        # anyio.sleep works under asyncio and trio alike.
        sleep=sleep or anyio.sleep,
        # Callers catch our TransientError, not tenacity's RetryError.
        reraise=True,
        retry_error_callback=last_result if unfinished is not None else None,
    )
