"""Whether what the planners' figures are made of has changed, told by a few
reads of indexes and of the small ``sync_run`` table: what
:mod:`app.mismatches.ikhtisar` keeps the overview by.

The figures come from ``record_state``, ``mismatch`` and its history, and the
runs. Two kinds of writer change them:

- **people**, deciding on a finding. Every such decision adds a history row
  with no run (``app.mismatches.riwayat.move``), so the newest of those rows
  moves (index ``ix_mismatch_event_orang``);
- **runs**, page by page while they run. A run that ends (or is stopped, or
  approved, or a new one is made) moves the counts and stamps of ``sync_run``;
  while one is running, ``berjalan`` says so and its pages change the figures
  without moving anything here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from app.models import MismatchEvent, RunStatus, SyncRun

# The newest history row a person made (a run's rows carry its id).
KEPUTUSAN_TERAKHIR = (
    select(MismatchEvent.id)
    .where(MismatchEvent.run_id.is_(None))
    .order_by(MismatchEvent.id.desc())
    .limit(1)
)


@dataclass(frozen=True)
class Versi:
    """``tetap``: moves with every decision and every run that ends; equal
    ``tetap`` and no run running means nothing the figures read has changed
    (as far as the service's own writers go)."""

    tetap: tuple[int | None, int, int, int | None, datetime | None]
    berjalan: bool


def baca(session: Session) -> Versi:
    r = SyncRun
    keputusan = session.scalar(KEPUTUSAN_TERAKHIR)
    runs = session.execute(
        select(func.count(), func.count(r.finished_at), func.max(r.id), func.max(r.diputuskan_pada))
    ).one()
    berjalan = bool(session.scalar(select(exists().where(r.status == RunStatus.RUNNING))))
    return Versi(
        tetap=(keputusan, int(runs[0]), int(runs[1]), runs[2], runs[3]),
        berjalan=berjalan,
    )
