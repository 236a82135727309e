"""What is happening now, how each scope last ended, and what comes next."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.schemas import CurrentRun, RunOut, ScopeStatus, StatusOut, SystemContact
from app.http.deps import OpdScopeDep, SchedulerDep, SessionDep
from app.models import RunStatus
from app.repositories import dead_letters, runs
from app.sync import contacts

router = APIRouter(prefix="/api/v1", tags=["status"])


@router.get("/status", response_model=StatusOut, summary="Status sinkronisasi")
def status(session: SessionDep, scope: OpdScopeDep, scheduler: SchedulerDep) -> StatusOut:
    """Untuk kunci yang dibatasi ke OPD: hanya run OPD-nya, tanpa jumlah seluruh
    pemda (app/access/policy.py)."""
    current = None
    active = runs.active(session)
    if active is not None and scope.shows_run(active.kode_skpd):
        # The worker is another process: what it recorded (each page) is what we know.
        current = CurrentRun(
            id=active.id,
            tahun_anggaran=active.tahun_anggaran,
            tahap=active.tahap,
            kode_skpd=scope.cut(active.kode_skpd),
            status=active.status,
            stage=active.stage,
            records_so_far=None if scope.limited else active.records_pulled,
            started_at=active.started_at if active.status == RunStatus.RUNNING else None,
        )
    open_letters = {} if scope.limited else dead_letters.count_open(session)
    return StatusOut(
        current_run=current,
        scopes=[
            ScopeStatus(
                tahun_anggaran=run.tahun_anggaran,
                tahap=run.tahap,
                last_run=RunOut.seen_through(run, scope),
                open_dead_letters=None
                if scope.limited
                else open_letters.get((run.tahun_anggaran, run.tahap), 0),
            )
            for run in runs.last_per_scope(session, opd=scope.opd)
        ],
        next_scheduled_run=scheduler.next_fire() if scheduler is not None else None,
        schedule=scheduler.schedule.expression if scheduler is not None else None,
        eprogram=SystemContact(**vars(contacts.last(session, "eprogram"))),
        eplanning=SystemContact(**vars(contacts.last(session, "eplanning"))),
        open_dead_letters=None if scope.limited else sum(open_letters.values()),
    )
