"""What the report pages answer when something is wrong: an HTML page in Bahasa
Indonesia with the status it deserves, never the API's JSON. A browser that
asks for a page anywhere outside /api (a mistyped address, a wrong method, a
crash) gets the same page, with the API's sentence."""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.db import session_scope
from app.http.deps import parts
from app.http.errors import ApiError, describe, names_nothing
from app.web.errors import BelumMasuk, HalamanGalat, TerlaluBanyak, TidakDitemukan
from app.web.render import page
from app.web.sessions import COOKIE, PATH, current, sign_in_url

log = logging.getLogger(__name__)


# The page's title for an error that is not a page's own (HalamanGalat).
_JUDUL = {
    400: "Permintaan tidak dapat diproses",
    401: "Perlu masuk",
    403: "Akses ditolak",
    404: "Halaman tidak ditemukan",
    405: "Metode tidak diizinkan",
    409: "Tidak dapat dilakukan sekarang",
    413: "Isian terlalu besar",
    422: "Isian tidak valid",
    429: "Terlalu banyak permintaan",
    500: "Terjadi kesalahan di server",
    503: "Layanan sedang tidak tersedia",
}
# Headers of the API's answer that still mean something on the page.
_KEPT = ("allow", "retry-after")
# The errors the API renders as JSON (app.http.errors); a browser gets them as pages.
_HANDLED: tuple[type[Exception], ...] = (
    StarletteHTTPException,
    ApiError,
    RequestValidationError,
    OperationalError,
    InterfaceError,
    Exception,
)

Handler = Callable[[Request, Any], Response | Awaitable[Response]]


def wants_html(request: Request) -> bool:
    """A browser asking for a page; the API (/api/...) answers JSON to everyone."""
    path = request.url.path
    if path == "/api" or path.startswith("/api/"):
        return False
    return "text/html" in request.headers.get("accept", "").lower()


def error_page(request: Request, *, status_code: int, judul: str, pesan: str) -> Response:
    """The report's error page, with the signed-in header when the browser has a session."""
    if getattr(request.state, "pengguna", None) is None:
        request.state.pengguna = _reader(request)
    return page(request, "galat.html", status_code=status_code, judul=judul, pesan=pesan)


def _reader(request: Request) -> object | None:
    """Who is signed in on this browser, for the header; nobody when that
    cannot be told (no cookie, or the database is what failed)."""
    if not request.cookies.get(COOKIE):
        return None
    try:
        with session_scope(parts(request).session_factory) as session:
            return current(request, session)
    except Exception:
        log.warning("sesi untuk halaman galat tidak dapat dibaca", exc_info=True)
        return None


def _for_browsers(answer_json: Handler) -> Handler:
    """The API's handler, its answer turned into the report's page when a
    browser asks: the same status and the same sentence, as HTML."""

    async def handler(request: Request, exc: Any) -> Response:
        answer = answer_json(request, exc)
        json_answer = await answer if inspect.isawaitable(answer) else answer
        if not wants_html(request):
            return json_answer
        try:
            detail = str(json.loads(bytes(json_answer.body))["detail"])
            pesan = detail[:1].upper() + detail[1:]  # a sentence on a page
            status_code = json_answer.status_code
            html = error_page(
                request,
                status_code=status_code,
                judul=_JUDUL.get(status_code, "Permintaan tidak dapat diproses"),
                pesan=pesan,
            )
        except Exception:
            # A page that cannot be drawn must not turn an answer into a crash.
            log.exception("halaman galat tidak dapat dibuat")
            return json_answer
        for name in _KEPT:
            if name in json_answer.headers:
                html.headers[name] = json_answer.headers[name]
        return html

    return handler


def install(app: FastAPI) -> None:
    """After app.http.errors: its JSON handlers, wrapped to answer browsers with pages."""
    for kind in _HANDLED:
        answer_json = app.exception_handlers.get(kind)
        if answer_json is not None:
            app.add_exception_handler(kind, _for_browsers(answer_json))

    @app.exception_handler(HalamanGalat)
    async def _halaman_galat(request: Request, exc: HalamanGalat) -> Response:
        if isinstance(exc, BelumMasuk) and request.method == "GET":
            return RedirectResponse(sign_in_url(request), status_code=303)
        answer = error_page(request, status_code=exc.status_code, judul=exc.judul, pesan=exc.detail)
        if isinstance(exc, TerlaluBanyak):
            answer.headers["Retry-After"] = str(exc.retry_after)
        return answer

    # Replaces the API's handler (app.http.errors.install ran first, wrapped for
    # browsers above) and hands it every request that is not for a page.
    answer_invalid = app.exception_handlers[RequestValidationError]

    @app.exception_handler(RequestValidationError)
    async def _masukan_ditolak(request: Request, exc: RequestValidationError) -> Response:
        if request.url.path != PATH and not request.url.path.startswith(f"{PATH}/"):
            answer = answer_invalid(request, exc)
            return await answer if inspect.isawaitable(answer) else answer
        refused = (
            TidakDitemukan(f"alamat ini tidak menunjuk ke halaman yang ada ({describe(exc)})")
            if names_nothing(exc)
            else HalamanGalat(describe(exc))
        )
        return await _halaman_galat(request, refused)
