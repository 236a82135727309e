"""Sync runs: create, move through stages, finish."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, and_, cast, func, or_, select, true, update
from sqlalchemy.orm import Session

from app.models import Lease, RecordOutcome, RunStatus, Stage, SyncRun, Trigger, utcnow
from app.repositories import ringkasan
from app.repositories.upsert import affected, insert_missing
from app.text_search import escape_like
from mappings import json_text


def create(
    session: Session,
    *,
    tahun_anggaran: int,
    tahap: str,
    kode_skpd: Sequence[str] = (),
    full: bool,
    trigger: Trigger,
    triggered_by: str | None = None,
    idempotency_key: str | None = None,
    scheduled_for: datetime | None = None,
    pratinjau: bool = False,
    paksa: bool = False,
) -> SyncRun:
    run = SyncRun(
        pratinjau=pratinjau,
        paksa=paksa,
        idempotency_key=idempotency_key,
        scheduled_for=scheduled_for,
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
    """A run about to start; one cancelled meanwhile stays cancelled."""
    session.execute(
        update(SyncRun)
        .where(SyncRun.id == run_id, SyncRun.status.in_(ACTIVE))
        .values(status=RunStatus.RUNNING, started_at=utcnow(), stage=Stage.MULAI)
    )


def cancel_pending(session: Session, run_id: int) -> bool:
    """Cancel a run no process has taken yet; False when one just took it."""
    result = session.execute(
        update(SyncRun)
        .where(SyncRun.id == run_id, SyncRun.status == RunStatus.PENDING)
        .values(
            status=RunStatus.CANCELLED,
            error="dibatalkan oleh admin",
            stage=Stage.SELESAI,
            finished_at=utcnow(),
            outcome_counts={},
        )
    )
    return affected(result) > 0


def set_progress(
    session: Session,
    run_id: int,
    *,
    stage: Stage,
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
    """End a run; one that succeeded with nothing pulled also notes whether its
    scope has ever had a record (`scope_empty`), in the same transaction, so
    nobody sees it finished without its warning."""
    empty = (
        status == RunStatus.SUCCEEDED
        and not any(counts.values())
        and _never_had_data(session, run_id)
    )
    session.execute(
        update(SyncRun)
        .where(SyncRun.id == run_id)
        .values(
            status=status,
            outcome_counts=counts,
            error=error,
            stage=Stage.SELESAI,
            finished_at=finished_at or utcnow(),
            scope_empty=empty,
        )
    )


def _never_had_data(session: Session, run_id: int) -> bool:
    run = session.get(SyncRun, run_id)
    if run is None:
        return False
    return not ringkasan.has_records(
        session,
        tahun_anggaran=run.tahun_anggaran,
        tahap=run.tahap,
        opd=frozenset(run.kode_skpd) if run.kode_skpd else None,
    )


ACTIVE = (RunStatus.PENDING, RunStatus.RUNNING)


def active(session: Session) -> SyncRun | None:
    """The run waiting or under way, if any (any scope)."""
    return session.scalars(
        select(SyncRun).where(SyncRun.status.in_(ACTIVE)).order_by(SyncRun.id).limit(1)
    ).first()


def lock_triggers(session: Session) -> None:
    """Serialise run creation across processes for the rest of the transaction.

    An UPDATE of one row takes a row lock on PostgreSQL and the write lock on
    SQLite, so two admins clicking at once cannot both see "nothing running".
    """
    insert_missing(session, Lease, {"name": "trigger", "token": 0}, keys=["name"])
    session.execute(update(Lease).where(Lease.name == "trigger").values(token=Lease.token + 1))


def by_idempotency_key(session: Session, key: str) -> SyncRun | None:
    return session.scalars(select(SyncRun).where(SyncRun.idempotency_key == key)).first()


def request_cancel(session: Session, run_id: int) -> None:
    session.execute(update(SyncRun).where(SyncRun.id == run_id).values(cancel_requested=True))


def cancel_requested(session: Session, run_id: int) -> bool:
    return bool(session.scalar(select(SyncRun.cancel_requested).where(SyncRun.id == run_id)))


def next_pending(session: Session) -> SyncRun | None:
    return session.scalars(
        select(SyncRun).where(SyncRun.status == RunStatus.PENDING).order_by(SyncRun.id).limit(1)
    ).first()


def claim(session: Session, run_id: int, *, holder: str, token: int) -> bool:
    """Take a pending run for this process; False when another process was faster."""
    result = session.execute(
        update(SyncRun)
        .where(SyncRun.id == run_id, SyncRun.status == RunStatus.PENDING)
        .values(status=RunStatus.RUNNING, holder=holder, lease_token=token, started_at=utcnow())
    )
    return affected(result) > 0


def page(
    session: Session,
    *,
    limit: int,
    before_id: int | None = None,
    status: RunStatus | None = None,
    tahun_anggaran: int | None = None,
    tahap: str | None = None,
    trigger: Trigger | None = None,
    opd: frozenset[str] | None = None,
) -> list[SyncRun]:
    """Newest first; one row more than `limit` tells the caller another page exists.
    With ``opd``, only the runs that covered one of those OPDs."""
    stmt = select(SyncRun).where(covering(opd)).order_by(SyncRun.id.desc()).limit(limit + 1)
    if before_id is not None:
        stmt = stmt.where(SyncRun.id < before_id)
    if status is not None:
        stmt = stmt.where(SyncRun.status == status)
    if tahun_anggaran is not None:
        stmt = stmt.where(SyncRun.tahun_anggaran == tahun_anggaran)
    if tahap is not None:
        stmt = stmt.where(SyncRun.tahap == tahap)
    if trigger is not None:
        stmt = stmt.where(SyncRun.trigger == trigger)
    return list(session.scalars(stmt))


def last_per_scope(session: Session, *, opd: frozenset[str] | None = None) -> list[SyncRun]:
    """The latest finished run of each (tahun, tahap); with ``opd``, the latest
    of those that covered one of these OPDs."""
    latest = (
        select(func.max(SyncRun.id))
        .where(SyncRun.status.not_in(ACTIVE), SyncRun.pratinjau.is_(False), covering(opd))
        .group_by(SyncRun.tahun_anggaran, SyncRun.tahap)
    )
    return list(
        session.scalars(select(SyncRun).where(SyncRun.id.in_(latest)).order_by(SyncRun.id.desc()))
    )


def covering(opd: frozenset[str] | None) -> ColumnElement[bool]:
    """Runs that covered one of ``opd`` (None: every run): a run of every OPD,
    or one whose ``kode_skpd`` names one of them.

    ``kode_skpd`` is a JSON list; SQLite and PostgreSQL read JSON lists with
    functions of their own, so the list is matched as its text, where each code
    stands in quotes. A run of every OPD holds JSON null (SQL NULL in old rows).
    """
    if opd is None:
        return true()
    text = cast(SyncRun.kode_skpd, String)
    return or_(
        SyncRun.kode_skpd.is_(None),
        text == "null",
        *(
            text.like(f'%"{escape_like(json_text.dumps(kode)[1:-1])}"%', escape="\\")
            for kode in sorted(opd)
        ),
    )


def set_held(session: Session, run_id: int, held: dict[str, str]) -> None:
    """The OPDs the guard held in this run, each with why."""
    session.execute(update(SyncRun).where(SyncRun.id == run_id).values(ditahan=held))


def superseded(session: Session, run_ids: Sequence[int], *, by_run: int) -> None:
    """Held runs whose waiting plan a later run decided again: nothing of them
    can be approved any more."""
    if not run_ids:
        return
    session.execute(
        update(SyncRun)
        .where(SyncRun.id.in_(run_ids), SyncRun.keputusan.is_(None))
        .values(keputusan="digantikan", alasan=f"diputuskan lagi oleh run {by_run}")
    )


def later_writing_run(session: Session, run: SyncRun) -> int | None:
    """A run of the same tahun/tahap that started after this one and could
    write (not a preview, not one applying this run's plan)."""
    return session.scalar(
        select(func.min(SyncRun.id)).where(
            SyncRun.tahun_anggaran == run.tahun_anggaran,
            SyncRun.tahap == run.tahap,
            SyncRun.id > run.id,
            SyncRun.pratinjau.is_(False),
            SyncRun.started_at.is_not(None),
            or_(SyncRun.menerapkan_run_id.is_(None), SyncRun.menerapkan_run_id != run.id),
        )
    )


def waiting_for_approval(
    session: Session,
    *,
    previews_since: datetime | None,
    tahun_anggaran: int | None = None,
    tahap: str | None = None,
) -> list[SyncRun]:
    """Runs whose plan waits for an admin's decision, newest first, by the rule
    approval itself follows (app.runs.persetujuan.waits): a run whose writes the
    guard held, also one stopped after it held them, and a preview that
    succeeded after ``previews_since`` (an older one can no longer be approved;
    None: no previews). ``tahun_anggaran``/``tahap``: one scope only."""
    held = and_(
        SyncRun.pratinjau.is_(False),
        SyncRun.ditahan.is_not(None),
        SyncRun.status.not_in((RunStatus.PENDING, RunStatus.RUNNING)),
    )
    waiting = held
    if previews_since is not None:
        preview = and_(
            SyncRun.pratinjau.is_(True),
            SyncRun.status == RunStatus.SUCCEEDED,
            SyncRun.finished_at >= previews_since,
        )
        waiting = or_(held, preview)
    stmt = select(SyncRun).where(SyncRun.keputusan.is_(None), waiting)
    if tahun_anggaran is not None:
        stmt = stmt.where(SyncRun.tahun_anggaran == tahun_anggaran)
    if tahap is not None:
        stmt = stmt.where(SyncRun.tahap == tahap)
    found = session.scalars(stmt.order_by(SyncRun.id.desc()))
    # A JSON null or an empty object in ``ditahan`` holds nothing.
    return [run for run in found if run.pratinjau or run.ditahan]


def held_now(session: Session, *, tahun_anggaran: int, tahap: str) -> SyncRun | None:
    """The scope's latest finished run, when the guard held part of it and no
    admin has decided yet (its ``ditahan`` names the OPDs whose writes wait)."""
    latest = session.scalars(
        select(SyncRun)
        .where(
            SyncRun.tahun_anggaran == tahun_anggaran,
            SyncRun.tahap == tahap,
            SyncRun.finished_at.is_not(None),
            SyncRun.pratinjau.is_(False),
        )
        .order_by(SyncRun.finished_at.desc(), SyncRun.id.desc())
        .limit(1)
    ).first()
    if latest is None or latest.status != RunStatus.HELD or latest.keputusan is not None:
        return None
    return latest
