"""The planners' report pages at /laporan: server-rendered, in Bahasa Indonesia,
signed in with a key once per browser session."""

from __future__ import annotations

from fastapi import FastAPI

from app.access.ratelimit import RateLimiter
from app.config import Settings
from app.web import (
    aset,
    beranda,
    dokumentasi,
    ekspor,
    errors,
    keputusan,
    keputusan_massal,
    masuk,
    pages,
)

ROUTERS = tuple(
    module.router
    for module in (
        beranda,
        aset,
        dokumentasi,
        masuk,
        pages,
        keputusan,
        keputusan_massal,
        ekspor,
    )
)


def install(app: FastAPI) -> None:
    settings: Settings = app.state.settings
    # Failed sign-ins per client address (app.web.masuk), one count per service.
    app.state.sign_in_failures = RateLimiter(
        settings.laporan_sign_in_failures,
        window_seconds=settings.laporan_sign_in_window_seconds,
    )
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router)
