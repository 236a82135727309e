"""The pure diff between what E-Program says and what E-Planning holds.

No I/O here: the page decisions (app/sync/decisions.py) hand in the mapped
record, E-Planning's current copy and what the service itself last wrote, and
get back one decision.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mappings import json_text
from mappings.eplanning import (
    RenjaSubKegiatan,
    StoredRenjaSubKegiatan,
    changed_fields,
)


class Action(enum.StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DEACTIVATE = "deactivate"
    UNCHANGED = "unchanged"
    CONFLICT = "conflict"


@dataclass(frozen=True, slots=True)
class RemoteEntry:
    """E-Planning's current copy of one record, reduced to what reconciling needs.

    A full scope can hold tens of thousands of these for the length of a run, so
    the record itself is kept as its compact JSON and parsed only when a field
    list or a conflict needs it.
    """

    versi: int
    diperbarui_oleh: str
    aktif: bool
    sync_hash: str
    sumber_id: str | None
    sumber_diperbarui_pada: datetime | None
    raw: str
    kode_skpd: str | None = None

    def record(self) -> StoredRenjaSubKegiatan:
        return StoredRenjaSubKegiatan.from_api(json.loads(self.raw))

    def api_body(self) -> dict[str, Any]:
        """The record exactly as E-Planning sent it."""
        body: dict[str, Any] = json.loads(self.raw)
        return body


@dataclass(frozen=True)
class LastWrite:
    """What the service itself last wrote for a natural key (table pushed_state)."""

    versi: int
    sync_hash: str


@dataclass(frozen=True)
class Decision:
    action: Action
    if_match: int | None = None
    changed: list[str] = field(default_factory=list)
    reason: str | None = None


def sync_hash(record: RenjaSubKegiatan) -> str:
    """The content hash plus the source id (:attr:`RenjaSubKegiatan.sync_digest`).

    The source timestamp is left out so a record E-Program merely touched is
    unchanged; the source id is kept so that when an operator's copy loses to the
    real record, E-Planning ends up pointing at the real one.
    """
    return record.sync_digest


def compact_json(body: Mapping[str, Any]) -> str:
    """A stored record as the mirror keeps it (``RemoteEntry.raw``): compact, and
    without ``berubah``, which a push's answer adds, so that a later read of the
    same copy gives the same text."""
    if "berubah" in body:
        body = {key: value for key, value in body.items() if key != "berubah"}
    return json_text.dumps(body)


def remote_entry(body: Mapping[str, Any]) -> RemoteEntry:
    """Read one stored record as E-Planning sent it; ValueError when it is not valid."""
    return entry_of(StoredRenjaSubKegiatan.from_api(body), body)


def entry_of(record: StoredRenjaSubKegiatan, body: Mapping[str, Any]) -> RemoteEntry:
    """A record already read from E-Planning's ``body``, reduced for reconciling."""
    return RemoteEntry(
        versi=record.versi,
        diperbarui_oleh=record.diperbarui_oleh,
        aktif=record.aktif,
        sync_hash=sync_hash(record),
        sumber_id=record.sumber.id if record.sumber else None,
        sumber_diperbarui_pada=record.sumber.diperbarui_pada if record.sumber else None,
        raw=compact_json(body),
        kode_skpd=record.kode_skpd,
    )


def decide(
    mapped: RenjaSubKegiatan,
    remote: RemoteEntry | None,
    last_write: LastWrite | None,
    *,
    service_user: str,
    source_wins: bool = False,
    wanted: str | None = None,
) -> Decision:
    """Decide what to do with one mapped record (docs/design.md: One run, promise 6).

    ``wanted`` is ``sync_hash(mapped)`` when the caller has it already."""
    if remote is None:
        if not mapped.aktif:
            return Decision(
                Action.UNCHANGED, reason="tidak aktif di E-Program dan tidak ada di E-Planning"
            )
        return Decision(Action.CREATE)

    wanted = wanted or sync_hash(mapped)
    if not mapped.aktif:
        if not remote.aktif:
            return Decision(Action.UNCHANGED)
        target = Action.DEACTIVATE
        changed = ["aktif"]
    elif wanted == remote.sync_hash:
        return Decision(Action.UNCHANGED)
    else:
        target = Action.UPDATE
        changed = changed_fields(mapped, remote.record())
        if not changed:
            changed = ["sumber"]

    if _edited_by_hand(remote, last_write, service_user) and not source_wins:
        return Decision(
            Action.CONFLICT,
            if_match=remote.versi,
            changed=changed,
            reason=(
                f"diubah langsung di E-Planning oleh {remote.diperbarui_oleh} "
                f"(versi {remote.versi}) sejak terakhir disinkronkan"
            ),
        )
    return Decision(target, if_match=remote.versi, changed=changed)


def _edited_by_hand(remote: RemoteEntry, last_write: LastWrite | None, service_user: str) -> bool:
    if remote.diperbarui_oleh == service_user:
        return False
    # Someone else wrote last. If we never wrote this record, or E-Planning moved
    # past the versi we wrote, a person's edit would be overwritten silently.
    return last_write is None or last_write.versi != remote.versi
