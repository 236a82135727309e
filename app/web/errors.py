"""The report pages' own errors: the shared domain error (app.http.errors) with
a title for the page. app.web.galat renders them, and every other error a
browser meets, as the report's error page."""

from __future__ import annotations

import math

from app.http.errors import ApiError


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


class HanyaAdmin(HalamanGalat):
    """A session whose key is not an admin's, on a page the policy keeps for admins."""

    status_code = 403
    judul = "Hanya untuk admin"


class TerlaluBanyak(HalamanGalat):
    """429: the page says when to try again, and so does Retry-After."""

    status_code = 429
    judul = "Terlalu banyak permintaan"

    def __init__(self, pesan: str, *, retry_after: float) -> None:
        super().__init__(pesan)
        self.retry_after = max(1, math.ceil(retry_after))


class BelumMasuk(HalamanGalat):
    """No live session: a page read goes to the sign-in form, a form post is refused."""

    status_code = 401
    judul = "Sesi berakhir"
