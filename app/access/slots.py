"""How many of a heavy thing (a report file being made) each caller may have
going at once: in-process counts per API key and per client address.

Like the rate limits, each process counts on its own.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence


class NoSlot(Exception):
    """``caller`` has all its slots taken."""

    def __init__(self, caller: str) -> None:
        super().__init__(caller)
        self.caller = caller


class Slots:
    """At most ``limit`` at once for each caller name (``kunci:…``, ``alamat:…``)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._held: dict[str, int] = {}
        self._lock = threading.Lock()

    def take(self, callers: Sequence[str]) -> Held:
        """One slot of every caller, or none of them (NoSlot names the first that is full)."""
        with self._lock:
            for caller in callers:
                if self._held.get(caller, 0) >= self.limit:
                    raise NoSlot(caller)
            for caller in callers:
                self._held[caller] = self._held.get(caller, 0) + 1
        return Held(self, tuple(callers))

    def _give_back(self, callers: Sequence[str]) -> None:
        with self._lock:
            for caller in callers:
                left = self._held.get(caller, 0) - 1
                if left > 0:
                    self._held[caller] = left
                else:
                    self._held.pop(caller, None)


class Held:
    """Slots taken together; given back once, by whoever is first."""

    def __init__(self, slots: Slots, callers: tuple[str, ...]) -> None:
        self._slots = slots
        self._callers = callers
        self._lock = threading.Lock()
        self._given_back = False

    def give_back(self) -> None:
        with self._lock:
            if self._given_back:
                return
            self._given_back = True
        self._slots._give_back(self._callers)
