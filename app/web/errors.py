"""What the report pages answer when something is wrong: an HTML page in Bahasa
Indonesia with the status it deserves, never the API's JSON."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response

from app.api.errors import ApiError, describe, invalid_request, names_nothing


class HalamanGalat(ApiError):
    """An error of the pages: the API's domain error with a title for the page;
    its own handler (more specific than the API's) renders it as HTML."""

    judul = "Permintaan tidak dapat diproses"

    def __init__(self, pesan: str, *, status_code: int | None = None, judul: str | None = None):
        super().__init__(pesan, status_code=status_code)
        if judul is not None:
            self.judul = judul


class TidakDitemukan(HalamanGalat):
    # Also for another OPD's page or mismatch: its existence must not leak.
    status_code = 404
    judul = "Halaman tidak ditemukan"


class FormulirPalsu(HalamanGalat):
    status_code = 403
    judul = "Formulir ditolak"


class BelumMasuk(HalamanGalat):
    """No live session: a page read goes to the sign-in form, a form post is refused."""

    status_code = 401
    judul = "Sesi berakhir"


def install(app: FastAPI) -> None:
    from app.web.render import page
    from app.web.sessions import PATH, sign_in_url

    @app.exception_handler(HalamanGalat)
    async def _halaman_galat(request: Request, exc: HalamanGalat) -> Response:
        if isinstance(exc, BelumMasuk) and request.method == "GET":
            return RedirectResponse(sign_in_url(request), status_code=303)
        return page(
            request,
            "galat.html",
            status_code=exc.status_code,
            judul=exc.judul,
            pesan=exc.detail,
        )

    # Replaces the API's handler (app.api.errors.install ran first) and hands
    # it every request that is not for a page.
    @app.exception_handler(RequestValidationError)
    async def _masukan_ditolak(request: Request, exc: RequestValidationError) -> Response:
        if request.url.path != PATH and not request.url.path.startswith(f"{PATH}/"):
            return invalid_request(exc)
        refused = (
            TidakDitemukan(f"alamat ini tidak menunjuk ke halaman yang ada ({describe(exc)})")
            if names_nothing(exc)
            else HalamanGalat(describe(exc))
        )
        return await _halaman_galat(request, refused)
