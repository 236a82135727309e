"""The bare address: a person opening it in a browser wants the report."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse

router = APIRouter(include_in_schema=False)


@router.get("/")
def beranda() -> RedirectResponse:
    # Temporary (307): a browser must not remember it if the address serves more later.
    return RedirectResponse("/laporan", status_code=307)
