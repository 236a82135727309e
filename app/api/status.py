"""What is happening now, how each scope last ended, and what comes next."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter
from sqlalchemy.orm import Session

from app.access.opd_scope import OpdScope
from app.api.schemas import (
    CurrentRun,
    MenungguPersetujuan,
    RunOut,
    ScopeStatus,
    StatusOut,
    SystemContact,
)
from app.http.deps import OpdScopeDep, SchedulerDep, SessionDep, SettingsDep
from app.models import RunStatus, SyncRun, utcnow
from app.repositories import dead_letters, runs
from app.runs import persetujuan
from app.sync import contacts

router = APIRouter(prefix="/api/v1", tags=["status"])


@router.get("/status", response_model=StatusOut, summary="Status sinkronisasi")
def status(
    session: SessionDep,
    scope: OpdScopeDep,
    scheduler: SchedulerDep,
    settings: SettingsDep,
) -> StatusOut:
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
        menunggu_persetujuan=_waiting(session, scope, settings.pratinjau_berlaku_jam),
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


def _waiting(session: Session, scope: OpdScope, valid_hours: float) -> list[MenungguPersetujuan]:
    """Held runs and undecided previews still valid, as far as they concern ``scope``;
    each says whether approval would still be accepted (app.runs.persetujuan.obstacle)."""
    found = []
    valid = timedelta(hours=valid_hours)
    for run in runs.waiting_for_approval(session, previews_since=utcnow() - valid):
        if run.pratinjau:
            if not scope.shows_run(run.kode_skpd):
                continue
            kode, alasan = scope.cut(run.kode_skpd), {}
        else:
            alasan = {k: v for k, v in (run.ditahan or {}).items() if scope.shows(k)}
            if not alasan:
                continue
            kode = sorted(alasan)
        obstacle = persetujuan.obstacle(session, run, valid_hours)
        found.append(_one(run, kode, alasan, valid, obstacle))
    return found


def _one(
    run: SyncRun,
    kode: list[str] | None,
    alasan: dict[str, str],
    valid: timedelta,
    obstacle: persetujuan.Refused | None,
) -> MenungguPersetujuan:
    return MenungguPersetujuan(
        run_id=run.id,
        jenis="pratinjau" if run.pratinjau else "ditahan",
        tahun_anggaran=run.tahun_anggaran,
        tahap=run.tahap,
        sejak=run.finished_at,
        berlaku_sampai=run.finished_at + valid if run.finished_at else None,
        kode_skpd=kode,
        alasan=alasan,
        rencana=f"/api/v1/runs/{run.id}/rencana",
        dapat_disetujui=obstacle is None,
        penghalang=obstacle.detail if obstacle else None,
    )
