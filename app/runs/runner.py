"""Create a run and carry it out with clients built from the settings."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.db import session_scope
from app.models import Trigger
from app.observability.logs import bind_run
from app.repositories import runs
from app.sync import clients
from app.sync.pipeline import Pipeline
from app.sync.progress import Progress, RunSummary
from app.sync.scope import Scope


def create_run(
    session_factory: sessionmaker[Session],
    scope: Scope,
    *,
    trigger: Trigger,
    triggered_by: str | None = None,
    pratinjau: bool = False,
    paksa: bool = False,
) -> int:
    """A pending run; ``pratinjau``: a preview (decides, writes nothing to
    E-Planning); ``paksa``: the guard is skipped."""
    with session_scope(session_factory) as session:
        run = runs.create(
            session,
            tahun_anggaran=scope.tahun_anggaran,
            tahap=scope.tahap,
            kode_skpd=scope.kode_skpd,
            full=scope.full,
            trigger=trigger,
            triggered_by=triggered_by,
            pratinjau=pratinjau,
            paksa=paksa,
        )
        return run.id


async def execute_run(
    run_id: int,
    *,
    settings: Settings,
    session_factory: sessionmaker[Session],
    progress: Callable[[Progress], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    should_stop: Callable[[], bool] | None = None,
    fence: Callable[[Session], None] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> RunSummary:
    """Carry out one created run against the configured E-Program and E-Planning."""
    with bind_run(run_id):
        async with (
            clients.eprogram(settings, transport=transport) as eprogram,
            clients.eplanning(settings, transport=transport) as eplanning,
        ):
            pipeline = Pipeline(
                settings=settings,
                session_factory=session_factory,
                eprogram=eprogram,
                eplanning=eplanning,
                progress=progress,
                should_cancel=should_cancel,
                should_stop=should_stop,
                fence=fence,
            )
            return await pipeline.execute(run_id)
