"""Sync runs: create, move through stages, finish."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.models import RecordOutcome, RunStatus, SyncRun, utcnow


def create(
    session: Session,
    *,
    tahun_anggaran: int,
    tahap: str,
    kode_skpd: Sequence[str] = (),
    full: bool,
    trigger: str,
    triggered_by: str | None = None,
) -> SyncRun:
    run = SyncRun(
        tahun_anggaran=tahun_anggaran,
        tahap=tahap,
        kode_skpd=list(kode_skpd) or None,
        full=full,
        trigger=trigger,
        triggered_by=triggered_by,
        status=RunStatus.PENDING,
        outcome_counts={},
        stage_seconds={},
    )
    session.add(run)
    session.flush()
    return run


def get(session: Session, run_id: int) -> SyncRun | None:
    return session.get(SyncRun, run_id)


def mark_running(session: Session, run_id: int) -> None:
    session.execute(
        update(SyncRun)
        .where(SyncRun.id == run_id)
        .values(status=RunStatus.RUNNING, started_at=utcnow(), stage="mulai")
    )


def set_progress(
    session: Session,
    run_id: int,
    *,
    stage: str,
    records_pulled: int | None = None,
    stage_seconds: dict[str, float] | None = None,
) -> None:
    values: dict[str, Any] = {"stage": stage}
    if records_pulled is not None:
        values["records_pulled"] = records_pulled
    if stage_seconds is not None:
        values["stage_seconds"] = {k: round(v, 3) for k, v in stage_seconds.items()}
    session.execute(update(SyncRun).where(SyncRun.id == run_id).values(**values))


def outcome_counts(session: Session, run_id: int) -> dict[str, int]:
    rows = session.execute(
        select(RecordOutcome.outcome, func.count())
        .where(RecordOutcome.run_id == run_id)
        .group_by(RecordOutcome.outcome)
    )
    return {outcome: count for outcome, count in rows}


def finish(
    session: Session,
    run_id: int,
    *,
    status: RunStatus,
    counts: dict[str, int],
    error: str | None = None,
    finished_at: datetime | None = None,
) -> None:
    session.execute(
        update(SyncRun)
        .where(SyncRun.id == run_id)
        .values(
            status=status,
            outcome_counts=counts,
            error=error,
            stage="selesai",
            finished_at=finished_at or utcnow(),
        )
    )


def latest(session: Session, *, limit: int = 20) -> Sequence[SyncRun]:
    return session.scalars(select(SyncRun).order_by(SyncRun.id.desc()).limit(limit)).all()
