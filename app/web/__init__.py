"""The planners' report pages at /laporan: server-rendered, in Bahasa Indonesia,
signed in with a key once per browser session."""

from __future__ import annotations

from fastapi import FastAPI

from app.web import aset, beranda, dokumentasi, ekspor, errors, keputusan, masuk, pages

ROUTERS = tuple(
    module.router for module in (beranda, aset, dokumentasi, masuk, pages, keputusan, ekspor)
)


def install(app: FastAPI) -> None:
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router)
