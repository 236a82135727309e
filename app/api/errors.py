"""One error shape for every 4xx/5xx: {"error": "<code>", "detail": "<message>"}."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)


class ApiError(Exception):
    """A domain error that knows its HTTP status; one handler renders them all."""

    status_code = 400
    code = "permintaan_salah"

    def __init__(
        self, detail: str, *, code: str | None = None, status_code: int | None = None
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        if status_code is not None:
            self.status_code = status_code


class NotFound(ApiError):
    status_code = 404
    code = "tidak_ditemukan"


class Unauthorized(ApiError):
    status_code = 401
    code = "tidak_terautentikasi"


class Forbidden(ApiError):
    status_code = 403
    code = "tidak_berwenang"


class Conflict(ApiError):
    status_code = 409
    code = "konflik"


def _responses() -> dict[int | str, dict[str, Any]]:
    from app.api.schemas import ErrorOut

    described = {
        400: "Permintaan salah",
        401: "Tanpa kunci API atau kunci tidak dikenal",
        403: "Peran tidak cukup",
        404: "Tidak ditemukan",
        422: "Isi permintaan tidak valid",
    }
    return {code: {"model": ErrorOut, "description": text} for code, text in described.items()}


_MESSAGES = {
    "missing": "wajib diisi",
    "extra_forbidden": "field tidak dikenal",
    "int_parsing": "harus bilangan bulat",
    "int_type": "harus bilangan bulat",
    "bool_parsing": "harus true atau false",
    "bool_type": "harus true atau false",
    "string_type": "harus teks",
    "list_type": "harus daftar",
    "json_invalid": "JSON tidak valid",
    "model_attributes_type": "harus objek JSON",
    "dict_type": "harus objek JSON",
}


_WITH_CONTEXT = {
    "literal_error": "harus salah satu dari {expected}",
    "enum": "harus salah satu dari {expected}",
    "greater_than_equal": "paling kecil {ge}",
    "greater_than": "harus lebih dari {gt}",
    "less_than_equal": "paling besar {le}",
    "less_than": "harus kurang dari {lt}",
    "string_pattern_mismatch": "format tidak sesuai",
    "too_short": "terlalu sedikit isinya",
    "too_long": "terlalu banyak isinya",
    "string_too_long": "terlalu panjang",
    "string_too_short": "tidak boleh kosong",
}


class _Context(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def _in_indonesian(err: Any) -> str:
    """Pydantic's English message, said in Bahasa Indonesia for the common cases."""
    kind = err.get("type")
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    if kind in _WITH_CONTEXT:
        context = _Context(err.get("ctx") or {})
        if isinstance(context.get("expected"), str):
            # pydantic lists the choices as "'a', 'b' or 'c'".
            context["expected"] = context["expected"].replace("' or '", "' atau '")
        return _WITH_CONTEXT[kind].format_map(context)
    return str(err.get("msg"))


_PLACES = frozenset({"body", "query", "path"})


def _body(code: str, detail: str) -> dict[str, str]:
    return {"error": code, "detail": detail}


ERROR_RESPONSES = _responses()


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "X-API-Key"} if exc.status_code == 401 else None
        return JSONResponse(
            _body(exc.code, exc.detail), status_code=exc.status_code, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for err in exc.errors():
            # "kategori", not "query.kategori": people name the field, not its place.
            where = ".".join(str(p) for p in err.get("loc", ()) if p not in _PLACES)
            parts.append(f"{where}: {_in_indonesian(err)}")
        return JSONResponse(_body("validasi", "; ".join(parts)), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "tidak_ditemukan", 405: "metode_tidak_diizinkan"}.get(
            exc.status_code, "galat_http"
        )
        return JSONResponse(
            _body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("galat tak terduga", exc_info=exc)
        return JSONResponse(
            _body("galat_internal", "terjadi kesalahan di server; lihat log layanan"),
            status_code=500,
        )
