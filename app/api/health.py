"""Liveness and readiness."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from app import migrate
from app.http.deps import EngineDep

router = APIRouter(tags=["health"])
log = logging.getLogger(__name__)


@router.get("/healthz", summary="Proses layanan hidup")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Siap melayani: basis data terhubung dan migrasinya versi terbaru",
    responses={503: {"description": "Belum siap: basis data atau migrasinya"}},
)
def readyz(engine: EngineDep) -> JSONResponse:
    try:
        ready = migrate.is_at_head(engine)
    except SQLAlchemyError as exc:
        # Public route: the address, port and name of the database stay in the log.
        log.error("readyz: basis data tidak dapat dihubungi: %s", exc)
        return JSONResponse(
            {"error": "basis_data", "detail": "basis data tidak dapat dihubungi"}, 503
        )
    if not ready:
        return JSONResponse({"error": "migrasi", "detail": "migrasi belum di versi terbaru"}, 503)
    return JSONResponse({"status": "siap"})
