"""E-Planning stand-in: the target API of contracts/eplanning-api.md, in memory.

`/api/` endpoints follow the contract (bearer tokens, idempotency keys,
If-Match, the 422 table, batch). `/_standin/` endpoints (no token, for tests on
loopback) set faults, read counts, reset the store and play a planner editing
a record by hand.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import time
from bisect import bisect_left, bisect_right, insort
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response

from standins import eplanning_rules as rules
from standins.control import control_router, instrument
from standins.eplanning_rules import Key, Nomenclature, error
from standins.faults import FaultInjector, FaultSettings
from standins.stats import RequestStats

WIB = timezone(timedelta(hours=7))
DEFAULT_TOKENS = {
    "eplanning-dev-token": "integrasi-eprogram",
    "perencana-dev-token": "perencana.bappeda",
}
DEFAULT_LIMIT = 500
MAX_LIMIT = 1000
MAX_BATCH = 200
MAX_IDEMPOTENCY_KEY = 255
RECORD_PATH = "/renja-sub-kegiatan/{tahun_anggaran}/{tahap}/{kode_sub_skpd}/{kode_sub_kegiatan}"
STATS_COUNTERS = (
    "writes_applied",
    "created",
    "replaced",
    "deactivated",
    "unchanged",
    "replays",
    "manual_edits",
    "duplicate_effects",
)


class ApiError(Exception):
    """An answer that is not a record: rendered as `{"errors": [...]}` with `status`."""

    def __init__(self, status: int, field: str | None, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"errors": [error(field, code, message)]}


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]


def _errors(status: int, field: str | None, code: str, message: str) -> Answer:
    return Answer(status, {"errors": [error(field, code, message)]})


def now_wib() -> str:
    return datetime.now(WIB).isoformat(timespec="seconds")


class RenjaStore:
    """Renja sub kegiatan by natural key, with versi and the idempotency record."""

    def __init__(
        self,
        nomenclature: Nomenclature,
        units: dict[str, str | None],
        processing_ms: Callable[[], int] = lambda: 0,
    ) -> None:
        self.nomenclature = nomenclature
        self.units = units
        self.processing_ms = processing_ms
        self.reset()

    def reset(self) -> None:
        self.records: dict[Key, dict[str, Any]] = {}
        self.order: list[Key] = []
        self.answers: dict[tuple[str, str], tuple[str, Answer]] = {}
        self.in_flight: set[tuple[str, str]] = set()
        self.counters: Counter[str] = Counter()
        # per key, how many times each content was applied through the API
        self.applied: dict[Key, Counter[str]] = {}

    # -- the idempotency record ---------------------------------------------
    async def idempotent(
        self, user: str, key: str, fingerprint: str, action: Callable[[], Answer]
    ) -> tuple[Answer, bool]:
        """Run `action` once per (user, key); the same request again gets the first answer."""
        slot = (user, key)
        if slot in self.answers:
            seen, answer = self.answers[slot]
            if seen == fingerprint:
                self.counters["replays"] += 1
                return answer, True
            return _errors(
                422,
                None,
                "idempotency_key_dipakai",
                "Idempotency-Key ini sudah dipakai untuk permintaan dengan isi yang berbeda",
            ), False
        if slot in self.in_flight:
            return _errors(
                409, None, "sedang_diproses", "permintaan dengan Idempotency-Key ini masih diproses"
            ), False
        self.in_flight.add(slot)
        try:
            if self.processing_ms():
                await asyncio.sleep(self.processing_ms() / 1000)
            answer = action()
            self.answers[slot] = (fingerprint, answer)
            return answer, False
        finally:
            self.in_flight.discard(slot)

    # -- writes ---------------------------------------------------------------
    def put(self, key: Key | None, body: Any, user: str, if_match: int | None) -> Answer:
        errors = rules.validate(body, nomenclature=self.nomenclature, units=self.units)
        if errors or key is None:
            return Answer(422, {"errors": errors})
        current = self.records.get(key)
        if conflict := self._precondition(current, if_match):
            return conflict
        new = rules.with_defaults(body)
        if current is not None and rules.canonical(new) == rules.canonical(current):
            self.counters["unchanged"] += 1
            self._applied(key)
            return Answer(200, {**current, "berubah": False})
        self._store(key, new, current, user)
        self._applied(key)
        self.counters["created" if current is None else "replaced"] += 1
        self.counters["writes_applied"] += 1
        return Answer(201 if current is None else 200, {**self.records[key], "berubah": True})

    def delete(self, key: Key, user: str, if_match: int | None) -> Answer:
        current = self.records.get(key)
        if current is None:
            return _errors(404, None, "tidak_ditemukan", "record tidak ditemukan")
        if conflict := self._precondition(current, if_match):
            return conflict
        if not current["aktif"]:
            self.counters["unchanged"] += 1
            self._applied(key)
            return Answer(200, {**current, "berubah": False})
        self._store(key, {**current, "aktif": False}, current, user)
        self._applied(key)
        self.counters["deactivated"] += 1
        self.counters["writes_applied"] += 1
        return Answer(200, {**self.records[key], "berubah": True})

    def purge(self, key: Key) -> None:
        """The record removed from E-Planning's database by its administrators (the
        API's DELETE only deactivates): its list no longer carries it."""
        del self.records[key]
        self.order.remove(key)

    def manual_edit(self, key: Key, changes: dict[str, Any], user: str) -> dict[str, Any]:
        """A planner's edit in E-Planning's own screens: no validation, a new versi."""
        current = self.records[key]
        self._store(key, {**current, **changes}, current, user)
        self.counters["manual_edits"] += 1
        return self.records[key]

    def _precondition(self, current: dict[str, Any] | None, if_match: int | None) -> Answer | None:
        if if_match is None or (current is not None and current["versi"] == if_match):
            return None
        versi = current["versi"] if current is not None else None
        answer = _errors(
            409,
            None,
            "versi_berubah",
            f"versi tersimpan {versi} berbeda dengan If-Match {if_match}",
        )
        return Answer(409, {**answer.body, "current": current})

    def _store(
        self, key: Key, content: dict[str, Any], current: dict[str, Any] | None, user: str
    ) -> None:
        # a new dict every time: answers kept for replay hold the record as it was
        content = {f: v for f, v in content.items() if f not in rules.READ_ONLY}
        self.records[key] = {
            **content,
            "versi": current["versi"] + 1 if current is not None else 1,
            "diperbarui_oleh": user,
            "diperbarui_pada": now_wib(),
        }
        if current is None:
            insort(self.order, key)

    def _applied(self, key: Key) -> None:
        """Log a write through the API by the content it leaves.

        A duplicate effect is a write of a content its key was already given:
        applied again (after something else in between) or answered "unchanged"
        because it is there already. Such a write arrived under a new
        idempotency key; the same key again is a replay of the first answer and
        never gets here. On an E-Planning that stores every PUT as a new versi,
        each of them would be one more change in the record's history.
        """
        text = json.dumps(rules.canonical(self.records[key]), sort_keys=True, default=str)
        seen = self.applied.setdefault(key, Counter())
        content = hashlib.sha256(text.encode()).hexdigest()
        if seen[content]:
            self.counters["duplicate_effects"] += 1
        seen[content] += 1

    def duplicates(self) -> list[dict[str, Any]]:
        """Every (key, content) applied more than once, with how often."""
        return [
            {"key": list(key), "content": content, "applied": count}
            for key, seen in self.applied.items()
            for content, count in seen.items()
            if count > 1
        ]

    def stats(self) -> dict[str, int]:
        return {name: self.counters[name] for name in STATS_COUNTERS}

    # -- reads ----------------------------------------------------------------
    def page(
        self, tahun: int, tahap: str, kode_skpd: str | None, after: Key | None, limit: int
    ) -> tuple[list[dict[str, Any]], Key | None]:
        """Records of one (tahun, tahap) in natural-key order, after `after`; plus the last key
        when more follow."""
        low = bisect_left(self.order, (tahun, tahap, "", ""))
        high = bisect_right(self.order, (tahun, tahap, "\uffff", "\uffff"))
        if after is not None:
            low = max(low, bisect_right(self.order, after))
        matched: list[dict[str, Any]] = []
        for index in range(low, high):
            record = self.records[self.order[index]]
            if kode_skpd is None or record["kode_skpd"] == kode_skpd:
                matched.append(record)
                if len(matched) > limit:
                    break
        items = matched[:limit]
        return items, (rules.natural_key(items[-1]) if len(matched) > limit else None)


