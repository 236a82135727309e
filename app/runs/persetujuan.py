"""An admin's decision on a plan that waits: a preview's, or the writes the
guard held (docs/design.md, "Preview, approval and the guard").

Approving creates a run that pushes exactly the approved rows, each with the
versi the plan saw as ``If-Match``; refusing pushes nothing. The REST routes
and the ``sinkron rencana`` commands both call these two functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from app.models import PlanStatus, RunStatus, SyncRun, Trigger, utcnow
from app.repositories import rencana, runs

DISETUJUI = "disetujui"
DITOLAK = "ditolak"


class Refused(Exception):
    """A plan that cannot be decided on, with why (for a 409 or a CLI error).
    ``sebab``: the reason alone, without what to do about it (for a notice
    that says what follows in its own words); the detail where not given."""

    def __init__(self, detail: str, code: str, sebab: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code
        self.sebab = sebab or detail


@dataclass(frozen=True)
class Decided:
    run: SyncRun  # the run whose plan it was
    rows: int  # rows of the plan the decision covered
    applying: SyncRun | None = None  # the run that pushes them (approval only)


def waits(run: SyncRun) -> bool:
    """A run whose plan waits for an admin: a finished preview, or a run whose
    writes the guard held (also one stopped after it held them)."""
    if run.pratinjau:
        return run.status == RunStatus.SUCCEEDED
    return bool(run.ditahan) and run.status not in (RunStatus.PENDING, RunStatus.RUNNING)


def approve(
    session: Session,
    run_id: int,
    *,
    by: str,
    trigger: Trigger,
    valid_hours: float,
) -> Decided:
    """Approve a run's waiting plan (or continue an approval that stopped)."""
    run = _waiting_run(session, run_id, valid_hours)
    if run.keputusan == DISETUJUI:
        return _resume(session, run, by=by, trigger=trigger)
    if run.keputusan is not None:
        raise Refused(f"rencana run {run_id} sudah {run.keputusan}", "rencana_sudah_diputuskan")
    _refuse_when_busy(session)
    rows = rencana.decide(session, run_id, PlanStatus.DISETUJUI)
    if not rows:
        raise Refused(
            f"rencana run {run_id} tidak berisi kiriman ke E-Planning: tidak ada yang disetujui",
            "rencana_tanpa_kiriman",
        )
    _decided(run, DISETUJUI, by=by)
    return Decided(run, rows, _applying_run(session, run, by=by, trigger=trigger))


def reject(session: Session, run_id: int, *, by: str, alasan: str, valid_hours: float) -> Decided:
    """Refuse a run's waiting plan: nothing of it is pushed."""
    run = _waiting_run(session, run_id, valid_hours, for_rejection=True)
    if run.keputusan is not None:
        raise Refused(f"rencana run {run_id} sudah {run.keputusan}", "rencana_sudah_diputuskan")
    rows = rencana.decide(session, run_id, PlanStatus.DITOLAK)
    _decided(run, DITOLAK, by=by, alasan=alasan)
    return Decided(run, rows)


def _waiting_run(
    session: Session, run_id: int, valid_hours: float, *, for_rejection: bool = False
) -> SyncRun:
    run = runs.get(session, run_id)
    if run is None:
        raise LookupError(f"run {run_id} tidak ada")
    if not waits(run):
        raise Refused(
            f"run {run_id} tidak punya rencana yang menunggu persetujuan "
            "(hanya pratinjau yang selesai atau run yang menunggu persetujuan)",
            "tidak_menunggu_persetujuan",
        )
    if run.keputusan == "digantikan":
        raise Refused(f"rencana run {run_id} sudah {run.alasan}", "rencana_digantikan")
    if for_rejection:
        return run
    refused = obstacle(session, run, valid_hours)
    if refused is not None:
        raise refused
    return run


def obstacle(session: Session, run: SyncRun, valid_hours: float) -> Refused | None:
    """Why a waiting plan can no longer be approved (it can still be refused):
    it expired before anyone approved it, or a later run could have written to
    E-Planning since it was made (an approval that stopped resumes only while
    none has). None: it can be approved. The approval itself, the plan's page
    and the lists of what waits all ask this, so none offers what approval
    would refuse."""
    finished = run.finished_at or run.created_at
    if run.keputusan is None and utcnow() - finished > timedelta(hours=valid_hours):
        sebab = (
            f"sudah kedaluwarsa: dibuat {finished:%Y-%m-%d %H:%M} UTC, berlaku {valid_hours:g} jam"
        )
        return Refused(
            f"rencana run {run.id} {sebab} (SINKRON_PRATINJAU_BERLAKU_JAM); buat pratinjau baru",
            "rencana_kedaluwarsa",
            sebab,
        )
    later = runs.later_writing_run(session, run)
    if later is not None:
        sebab = f"run {later} menulis ke E-Planning sesudahnya"
        return Refused(
            f"rencana run {run.id} sudah usang: {sebab}; buat pratinjau baru",
            "rencana_usang",
            sebab,
        )
    return None


def _refuse_when_busy(session: Session) -> None:
    runs.lock_triggers(session)
    busy = runs.active(session)
    if busy is not None:
        raise Refused(
            f"run {busy.id} masih berjalan; tunggu selesai lalu setujui lagi", "run_berjalan"
        )


def _resume(session: Session, run: SyncRun, *, by: str, trigger: Trigger) -> Decided:
    """Approved before, and its approving run stopped (a crash, a shutdown):
    a new run pushes the rows not pushed yet; those pushed stay as they are."""
    left = rencana.count(session, run.id, PlanStatus.DISETUJUI)
    if not left:
        raise Refused(
            f"rencana run {run.id} sudah diterapkan seluruhnya", "rencana_sudah_diterapkan"
        )
    _refuse_when_busy(session)
    return Decided(run, left, _applying_run(session, run, by=by, trigger=trigger))


def _applying_run(session: Session, run: SyncRun, *, by: str, trigger: Trigger) -> SyncRun:
    opds = rencana.approved_opds(session, run.id)
    applying = runs.create(
        session,
        tahun_anggaran=run.tahun_anggaran,
        tahap=run.tahap,
        kode_skpd=opds,
        full=False,
        trigger=trigger,
        triggered_by=by,
    )
    applying.menerapkan_run_id = run.id
    session.flush()
    return applying


def _decided(run: SyncRun, keputusan: str, *, by: str, alasan: str | None = None) -> None:
    run.keputusan = keputusan
    run.diputuskan_oleh = by
    run.diputuskan_pada = utcnow()
    run.alasan = alasan
