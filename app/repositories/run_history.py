"""The run table as the metrics read it at scrape time: runs by status and,
per scope (tahun_anggaran, tahap), how its latest finished run ended and when
it last succeeded (app.observability.metrics turns this into gauges)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import RunStatus, SyncRun
from app.repositories import dead_letters


@dataclass(frozen=True)
class ScopeSnapshot:
    """What the run table says about one tahun_anggaran/tahap."""

    tahun_anggaran: int
    tahap: str
    last_status: str | None = None  # of the latest finished run
    last_counts: dict[str, int] = field(default_factory=dict)
    last_success_at: datetime | None = None


@dataclass(frozen=True)
class RunsSnapshot:
    by_status: dict[str, int]
    scopes: list[ScopeSnapshot]
    open_dead_letters: dict[tuple[int, str], int] = field(default_factory=dict)


def read_runs_snapshot(session: Session) -> RunsSnapshot:
    """Three GROUP BY queries over ``sync_run``; cost grows with scopes, not with runs."""
    by_status = {
        status: count
        for status, count in session.execute(
            select(SyncRun.status, func.count()).group_by(SyncRun.status)
        )
    }
    scope = (SyncRun.tahun_anggaran, SyncRun.tahap)
    latest_ids = (
        select(func.max(SyncRun.id).label("id"))
        # A preview changed nothing: it is nobody's last run.
        .where(SyncRun.finished_at.is_not(None), SyncRun.pratinjau.is_(False))
        .group_by(*scope)
        .subquery()
    )
    latest = session.execute(
        select(*scope, SyncRun.status, SyncRun.outcome_counts).join(
            latest_ids, SyncRun.id == latest_ids.c.id
        )
    )
    successes = session.execute(
        select(*scope, func.max(SyncRun.finished_at))
        .where(
            SyncRun.status.in_((RunStatus.SUCCEEDED, RunStatus.HELD)),
            SyncRun.finished_at.is_not(None),
            SyncRun.pratinjau.is_(False),
        )
        .group_by(*scope)
    )
    scopes: dict[tuple[int, str], ScopeSnapshot] = {}
    for tahun, tahap, status, counts in latest:
        scopes[tahun, tahap] = ScopeSnapshot(tahun, tahap, status, _int_counts(counts))
    for tahun, tahap, finished_at in successes:
        known = scopes.get((tahun, tahap), ScopeSnapshot(tahun, tahap))
        scopes[tahun, tahap] = ScopeSnapshot(
            tahun, tahap, known.last_status, known.last_counts, finished_at
        )
    return RunsSnapshot(
        by_status, [scopes[k] for k in sorted(scopes)], dead_letters.count_open(session)
    )


def _int_counts(counts: Any) -> dict[str, int]:
    if not isinstance(counts, dict):
        return {}
    return {str(k): int(v) for k, v in counts.items() if isinstance(v, int | float)}