def create_app(
    *,
    nomenklatur: dict[int, list[dict[str, Any]]] | list[dict[str, Any]],
    perangkat_daerah: list[dict[str, Any]],
    tokens: dict[str, str] | None = None,
    faults: FaultSettings | None = None,
    nomenklatur_versi: str = "TA 2027",
    rate_limit: float | None = None,
    rate_limit_clock: Callable[[], float] = time.monotonic,
) -> FastAPI:
    """The E-Planning stand-in app (its store is `app.state.store`).

    `nomenklatur` is per tahun anggaran, or one list valid for every year.
    `perangkat_daerah` may be in the E-Planning shape (`kode`, `nama`,
    `kode_induk`) or the E-Program one (`id_skpd`, `kode_skpd`, ...).
    `tokens` maps bearer tokens to user names (default: the two dev tokens).
    `rate_limit`: requests/s per token beyond which it answers 429 (the
    contract's is `ratelimit.EPLANNING_PER_SECOND`); None: unlimited.
    """
    units = _eplanning_units(perangkat_daerah)
    injector = FaultInjector(faults)
    stats = RequestStats()
    store = RenjaStore(
        Nomenclature(nomenklatur, nomenklatur_versi),
        {u["kode"]: u["kode_induk"] for u in units},
        processing_ms=lambda: injector.settings.processing_ms,
    )
    app = FastAPI(title="E-Planning (stand-in)", docs_url="/_standin/docs", redoc_url=None)
    app.state.store = store
    app.state.faults = injector
    app.state.stats = stats
    app.add_exception_handler(ApiError, _api_error)  # type: ignore[arg-type]
    api = _api_router(store, dict(DEFAULT_TOKENS if tokens is None else tokens), units, injector)
    app.include_router(api)
    app.include_router(
        control_router(injector, stats, render_error=_render_error, counters=store.stats)
    )
    app.include_router(_store_router(store, stats, injector))
    instrument(
        app,
        injector,
        stats,
        render_error=_render_error,
        api=api,
        rate_limit=rate_limit,
        clock=rate_limit_clock,
        credential="authorization",
    )
    return app


