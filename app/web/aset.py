"""Every script, stylesheet and icon a page of the service loads, served by the
service itself: the pemda's intranet may have no internet, so nothing comes
from a CDN (and nothing runs that a CDN chose to serve that day)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import fastapi_offline
from fastapi import APIRouter
from fastapi import Path as InPath
from fastapi.responses import FileResponse

from app.http.inputs import TextRule
from app.web.errors import TidakDitemukan

STATIC = Path(__file__).parent / "static"
# Swagger UI and ReDoc as the pinned fastapi-offline package ships them.
VENDOR = Path(fastapi_offline.__file__).parent / "static"
_JS = "text/javascript; charset=utf-8"
_CSS = "text/css; charset=utf-8"

# Only these files, whatever the path asks for: name -> (file, media type).
ASET: dict[str, tuple[Path, str]] = {
    "laporan.css": (STATIC / "laporan.css", _CSS),
    "laporan.js": (STATIC / "laporan.js", _JS),
}
DOCS_ASET: dict[str, tuple[Path, str]] = {
    "swagger-ui-bundle.js": (VENDOR / "swagger-ui-bundle.js", _JS),
    "swagger-ui.css": (VENDOR / "swagger-ui.css", _CSS),
    "redoc.standalone.js": (VENDOR / "redoc.standalone.js", _JS),
    "favicon.png": (VENDOR / "favicon.png", "image/png"),
    "docs.js": (STATIC / "docs.js", _JS),
    "docs.css": (STATIC / "docs.css", _CSS),
    "redoc.js": (STATIC / "redoc.js", _JS),
}

router = APIRouter(include_in_schema=False)


def _serve(files: dict[str, tuple[Path, str]], nama: str) -> FileResponse:
    found = files.get(nama)
    if found is None:
        raise TidakDitemukan(f"berkas '{nama}' tidak ada")
    path, media_type = found
    return FileResponse(
        path, media_type=media_type, headers={"Cache-Control": "public, max-age=3600"}
    )


Nama = Annotated[str, TextRule(100), InPath()]


@router.get("/laporan/aset/{nama}")
def aset(nama: Nama) -> FileResponse:
    return _serve(ASET, nama)


@router.get("/docs/aset/{berkas}")
def docs_aset(berkas: Nama) -> FileResponse:
    return _serve(DOCS_ASET, berkas)
