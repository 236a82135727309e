"""E-Program stand-in: the source API of contracts/eprogram-api.md, over a dataset.

`/api/` endpoints follow the contract; `/_standin/` endpoints (no key, for
tests on loopback) change the data and the faults and read the counts.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response

from standins.control import control_router, instrument
from standins.dataset import TIME_FORMAT, EProgramDataset, FeedKey
from standins.faults import FaultInjector, FaultSettings
from standins.stats import RequestStats

TAHAP = ("renja", "rkpd", "kua_ppas", "apbd", "apbd_perubahan")
DEFAULT_LIMIT = 500
MAX_LIMIT = 1000


class BadRequest(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def encode_cursor(key: FeedKey) -> str:
    """base64("update_at|id"), as in the contract's example."""
    return base64.urlsafe_b64encode(f"{key[0]}|{key[1]}".encode()).decode()


def decode_cursor(cursor: str) -> FeedKey:
    try:
        text = base64.urlsafe_b64decode(cursor.replace("+", "-").replace("/", "_")).decode()
        update_at, id_ = text.split("|")
        datetime.strptime(update_at, TIME_FORMAT)
        return update_at, int(id_)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise BadRequest("parameter after tidak valid") from exc


def _message(code: str, message: str) -> dict[str, Any]:
    return {"message": message}


def create_app(
    dataset: EProgramDataset,
    *,
    api_key: str = "eprogram-dev-key",
    faults: FaultSettings | None = None,
    rate_limit: float | None = None,
    rate_limit_clock: Callable[[], float] = time.monotonic,
) -> FastAPI:
    """The E-Program stand-in app serving `dataset` (`app.state.dataset`).

    `rate_limit`: requests/s per API key beyond which it answers 429 (the
    contract's is `ratelimit.EPROGRAM_PER_SECOND`); None: unlimited.
    """
    app = FastAPI(title="E-Program (stand-in)", docs_url="/_standin/docs", redoc_url=None)
    injector = FaultInjector(faults)
    stats = RequestStats()
    app.state.dataset = dataset
    app.state.faults = injector
    app.state.stats = stats
    # pages served, by (limit, updated_since, after): a page asked for again is redone work
    pages: Counter[str] = Counter()
    app.state.pages = pages
    app.add_exception_handler(BadRequest, _bad_request)  # type: ignore[arg-type]
    api = _api_router(dataset, api_key, pages)
    app.include_router(api)
    app.include_router(control_router(injector, stats, render_error=_message))
    app.include_router(_data_router(dataset, pages))
    instrument(
        app,
        injector,
        stats,
        render_error=_message,
        api=api,
        rate_limit=rate_limit,
        clock=rate_limit_clock,
        credential="x-api-key",
    )
    return app


async def _bad_request(request: Request, exc: BadRequest) -> Response:
    return JSONResponse({"message": exc.message}, status_code=400)


def _api_router(dataset: EProgramDataset, api_key: str, pages: Counter[str]) -> APIRouter:
    """The two endpoints of the contract."""
    router = APIRouter(prefix="/api/v1")

    def unauthorised(request: Request) -> Response | None:
        if request.headers.get("x-api-key") == api_key:
            return None
        return JSONResponse({"message": "X-API-Key tidak ada atau tidak valid"}, status_code=401)

    @router.get("/perangkat-daerah")
    async def perangkat_daerah(request: Request) -> Response:
        if denied := unauthorised(request):
            return denied
        _tahun(request.query_params.get("tahun_anggaran"))
        return JSONResponse({"data": dataset.perangkat_daerah})

    @router.get("/sub-kegiatan")
    async def sub_kegiatan(request: Request) -> Response:
        if denied := unauthorised(request):
            return denied
        query = request.query_params
        tahun = _tahun(query.get("tahun_anggaran"))
        tahap = query.get("tahap")
        if not tahap:
            raise BadRequest("parameter tahap wajib diisi")
        if tahap not in TAHAP:
            raise BadRequest(f"tahap tidak dikenal: {tahap} (pilihan: {', '.join(TAHAP)})")
        updated_since = query.get("updated_since")
        if updated_since is not None:
            _check_time(updated_since)
        after = query.get("after")
        limit = _limit(query.get("limit"))
        records, next_key = dataset.page(
            tahun_anggaran=str(tahun),
            tahap=tahap,
            updated_since=updated_since,
            after=decode_cursor(after) if after else None,
            limit=limit,
        )
        pages[f"{tahun}|{tahap}|{limit}|{updated_since or ''}|{after or ''}"] += 1
        return JSONResponse(
            {
                "data": records,
                "next_after": encode_cursor(next_key) if next_key else None,
                "server_time": dataset.now(),
            }
        )

    return router


def _data_router(dataset: EProgramDataset, pages: Counter[str]) -> APIRouter:
    """Tests change E-Program's data through these (no key: loopback test use)."""
    router = APIRouter(prefix="/_standin")

    @router.get("/pages")
    async def pages_served() -> Response:
        """How often each page was served, by "tahun|tahap|limit|updated_since|after"."""
        return JSONResponse(
            {"pages": dict(pages), "redone": sum(n - 1 for n in pages.values() if n > 1)}
        )

    @router.post("/records")
    async def add_records(request: Request) -> Response:
        """Add or replace raw records (by id); without update_at they get the next tick."""
        body = await _json(request)
        if not isinstance(body, list) or not all(isinstance(r, dict) for r in body):
            raise BadRequest("body harus berupa daftar record")
        try:
            stored = [dataset.add(record) for record in body]
        except (KeyError, ValueError) as exc:
            raise BadRequest(f"record tidak valid: {exc}") from exc
        return JSONResponse({"records": stored})

    @router.post("/touch")
    async def touch(request: Request) -> Response:
        """`{"ids": [...], "changes": {...}}`: change records; they share one new update_at."""
        body = await _json(request)
        if not isinstance(body, dict) or not isinstance(body.get("ids"), list):
            raise BadRequest('body harus {"ids": [...], "changes": {...}}')
        try:
            touched = dataset.touch_many(body["ids"], **(body.get("changes") or {}))
        except KeyError as exc:
            return JSONResponse({"message": str(exc)}, status_code=404)
        return JSONResponse({"records": touched})

    return router


async def _json(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except ValueError as exc:
        raise BadRequest("body bukan JSON yang valid") from exc


def _tahun(value: str | None) -> int:
    if not value:
        raise BadRequest("parameter tahun_anggaran wajib diisi")
    if not value.isdigit() or len(value) != 4:
        raise BadRequest(f"tahun_anggaran tidak valid: {value}")
    return int(value)


def _limit(value: str | None) -> int:
    if value is None:
        return DEFAULT_LIMIT
    if not value.isdigit() or int(value) < 1:
        raise BadRequest(f"limit tidak valid: {value}")
    if int(value) > MAX_LIMIT:
        raise BadRequest(f"limit paling banyak {MAX_LIMIT}")
    return int(value)


def _check_time(value: str) -> None:
    try:
        datetime.strptime(value, TIME_FORMAT)
    except ValueError as exc:
        raise BadRequest("updated_since harus berformat YYYY-MM-DD HH:MM:SS") from exc