async def _api_error(request: Request, exc: ApiError) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return JSONResponse(exc.body, status_code=exc.status, headers=headers)


def _api_router(
    store: RenjaStore,
    tokens: dict[str, str],
    units: list[dict[str, Any]],
    injector: FaultInjector,
) -> APIRouter:
    """The endpoints of the contract."""
    router = APIRouter(prefix="/api/v1")

    def user_of(request: Request) -> str:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or token.strip() not in tokens:
            raise ApiError(401, None, "tidak_terautentikasi", "token tidak ada atau tidak dikenal")
        return tokens[token.strip()]

    @router.get("/renja-sub-kegiatan")
    async def list_records(request: Request) -> Response:
        user_of(request)
        query = request.query_params
        cursor = query.get("cursor")
        items, last = store.page(
            _tahun(query.get("tahun_anggaran")),
            _tahap(query.get("tahap")),
            query.get("kode_skpd") or None,
            _decode_cursor(cursor) if cursor else None,
            _limit(query.get("limit")),
        )
        return JSONResponse({"items": items, "next_cursor": _encode_cursor(last) if last else None})

    @router.put(RECORD_PATH)
    async def put_record(request: Request) -> Response:
        user = user_of(request)
        idempotency_key = _idempotency_key(request.headers.get("idempotency-key"))
        if_match = _if_match(request.headers.get("if-match"))
        body = await _json(request)
        key = _path_key(request)
        _same_key(body, key)
        answer, replayed = await store.idempotent(
            user,
            idempotency_key,
            _fingerprint("put", key, body, if_match),
            lambda: store.put(key, body, user, if_match),
        )
        return _respond(answer, replayed)

    @router.delete(RECORD_PATH)
    async def delete_record(request: Request) -> Response:
        user = user_of(request)
        idempotency_key = _idempotency_key(request.headers.get("idempotency-key"))
        if_match = _if_match(request.headers.get("if-match"))
        key = _path_key(request)
        answer, replayed = await store.idempotent(
            user,
            idempotency_key,
            _fingerprint("delete", key, None, if_match),
            lambda: store.delete(key, user, if_match),
        )
        return _respond(answer, replayed)

    @router.post("/renja-sub-kegiatan/batch")
    async def batch(request: Request) -> Response:
        user = user_of(request)
        body = await _json(request)
        operations = body.get("operations") if isinstance(body, dict) else None
        if not isinstance(operations, list):
            raise ApiError(400, "operations", "wajib", 'body harus {"operations": [...]}')
        if len(operations) > MAX_BATCH:
            raise ApiError(
                400,
                "operations",
                "terlalu_banyak",
                f"paling banyak {MAX_BATCH} operasi per batch ({len(operations)} dikirim)",
            )
        results = [await _faulty_item(injector, store, user, op) for op in operations]
        return JSONResponse({"results": results})

    @router.get("/referensi/nomenklatur")
    async def referensi_nomenklatur(request: Request) -> Response:
        user_of(request)
        tahun = _tahun(request.query_params.get("tahun_anggaran"))
        fields = ("kode", "nama", "indikator", "satuan", "jenis_pemda", "kode_sebelumnya")
        items = [{f: i.get(f) for f in fields} for i in store.nomenclature.items(tahun)]
        return JSONResponse({"versi": store.nomenclature.versi, "items": items})

    @router.get("/referensi/perangkat-daerah")
    async def referensi_perangkat_daerah(request: Request) -> Response:
        user_of(request)
        _tahun(request.query_params.get("tahun_anggaran"))
        return JSONResponse({"items": units})

    return router


