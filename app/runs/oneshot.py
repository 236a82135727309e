"""One run carried out in this process, start to finish: what `sinkron sync` and
`sinkron rencana setujui` do.

The service leaves runs to its worker process instead (app.runs.process).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app import migrate
from app.access import audit
from app.access.keys import Principal
from app.config import Settings
from app.db import make_engine, make_session_factory, session_scope
from app.models import Trigger
from app.report import peringatan_run
from app.repositories import runs
from app.runs import persetujuan
from app.runs.worker import RunWorker
from app.sync.progress import Progress, RunSummary
from app.sync.scope import Scope


class NotMigrated(Exception):
    """The database lacks the newest migration; the message says what to run."""


@dataclass(frozen=True)
class Done:
    """A run carried out here, and what its record warns about (app.report.peringatan_run)."""

    summary: RunSummary
    peringatan: str | None


def run_once(
    settings: Settings,
    scope: Scope,
    *,
    trigger: Trigger,
    principal: Principal,
    progress: Callable[[Progress], None] | None = None,
    pratinjau: bool = False,
    paksa: bool = False,
) -> Done:
    """Create one run, carry it out here under the lease and audit it as `principal`'s
    (``pratinjau``: decide and write nothing; ``paksa``: skip the guard).

    Raises NotMigrated before anything is written, and app.runs.worker.Busy
    when another process holds the lease.
    """
    engine = make_engine(settings.database_url)
    try:
        sessions = _migrated(engine)
        worker = RunWorker(settings=settings, session_factory=sessions)
        summary = worker.run_now(
            scope, trigger=trigger, progress=progress, pratinjau=pratinjau, paksa=paksa
        )
        asked = {
            "tahun_anggaran": scope.tahun_anggaran,
            "tahap": scope.tahap,
            "kode_skpd": list(scope.kode_skpd),
            "full": scope.full,
            "pratinjau": pratinjau,
            "paksa": paksa,
        }
        with session_scope(sessions) as session:
            audit.record(
                session,
                principal=principal,
                action="run.buat",
                target=f"run {summary.run_id}",
                detail=asked,
            )
            run = runs.get(session, summary.run_id)
            warning = run and peringatan_run(run)
        return Done(summary, warning or None)
    finally:
        engine.dispose()


def approve_once(
    settings: Settings,
    run_id: int,
    *,
    principal: Principal,
    progress: Callable[[Progress], None] | None = None,
) -> Done:
    """Approve run ``run_id``'s waiting plan and push it here, under the lease:
    what `sinkron rencana setujui` does (app.runs.persetujuan). The approval is
    audited when it is made, before the push.

    Raises LookupError for a run that does not exist, persetujuan.Refused for a
    plan that cannot be approved, NotMigrated and Busy as :func:`run_once`.
    """
    engine = make_engine(settings.database_url)
    try:
        sessions = _migrated(engine)
        with session_scope(sessions) as session:
            run = runs.get(session, run_id)
            if run is None:
                raise LookupError(f"run {run_id} tidak ada")
            scope = Scope(run.tahun_anggaran, run.tahap, tuple(run.kode_skpd or ()), False)

        def approve() -> int:
            with session_scope(sessions) as session:
                decided = persetujuan.approve(
                    session, run_id, by=principal.name, trigger=Trigger.CLI,
                    valid_hours=settings.pratinjau_berlaku_jam,
                )  # fmt: skip
                assert decided.applying is not None  # an approval always makes its run
                audit.record(
                    session, principal=principal, action="rencana.setujui",
                    target=f"run {run_id}",
                    detail={"baris": decided.rows, "run_penerapan": decided.applying.id},
                )  # fmt: skip
                return decided.applying.id

        worker = RunWorker(settings=settings, session_factory=sessions)
        summary = worker.run_now(scope, trigger=Trigger.CLI, progress=progress, create=approve)
        with session_scope(sessions) as session:
            applied = runs.get(session, summary.run_id)
            warning = applied and peringatan_run(applied)
        return Done(summary, warning or None)
    finally:
        engine.dispose()


def _migrated(engine: Engine) -> sessionmaker[Session]:
    if not migrate.is_at_head(engine):
        raise NotMigrated(
            "basis data belum dimigrasi ke versi terbaru: jalankan `sinkron db upgrade`"
        )
    return make_session_factory(engine)
