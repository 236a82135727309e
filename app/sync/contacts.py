"""Whether E-Program and E-Planning answered at their last contact (this process)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

System = Literal["eprogram", "eplanning"]


@dataclass(frozen=True)
class Contact:
    reachable: bool | None
    checked_at: datetime | None
    detail: str | None


_lock = threading.Lock()
_contacts: dict[str, Contact] = {}


def note(system: System, *, ok: bool, detail: str | None = None) -> None:
    with _lock:
        _contacts[system] = Contact(ok, datetime.now(UTC), detail)


def last(system: System) -> Contact:
    with _lock:
        return _contacts.get(system, Contact(None, None, None))