def _store_router(store: RenjaStore, stats: RequestStats, injector: FaultInjector) -> APIRouter:
    """Tests look at and change E-Planning's store through these (no token: loopback use)."""
    router = APIRouter(prefix="/_standin")
    initial_faults = injector.settings

    @router.get("/records")
    async def all_records() -> Response:
        return JSONResponse({"items": [store.records[k] for k in store.order]})

    @router.get("/applied")
    async def applied() -> Response:
        """Duplicate effects: writes that applied a content its key already had been given."""
        return JSONResponse(
            {
                "duplicate_effects": store.counters["duplicate_effects"],
                "duplicates": store.duplicates(),
            }
        )

    @router.post("/reset")
    async def reset() -> Response:
        """Back to the state of a new app: empty store, no counts, the initial faults."""
        store.reset()
        stats.reset()
        injector.injected.clear()
        injector.update(initial_faults)
        return JSONResponse({"ok": True})

    async def stored_key(request: Request, shape: str) -> tuple[Key, dict[str, Any]]:
        """The stored record's key a body names (``shape``: the body, said in a 400)."""
        body = await _json(request)
        if not isinstance(body, dict) or not isinstance(body.get("key"), dict):
            raise ApiError(400, "key", "wajib", f"body harus {shape}")
        key = rules.natural_key(body["key"])
        if key is None or key not in store.records:
            raise ApiError(404, "key", "tidak_ditemukan", "record tidak ditemukan")
        return key, body

    @router.post("/manual-edit")
    async def manual_edit(request: Request) -> Response:
        """`{"key": {...}, "changes": {...}, "user": "perencana.bappeda"}`: a planner's edit."""
        key, body = await stored_key(request, '{"key": {...}, "changes": {...}}')
        changes = body.get("changes") or {}
        user = str(body.get("user") or "perencana.bappeda")
        return JSONResponse(store.manual_edit(key, changes, user))

    @router.post("/purge")
    async def purge(request: Request) -> Response:
        """`{"key": {...}}`: the record removed from E-Planning's database outright."""
        key, _body = await stored_key(request, '{"key": {...}}')
        store.purge(key)
        return JSONResponse({"ok": True})

    return router


ITEM_FAULT = {
    "status": 503,
    "errors": [{"field": None, "code": "gangguan_server", "message": "gangguan, coba lagi"}],
}


async def _faulty_item(
    injector: FaultInjector, store: RenjaStore, user: str, op: Any
) -> dict[str, Any]:
    """One batch item, or a 503 for it alone (before or after applying it)."""
    settings = injector.settings
    if settings.item_error_rate and injector.rng.random() < settings.item_error_rate:
        injector.injected["item_error"] += 1
        return dict(ITEM_FAULT)
    answer = await _batch_item(store, user, op)
    rate = settings.item_error_after_apply_rate
    if rate and injector.rng.random() < rate:
        injector.injected["item_error_after_apply"] += 1
        return dict(ITEM_FAULT)
    return answer


async def _batch_item(store: RenjaStore, user: str, op: Any) -> dict[str, Any]:
    """One batch operation, with the same rules as the single-record calls."""
    try:
        if not isinstance(op, dict) or op.get("op") not in ("put", "delete"):
            raise ApiError(400, "op", "format_nilai", 'op harus "put" atau "delete"')
        idempotency_key = _idempotency_key(op.get("idempotency_key"), field="idempotency_key")
        if_match = op.get("if_match")
        if if_match is not None and not rules.is_int(if_match):
            raise ApiError(400, "if_match", "format_nilai", "if_match harus bilangan bulat")
        if op["op"] == "put":
            record = op.get("record")
            key = rules.natural_key(record) if isinstance(record, dict) else None
            fingerprint = _fingerprint("put", key, record, if_match)
            answer, replayed = await store.idempotent(
                user, idempotency_key, fingerprint, lambda: store.put(key, record, user, if_match)
            )
        else:
            target = op.get("key")
            key = rules.natural_key(target) if isinstance(target, dict) else None
            if key is None:
                raise ApiError(400, "key", "wajib", "key harus memuat keempat unsur kunci alami")
            answer, replayed = await store.idempotent(
                user,
                idempotency_key,
                _fingerprint("delete", key, None, if_match),
                lambda: store.delete(key, user, if_match),
            )
    except ApiError as exc:
        return {"status": exc.status, **exc.body}
    item: dict[str, Any] = {"status": answer.status}
    if 200 <= answer.status < 300:
        item["record"] = answer.body
    else:
        item.update(answer.body)
    if replayed:
        item["idempotent_replayed"] = True
    return item


