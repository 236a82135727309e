"""The pull's position in E-Program's feed (docs/design.md, promise 3). Pure.

E-Program's `updated_since` is inclusive and has one-second resolution, so an
incremental pass asks again for the last second it recorded and skips the
records of that second it already has, instead of counting them twice. A pass
cut short (a crash, a kill, an outage) is continued by the next run at its
cursor, a full run's pass over everything included.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from mappings.normalise import WIB, parse_wib


@dataclass(frozen=True)
class Watermark:
    """The latest `update_at` second recorded, and the ids recorded at it."""

    second: str | None = None
    ids: frozenset[str] = frozenset()

    def holds(self, raw: Mapping[str, Any]) -> bool:
        """This record, at this second, is already recorded."""
        update_at, source_id = _stamp(raw)
        return update_at is not None and update_at == self.second and source_id in self.ids

    def moved_by(self, raw_records: Iterable[Mapping[str, Any]]) -> Watermark:
        """The watermark once these records are recorded: a later second replaces
        it, the same second adds the id; an unreadable time never moves it (the
        mapping reports that record)."""
        second, ids = self.second, set(self.ids)
        for raw in raw_records:
            update_at, source_id = _stamp(raw)
            if update_at is None:
                continue
            if second is None or update_at > second:
                second, ids = update_at, {source_id}
            elif update_at == second:
                ids.add(source_id)
        return Watermark(second, frozenset(ids))


class Saved(Protocol):
    """What a checkpoint row keeps of the pull position."""

    @property
    def watermark(self) -> str | None: ...
    @property
    def watermark_ids(self) -> list[Any]: ...
    @property
    def pass_updated_since(self) -> str | None: ...
    @property
    def pass_after(self) -> str | None: ...
    @property
    def pass_run_id(self) -> int | None: ...


@dataclass(frozen=True)
class Start:
    """Where a pass begins: the feed query, the watermark it carries on from,
    the records of the overlap second it must skip, and the run that began the
    pass when this one continues it (None: this run begins a pass)."""

    updated_since: str | None = None
    after: str | None = None
    watermark: Watermark = Watermark()
    recorded: Watermark = Watermark()
    began: int | None = None

    @property
    def resumed(self) -> bool:
        return self.after is not None


def start(saved: Saved | None, *, incremental: bool) -> Start:
    """Where the next pass of a tahun/tahap begins.

    An incremental run continues any pass cut short where it stopped, or asks
    again for the watermark second. A full run reads everything: it continues a
    pass over everything (no ``updated_since``) cut short, so that a full run
    killed halfway costs the next one at most a page, and otherwise starts from
    the first record (the rest of an incremental pass is inside its own).
    """
    if saved is None:
        return Start()
    watermark = Watermark(saved.watermark, frozenset(str(i) for i in saved.watermark_ids))
    if saved.pass_after and (incremental or saved.pass_updated_since is None):
        return Start(saved.pass_updated_since, saved.pass_after, watermark, began=saved.pass_run_id)
    if not incremental:
        return Start()
    return Start(saved.watermark, None, watermark, recorded=watermark)


def fresh(raw_records: Iterable[Mapping[str, Any]], recorded: Watermark) -> list[Mapping[str, Any]]:
    """The records not already recorded at the overlap second."""
    return [raw for raw in raw_records if not recorded.holds(raw)]


def feed_time(value: object) -> str | None:
    """A source `update_at` in the one format E-Program takes back as
    `updated_since` (WIB, "YYYY-MM-DD HH:MM:SS"); None when unreadable."""
    try:
        return parse_wib(str(value).strip()).astimezone(WIB).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None


def _source_id(raw: Mapping[str, Any]) -> str:
    return str(raw.get("id", "")).strip()


def _stamp(raw: Mapping[str, Any]) -> tuple[str | None, str]:
    return feed_time(raw.get("update_at")), _source_id(raw)
