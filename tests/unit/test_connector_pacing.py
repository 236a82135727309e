"""The pacer, on a fake clock: never more than ``rate * t + burst`` in ``t`` seconds,
and no waiting while under budget."""

from __future__ import annotations

import asyncio

import pytest

from connectors.pacing import Pacer


class FakeTime:
    """A clock that moves only when the pacer sleeps (or the test says so)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def admissions(pacer: Pacer, time: FakeTime, count: int, gap: float = 0.0) -> list[float]:
    """When each of `count` requests, asked for `gap` seconds apart, was let through."""

    async def run() -> list[float]:
        times = []
        for _ in range(count):
            await pacer.acquire()
            times.append(time.now)
            time.now += gap
        return times

    return asyncio.run(run())


def most_in_window(times: list[float], window: float) -> int:
    return max(sum(1 for t in times if start <= t < start + window + 1e-9) for start in times)


@pytest.mark.parametrize(("rate", "burst"), [(10.0, 1.0), (20.0, 3.0), (2.5, 2.0)])
def test_never_more_than_rate_times_t_plus_burst(rate: float, burst: float) -> None:
    time = FakeTime()
    pacer = Pacer(rate, burst=burst, clock=time.clock, sleep=time.sleep)

    times = admissions(pacer, time, 200)

    for window in (0.0, 0.05, 0.1, 0.5, 1.0, 3.0):
        assert most_in_window(times, window) <= rate * window + burst
    # ...and it sleeps only just long enough: 200 requests take (200 - burst) / rate.
    assert times[-1] == pytest.approx((200 - burst) / rate)


def test_does_not_sleep_when_under_budget() -> None:
    time = FakeTime()
    pacer = Pacer(10.0, burst=2.0, clock=time.clock, sleep=time.sleep)

    admissions(pacer, time, 50, gap=0.125)  # 8 a second, against a budget of 10
    time.now += 1.0
    admissions(pacer, time, 2)  # the burst, after a pause

    assert time.sleeps == []


def test_concurrent_callers_queue_up() -> None:
    time = FakeTime()
    waits: list[float] = []

    async def sleep_in_step(seconds: float) -> None:
        # All five ask at the same instant; the clock does not move while they wait.
        waits.append(seconds)
        await asyncio.sleep(0)

    pacer = Pacer(10.0, clock=time.clock, sleep=sleep_in_step)

    async def run() -> None:
        await asyncio.gather(*(pacer.acquire() for _ in range(5)))

    asyncio.run(run())

    # Each caller reserved its own slot before sleeping: 0, 0.1, 0.2, 0.3, 0.4 s.
    assert sorted(waits) == pytest.approx([0.1, 0.2, 0.3, 0.4])


@pytest.mark.parametrize("rate", [0, 0.0, None])
def test_rate_zero_or_none_is_unpaced(rate: float | None) -> None:
    time = FakeTime()
    pacer = Pacer(rate, clock=time.clock, sleep=time.sleep)

    admissions(pacer, time, 1000)

    assert time.sleeps == []


def test_refuses_a_negative_rate() -> None:
    with pytest.raises(ValueError, match="rate"):
        Pacer(-1.0)