def _respond(answer: Answer, replayed: bool) -> Response:
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    return JSONResponse(answer.body, status_code=answer.status, headers=headers)


def _render_error(code: str, message: str) -> dict[str, Any]:
    return {"errors": [error(None, code, message)]}


def _fingerprint(op: str, key: Key | None, body: Any, if_match: int | None) -> str:
    text = json.dumps([op, key, body, if_match], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _path_key(request: Request) -> Key:
    params = request.path_params
    tahun = _tahun(params["tahun_anggaran"])
    return tahun, params["tahap"], params["kode_sub_skpd"], params["kode_sub_kegiatan"]


def _same_key(body: Any, key: Key) -> None:
    """The natural key in the body, when given, must be the one in the URL."""
    if not isinstance(body, dict):
        return
    fields = ("tahun_anggaran", "tahap", "kode_sub_skpd", "kode_sub_kegiatan")
    for field, expected in zip(fields, key, strict=True):
        given = body.get(field)
        if type(given) is type(expected) and given != expected:
            raise ApiError(
                400,
                field,
                "kunci_tidak_sesuai",
                f"{field} di body ({given}) berbeda dengan di URL ({expected})",
            )


def _eplanning_units(perangkat_daerah: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Accept the E-Planning shape as is, or convert the E-Program one."""
    if all("kode" in p for p in perangkat_daerah):
        return [
            {"kode": p["kode"], "nama": p.get("nama"), "kode_induk": p.get("kode_induk")}
            for p in perangkat_daerah
        ]
    kode_by_id = {p["id_skpd"]: p["kode_skpd"] for p in perangkat_daerah}
    return [
        {
            "kode": p["kode_skpd"],
            "nama": p["nama_skpd"],
            "kode_induk": None if str(p["is_skpd"]) == "1" else kode_by_id.get(p["id_unit"]),
        }
        for p in perangkat_daerah
    ]


async def _json(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except ValueError as exc:
        raise ApiError(400, None, "format_nilai", "body bukan JSON yang valid") from exc


def _idempotency_key(value: Any, *, field: str = "Idempotency-Key") -> str:
    if not isinstance(value, str) or not value.strip():
        raise ApiError(400, field, "wajib", f"{field} wajib diisi")
    if len(value) > MAX_IDEMPOTENCY_KEY:
        raise ApiError(
            400, field, "format_nilai", f"{field} paling panjang {MAX_IDEMPOTENCY_KEY} karakter"
        )
    return value


def _if_match(value: str | None) -> int | None:
    if value is None:
        return None
    text = value.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise ApiError(400, "If-Match", "format_nilai", "If-Match harus berisi versi (angka)")
    return int(text)


def _tahun(value: str | None) -> int:
    if not value:
        raise ApiError(400, "tahun_anggaran", "wajib", "tahun_anggaran wajib diisi")
    if not value.isdigit() or len(value) != 4:
        raise ApiError(400, "tahun_anggaran", "format_nilai", "tahun_anggaran harus empat angka")
    return int(value)


def _tahap(value: str | None) -> str:
    if not value:
        raise ApiError(400, "tahap", "wajib", "tahap wajib diisi")
    if value not in rules.TAHAP:
        raise ApiError(
            400, "tahap", "format_nilai", f"tahap harus salah satu dari {', '.join(rules.TAHAP)}"
        )
    return value


def _limit(value: str | None) -> int:
    if value is None:
        return DEFAULT_LIMIT
    if not value.isdigit() or not 1 <= int(value) <= MAX_LIMIT:
        raise ApiError(400, "limit", "format_nilai", f"limit harus 1..{MAX_LIMIT}")
    return int(value)


def _encode_cursor(key: Key) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode()


def _decode_cursor(cursor: str) -> Key:
    try:
        tahun, tahap, sub, kode = json.loads(base64.urlsafe_b64decode(cursor))
        return int(tahun), str(tahap), str(sub), str(kode)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise ApiError(400, "cursor", "format_nilai", "cursor tidak valid") from exc
