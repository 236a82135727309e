"""The records an E-Program stand-in serves, kept in feed order with a test clock."""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from standins import opd

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
DEFAULT_CLOCK_START = "2026-01-05 08:00:00"

Record = dict[str, Any]
FeedKey = tuple[str, int]


def feed_key(record: Record) -> FeedKey:
    """The feed order: (`update_at`, numeric `id`)."""
    return str(record["update_at"]), int(record["id"])


class EProgramDataset:
    """E-Program's sub kegiatan feed for one or more (tahun_anggaran, tahap).

    Records are ordered by (`update_at`, `id`). The clock is a counter of seconds
    from a fixed start in WIB, so a test that changes records gets the same
    `update_at` values on every run. Stored record dicts are never mutated in
    place (a change stores a new dict), so a page being serialised by the server
    is not disturbed by a test changing the dataset from another thread.
    """

    def __init__(
        self,
        perangkat_daerah: list[dict[str, str]] | None = None,
        records: Iterable[Record] = (),
        *,
        clock_start: str = DEFAULT_CLOCK_START,
    ) -> None:
        self._lock = threading.RLock()
        self._perangkat_daerah = (
            list(perangkat_daerah) if perangkat_daerah is not None else opd.perangkat_daerah()
        )
        self._clock = datetime.strptime(clock_start, TIME_FORMAT)
        self._keys: list[FeedKey] = []
        self._records: list[Record] = []
        self._by_id: dict[str, Record] = {}
        for record in records:
            self.add(record)

    # -- reading -----------------------------------------------------------
    @property
    def records(self) -> list[Record]:
        """A copy of the list of records in feed order (the dicts themselves are shared)."""
        with self._lock:
            return list(self._records)

    @property
    def perangkat_daerah(self) -> list[dict[str, str]]:
        with self._lock:
            return list(self._perangkat_daerah)

    def __len__(self) -> int:
        return len(self._records)

    def get(self, id: str) -> Record | None:
        """A copy of the record with this `id`, or None."""
        with self._lock:
            record = self._by_id.get(str(id))
            return dict(record) if record is not None else None

    def now(self) -> str:
        """The clock: the latest `update_at` handed out (WIB, no zone)."""
        with self._lock:
            return self._clock.strftime(TIME_FORMAT)

    def eplanning_perangkat_daerah(self) -> list[dict[str, str | None]]:
        """The same perangkat daerah in the E-Planning shape (`kode`, `nama`, `kode_induk`)."""
        return opd.to_eplanning(self.perangkat_daerah)

    def page(
        self,
        *,
        tahun_anggaran: str,
        tahap: str,
        updated_since: str | None,
        after: FeedKey | None,
        limit: int,
    ) -> tuple[list[Record], FeedKey | None]:
        """One page of the feed and the key to continue after (None on the last page)."""
        with self._lock:
            start = 0
            if updated_since is not None:
                start = bisect_left(self._keys, (updated_since,))
            if after is not None:
                start = max(start, bisect_right(self._keys, after))

            def wanted(record: Record) -> bool:
                return (
                    str(record.get("tahun_anggaran")) == tahun_anggaran
                    and str(record.get("tahap")) == tahap
                )

            page: list[Record] = []
            index = start
            while index < len(self._records) and len(page) < limit:
                if wanted(self._records[index]):
                    page.append(self._records[index])
                index += 1
            # look ahead without copying the rest of the feed: at a million
            # records a slice per page made the stand-in the bottleneck
            records = self._records
            more = any(wanted(records[i]) for i in range(index, len(records)))
            return page, (feed_key(page[-1]) if page and more else None)

    # -- changing ----------------------------------------------------------
    def add(self, record: Record) -> Record:
        """Add a record, or replace the one with the same `id`.

        Without `update_at` the record gets the next clock tick; with one, the
        clock moves forward to it if it is later.
        """
        record = dict(record)
        record["id"] = str(record["id"])
        int(record["id"])  # the feed order needs numeric ids
        with self._lock:
            if "update_at" not in record:
                record["update_at"] = self._tick()
            else:
                self._advance_to(str(record["update_at"]))
            self._remove(record["id"])
            self._insert(record)
            return dict(record)

    def touch(self, id: str, **changes: Any) -> Record:
        """Apply `changes` and move the record to the end with a new, later `update_at`."""
        return self.touch_many([id], **changes)[0]

    def touch_many(self, ids: Iterable[str], **changes: Any) -> list[Record]:
        """Touch several records in one clock second (they share one `update_at`)."""
        with self._lock:
            ids = [str(i) for i in ids]
            missing = [i for i in ids if i not in self._by_id]
            if missing:
                raise KeyError(f"unknown record id(s): {', '.join(missing)}")
            stamp = self._tick()
            changed = []
            for id_ in ids:
                record = {**self._by_id[id_], **changes, "update_at": stamp}
                self._remove(id_)
                self._insert(record)
                changed.append(dict(record))
            return changed

    # -- internals ---------------------------------------------------------
    def _tick(self) -> str:
        self._clock += timedelta(seconds=1)
        return self._clock.strftime(TIME_FORMAT)

    def _advance_to(self, update_at: str) -> None:
        try:
            stamp = datetime.fromisoformat(update_at)
        except ValueError:
            return
        if stamp.tzinfo is None:
            self._clock = max(self._clock, stamp)

    def _insert(self, record: Record) -> None:
        key = feed_key(record)
        if not self._keys or key >= self._keys[-1]:
            self._keys.append(key)
            self._records.append(record)
        else:
            index = bisect_right(self._keys, key)
            self._keys.insert(index, key)
            self._records.insert(index, record)
        self._by_id[record["id"]] = record

    def _remove(self, id_: str) -> None:
        old = self._by_id.pop(id_, None)
        if old is None:
            return
        index = bisect_left(self._keys, feed_key(old))
        del self._keys[index]
        del self._records[index]
