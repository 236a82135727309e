"""The pages' stylesheet and script, served by the service itself: the Pemda
intranet may have no internet, so nothing comes from a CDN."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter
from fastapi import Path as InPath
from fastapi.responses import FileResponse

from app.api.inputs import TextRule
from app.web.errors import TidakDitemukan

STATIC = Path(__file__).parent / "static"
# Only these files, whatever the path asks for.
ASET = {
    "laporan.css": "text/css; charset=utf-8",
    "laporan.js": "text/javascript; charset=utf-8",
}

router = APIRouter(prefix="/laporan", include_in_schema=False)


@router.get("/aset/{nama}")
def aset(nama: Annotated[str, TextRule(100), InPath()]) -> FileResponse:
    media_type = ASET.get(nama)
    if media_type is None:
        raise TidakDitemukan(f"berkas '{nama}' tidak ada")
    return FileResponse(
        STATIC / nama,
        media_type=media_type,
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )
