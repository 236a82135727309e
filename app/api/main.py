"""Assemble the service."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import Engine

from app.api import errors, health, runs
from app.config import Settings
from app.db import make_session_factory


def create_app(settings: Settings, engine: Engine) -> FastAPI:
    app = FastAPI(
        title="Sinkron",
        version="0.1.0",
        description="Integrasi E-Program → E-Planning: status sinkronisasi, riwayat run.",
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    errors.install(app)
    app.include_router(health.router)
    app.include_router(runs.router)
    return app
