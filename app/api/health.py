"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from app import migrate

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    try:
        ready = migrate.is_at_head(request.app.state.engine)
    except SQLAlchemyError as exc:
        return JSONResponse(
            {"error": "basis_data", "detail": f"basis data tidak dapat dihubungi: {exc}"}, 503
        )
    if not ready:
        return JSONResponse({"error": "migrasi", "detail": "migrasi belum di versi terbaru"}, 503)
    return JSONResponse({"status": "siap"})
