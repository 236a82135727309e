"""The planners' report pages at /laporan: server-rendered, in Bahasa Indonesia,
signed in with a key once per browser session. A sibling of app.api: both
stand on app.http and neither imports the other."""

from __future__ import annotations

from fastapi import FastAPI

from app.web import (
    aset,
    beranda,
    dokumentasi,
    ekspor,
    galat,
    keputusan,
    keputusan_massal,
    masuk,
    pages,
    pratinjau,
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
        pratinjau,
    )
)


def install(app: FastAPI) -> None:
    """After app.http.errors.install: the pages' error handlers, then their routes."""
    galat.install(app)
    for router in ROUTERS:
        app.include_router(router)
