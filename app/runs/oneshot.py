"""One run carried out in this process, start to finish: what `sinkron sync` does.

The service leaves runs to its worker process instead (app.runs.process).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app import migrate
from app.access import audit
from app.access.keys import Principal
from app.config import Settings
from app.db import make_engine, make_session_factory, session_scope
from app.models import Trigger
from app.report import peringatan_run
from app.repositories import runs
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
) -> Done:
    """Create one run, carry it out here under the lease and audit it as `principal`'s.

    Raises NotMigrated before anything is written, and app.runs.worker.Busy
    when another process holds the lease.
    """
    engine = make_engine(settings.database_url)
    try:
        if not migrate.is_at_head(engine):
            raise NotMigrated(
                "basis data belum dimigrasi ke versi terbaru: jalankan `sinkron db upgrade`"
            )
        sessions = make_session_factory(engine)
        worker = RunWorker(settings=settings, session_factory=sessions)
        summary = worker.run_now(scope, trigger=trigger, progress=progress)
        with session_scope(sessions) as session:
            audit.record(
                session, principal=principal, action="run.buat", target=f"run {summary.run_id}"
            )
            run = runs.get(session, summary.run_id)
            warning = run and peringatan_run(run)
        return Done(summary, warning or None)
    finally:
        engine.dispose()
