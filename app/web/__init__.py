"""The planners' report pages at /laporan: server-rendered, in Bahasa Indonesia,
signed in with a key once per browser session."""

from __future__ import annotations

from fastapi import FastAPI

from app.web import aset, errors, keputusan, masuk, pages


def install(app: FastAPI) -> None:
    errors.install(app)
    for module in (aset, masuk, pages, keputusan):
        app.include_router(module.router)
