"""One error shape for every 4xx/5xx: {"error": "<code>", "detail": "<message>"}."""

from __future__ import annotations

import logging
import math
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel, Field
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from app.access import audit
from app.http.head import WAS_HEAD
from app.validation_messages import in_indonesian

log = logging.getLogger(__name__)


# The shape of every error answer in the OpenAPI document (no docstring: it
# would become the schema's description, and the document is in Indonesian).
class ErrorOut(BaseModel):
    error: str = Field(examples=["tidak_ditemukan"])
    detail: str = Field(examples=["run 42 tidak ada"])


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


class Invalid(ApiError):
    status_code = 422
    code = "validasi"


class PayloadTooLarge(ApiError):
    status_code = 413
    code = "isi_terlalu_besar"


class TooManyRequests(ApiError):
    status_code = 429
    code = "terlalu_banyak_permintaan"

    def __init__(self, detail: str, *, retry_after: float) -> None:
        super().__init__(detail)
        self.retry_after = max(1, math.ceil(retry_after))


class Unavailable(ApiError):
    status_code = 503
    code = "basis_data_tidak_tersedia"


DATABASE_DOWN = "basis data tidak dapat dihubungi; coba lagi sebentar lagi"


def _responses() -> dict[int | str, dict[str, Any]]:
    described = {
        400: "Permintaan salah",
        401: "Tanpa kunci API atau kunci tidak dikenal",
        403: "Peran tidak cukup",
        404: "Tidak ditemukan",
        413: "Isi permintaan terlalu besar",
        422: "Isi permintaan tidak valid",
        429: "Terlalu banyak permintaan; tunggu sesuai Retry-After",
        503: "Basis data tidak dapat dihubungi",
    }
    return {code: {"model": ErrorOut, "description": text} for code, text in described.items()}


_PLACES = frozenset({"body", "query", "path"})


def explain(err: Any) -> str:
    """One validation error as a person reads it, naming the field."""
    loc = tuple(err.get("loc", ()))
    if err.get("type") == "json_invalid":
        # pydantic puts the character offset where the body stopped being JSON.
        at = next((p for p in loc[1:] if isinstance(p, int)), None)
        shown = f" (karakter ke-{at})" if at is not None else ""
        return f"isi permintaan bukan JSON yang sah{shown}"
    # "kategori", not "query.kategori": people name the field, not its place.
    where = ".".join(str(p) for p in loc if p not in _PLACES)
    if not where and loc[:1] == ("body",):
        return f"isi permintaan {in_indonesian(err)}"
    return f"{where}: {in_indonesian(err)}"


def describe(exc: RequestValidationError) -> str:
    """Every problem of a request, field by field, in Bahasa Indonesia."""
    return "; ".join(explain(err) for err in exc.errors())


def names_nothing(exc: RequestValidationError) -> bool:
    """Only the path is wrong: an id or a code no row can have names nothing,
    so the answer is 404 (not there), as for a well-formed one that is absent."""
    errors = exc.errors()
    return bool(errors) and all(err.get("loc", ("",))[0] == "path" for err in errors)


def invalid_request(exc: RequestValidationError) -> JSONResponse:
    """The API's answer to input that app.http.inputs (or a model) refused."""
    if names_nothing(exc):
        return JSONResponse(_body(NotFound.code, describe(exc)), status_code=404)
    return JSONResponse(_body(Invalid.code, describe(exc)), status_code=422)


def _body(code: str, detail: str) -> dict[str, str]:
    return {"error": code, "detail": detail}


ERROR_RESPONSES = _responses()


def render(exc: ApiError) -> JSONResponse:
    """The one shape of an error answer (also used by the access guard)."""
    headers: dict[str, str] = {}
    if exc.status_code == 401:
        headers["WWW-Authenticate"] = "X-API-Key"
    if isinstance(exc, TooManyRequests):
        headers["Retry-After"] = str(exc.retry_after)
    return JSONResponse(
        _body(exc.code, exc.detail), status_code=exc.status_code, headers=headers or None
    )


def allowed_methods(request: Request) -> str:
    """Every method some route offers at this path. Starlette's own 405 names
    only the first route whose path matched (GET /api/v1/runs hid POST); HEAD
    is answered wherever GET is (app.http.head)."""
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        if route.path and route.methods and compile_path(route.path)[0].match(request.url.path):
            methods |= route.methods
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods))


NOT_FOUND = "alamat ini tidak ada; periksa penulisannya"


def _http_detail(request: Request, exc: StarletteHTTPException, allow: str | None) -> str:
    """Starlette's English phrase ("Not Found", "Method Not Allowed"), said in
    Bahasa Indonesia with what is wrong; a detail of our own is kept."""
    if exc.detail != HTTPStatus(exc.status_code).phrase:
        return str(exc.detail)
    if exc.status_code == 404:
        return NOT_FOUND
    if exc.status_code == 405:
        method = "HEAD" if request.scope.get(WAS_HEAD) else request.method
        shown = audit.safe_text(method, 20)
        return f"metode {shown} tidak dapat dipakai di alamat ini; yang dapat: {allow}"
    return str(exc.detail)


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return render(exc)

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    async def _database_down(_request: Request, exc: Exception) -> JSONResponse:
        log.error("basis data tidak dapat dihubungi: %s", exc)
        return render(Unavailable(DATABASE_DOWN))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return invalid_request(exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "tidak_ditemukan", 405: "metode_tidak_diizinkan"}.get(
            exc.status_code, "galat_http"
        )
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = allowed_methods(request)
        detail = _http_detail(request, exc, headers.get("Allow"))
        return JSONResponse(_body(code, detail), status_code=exc.status_code, headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("galat tak terduga", exc_info=exc)
        return JSONResponse(
            _body("galat_internal", "terjadi kesalahan di server; lihat log layanan"),
            status_code=500,
        )
