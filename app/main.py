"""Assemble the service: the API (app.api) and the report pages (app.web) on
the shared HTTP plumbing (app.http): the error shape, the access policy, the
service's parts and, when asked, the worker process that carries out runs and
the nightly schedule (app.runs.supervisor)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from sqlalchemy import Engine
from starlette.types import ASGIApp

from app import web
from app.access.ratelimit import RateLimiter
from app.access.slots import Slots
from app.api import (
    audit_log,
    dead_letters,
    health,
    metrics,
    mismatches,
    openapi,
    rencana,
    rencana_ekspor,
    ringkasan,
    runs,
    status,
    tindak_lanjut,
)
from app.config import Settings
from app.db import make_session_factory
from app.http import deps, errors
from app.http.deps import Parts, admitted
from app.http.guard import Guard
from app.http.head import HeadAsGet
from app.http.headers import SecurityHeaders
from app.http.known_opd import KnownOpd
from app.mismatches.ikhtisar import Simpanan
from app.runs.schedule import Schedule, Scheduler
from app.runs.supervisor import WorkerProcess

DESCRIPTION = """
Integrasi E-Program → E-Planning Kabupaten Kepulauan Meranti.

Kirim kunci API di header `X-API-Key`. Peran `planner` boleh membaca status dan
riwayat run, membaca dan memutuskan mismatch, membaca ringkasan dan mengunduh
laporan (kunci planner dapat dibatasi ke OPD tertentu); peran `admin` boleh
semuanya (memulai dan membatalkan run, mengirim ulang dead letter, membaca jejak
audit). Setiap galat berbentuk
`{"error": "<kode>", "detail": "<pesan>"}`.
"""


class Service(FastAPI):
    """FastAPI with the security headers outside Starlette's ServerErrorMiddleware,
    which is otherwise the outermost layer: a 500 carries them too."""

    base_url: str | None = None

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack(), base_url=self.base_url)


def create_app(
    settings: Settings,
    engine: Engine,
    *,
    background: bool = False,
    scheduled: bool | None = None,
) -> FastAPI:
    """The service. With ``background`` it starts and supervises a worker process
    that carries out queued runs, keeps the schedule and sends the digests.
    ``scheduled`` (default: ``background``) shows the schedule in /status, for a
    service whose runs a `sinkron worker` beside it carries out."""
    session_factory = make_session_factory(engine)
    work = WorkerProcess(settings) if background else None
    schedule = Schedule.from_text(settings.schedule, settings.sync_scopes)
    shown = background if scheduled is None else scheduled
    # Only read for /status (next firing); the worker's own Scheduler creates the runs.
    scheduler = (
        Scheduler(schedule=schedule, session_factory=session_factory)
        if shown and schedule.scopes
        else None
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if work is not None:
            work.start()
        try:
            yield
        finally:
            if work is not None:
                work.stop()

    app = Service(
        title="Sinkron",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        dependencies=[Depends(admitted)],
        responses=errors.ERROR_RESPONSES,
        # app.web.dokumentasi serves both from the service itself, not a CDN.
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.base_url = settings.base_url_text
    deps.install(
        app,
        Parts(
            settings=settings,
            engine=engine,
            session_factory=session_factory,
            known_opd=KnownOpd(settings),
            export_slots=Slots(settings.export_concurrent),
            sign_in_failures=RateLimiter(
                settings.laporan_sign_in_failures,
                window_seconds=settings.laporan_sign_in_window_seconds,
            ),
            ikhtisar=Simpanan(
                session_factory,
                batas_hari=settings.tindak_lanjut_hari,
                jadwal=settings.schedule,
            ),
            wake=work.wake if work else None,
            scheduler=scheduler,
        ),
    )
    errors.install(app)
    # Added last, runs first: the guard checks a HEAD as the GET it stands for.
    app.add_middleware(HeadAsGet)
    app.add_middleware(Guard, settings=settings, session_factory=session_factory)
    for module in (
        health,
        status,
        runs,
        rencana,
        rencana_ekspor,
        dead_letters,
        audit_log,
        mismatches,
        ringkasan,
        tindak_lanjut,
    ):
        app.include_router(module.router)
    app.include_router(metrics.router)
    web.install(app)
    openapi.install(app)
    return app
