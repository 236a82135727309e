"""The OPD codes a trigger may name: those E-Planning lists for the year.

Read from E-Planning's perangkat daerah reference once per tahun anggaran and
kept for a few minutes, so a trigger costs at most one small request.
"""

from __future__ import annotations

import asyncio
import threading
import time

from app.config import Settings
from app.sync import clients
from app.sync.outage import explain
from connectors.http import ConnectorError

CACHE_SECONDS = 600.0


class OpdListUnavailable(Exception):
    """E-Planning's list could not be read; the message says why, in Indonesian."""


class KnownOpd:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._cache: dict[int, tuple[float, frozenset[str]]] = {}

    def codes(self, tahun_anggaran: int) -> frozenset[str]:
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(tahun_anggaran)
        if cached is not None and cached[0] > now:
            return cached[1]
        codes = asyncio.run(self._read(tahun_anggaran))
        with self._lock:
            self._cache[tahun_anggaran] = (now + CACHE_SECONDS, codes)
        return codes

    async def _read(self, tahun_anggaran: int) -> frozenset[str]:
        settings = self.settings
        async with clients.eplanning(
            settings, max_attempts=2, timeout=min(settings.http_timeout_seconds, 10.0)
        ) as client:
            try:
                items = await client.perangkat_daerah(tahun_anggaran=tahun_anggaran)
            except ConnectorError as exc:
                raise OpdListUnavailable(explain("eplanning", settings.eplanning_url, exc)) from exc
        return frozenset(str(item.get("kode", "")) for item in items if item.get("kode"))
