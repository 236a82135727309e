"""The service's one "now": what a run's mismatch writes, a planner's decision
and the follow-up figures (``app.mismatches.tindak_lanjut``) read as the
current time, and what a test moves to live through weeks in seconds.

Every time the service stores comes from :func:`now` (``app.models.utcnow``
asks it), always aware and in UTC. Outside tests nothing replaces it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

Jam = Callable[[], datetime]


def _system() -> datetime:
    return datetime.now(UTC)


_jam: Jam = _system


def now() -> datetime:
    """The current time, aware, in UTC."""
    value = _jam()
    if value.tzinfo is None:
        raise ValueError("jam tanpa zona waktu: berikan waktu aware (UTC)")
    return value.astimezone(UTC)


@contextmanager
def using(jam: Jam) -> Iterator[None]:
    """Within the block, :func:`now` asks ``jam``; the clock before comes back after."""
    global _jam  # noqa: PLW0603 - the one clock, swapped for a test's time
    before, _jam = _jam, jam
    try:
        yield
    finally:
        _jam = before


class JamPalsu:
    """A clock that stands still until it is moved: ``with clock.using(jam):``,
    then ``jam.maju(hari=15)``."""

    def __init__(self, mulai: datetime) -> None:
        if mulai.tzinfo is None:
            raise ValueError("jam palsu perlu waktu aware (UTC)")
        self.sekarang = mulai.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.sekarang

    def maju(
        self, *, hari: float = 0, jam: float = 0, menit: float = 0, detik: float = 0
    ) -> datetime:
        """Move the clock forward; returns the new now."""
        self.sekarang += timedelta(days=hari, hours=jam, minutes=menit, seconds=detik)
        return self.sekarang
