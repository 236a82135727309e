"""Denied requests fold: one address's flood of refusals, whatever their mix
(no key, a wrong key, a role that is not enough, wrong keys typed into the
sign-in form, forged forms), is a handful of audit rows whose counts add up;
failed sign-ins are throttled per address (docs/design.md, promise 9)."""

from __future__ import annotations

import asyncio
import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from app.access import keys
from app.access.keys import Role
from app.config import Settings
from app.db import session_scope
from app.main import create_app
from app.models import AuditEvent
from standins.server import ServerThread
from tests.conftest import SERVICE_TIMEOUT

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
# Every kind of refusal a caller without a key of its own can provoke, and one
# with a planner's key: (method, path, who, form token).
KINDS = (
    ("GET", "/api/v1/runs", None, None),
    ("GET", "/api/v1/runs", "skr_salah", None),
    ("GET", "/api/v1/audit", "perencana", None),
    ("POST", "/laporan/masuk", None, "valid"),  # a wrong key typed into the form
    ("POST", "/laporan/masuk", None, "palsu"),  # a forged form
)


@dataclass
class Service:
    app: FastAPI
    sessions: sessionmaker[Session]
    keys: dict[str, str]

    def denied(self) -> list[AuditEvent]:
        with session_scope(self.sessions) as session:
            return list(
                session.scalars(
                    select(AuditEvent)
                    .where(AuditEvent.action == "akses.ditolak")
                    .order_by(AuditEvent.id)
                )
            )


def make_service(engine: Engine, database_url: str, **settings: Any) -> Service:
    sessions = sessionmaker(engine, expire_on_commit=False)
    with session_scope(sessions) as session:
        made = {
            "perencana": keys.create(session, name="perencana-bappeda", role=Role.PLANNER),
            "admin": keys.create(session, name="admin-bappeda", role=Role.ADMIN),
        }
    config = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        rate_limit_per_minute=10**6,
        rate_limit_post_per_minute=10**6,
        **settings,
    )
    return Service(create_app(config, engine), sessions, made)


@pytest.fixture
def service(engine: Engine, database_url: str) -> Service:
    # One fold window for the whole test; the form's 5 tries do not come back during it.
    return make_service(
        engine, database_url, audit_fold_seconds=3600, laporan_sign_in_window_seconds=86_400
    )


def token_in(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no form token in the page"
    return found.group(1)


def request_of(kind: int, service: Service, form: tuple[str, str]) -> dict[str, Any]:
    """httpx.request arguments of the ``kind``-th refusal; ``form`` is the
    sign-in form's token and cookie, sent by hand (each refused form sets a new one)."""
    method, path, who, token = KINDS[kind]
    headers = {}
    if who is not None:
        headers["X-API-Key"] = service.keys.get(who, who)
    if token is None:
        return {"method": method, "url": path, "headers": headers}
    headers["Cookie"] = f"sinkron_masuk={form[1]}"
    csrf = form[0] if token == "valid" else token
    return {
        "method": method,
        "url": path,
        "headers": headers,
        "data": {"csrf": csrf, "kunci": "skr_salah"},
    }


def assert_folded(rows: list[AuditEvent], answered: Counter[int], total: int) -> None:
    """A handful of rows; per status, their counts are the answers given; each
    row's counts per reason add up to its count."""
    assert len(rows) <= 5, [(r.actor, r.status_code, r.count) for r in rows]
    assert sum(r.count for r in rows) == total
    by_status: Counter[int] = Counter()
    for r in rows:
        assert r.status_code is not None and r.detail is not None
        by_status[r.status_code] += r.count
        assert sum(r.detail["per_alasan"].values()) == r.count, r.detail
        assert r.target is not None and len(r.target) <= 200
    assert by_status == answered


@pytest.mark.slow
@pytest.mark.anyio
async def test_ten_thousand_mixed_denials_from_one_address_are_a_handful_of_rows(
    service: Service,
) -> None:
    transport = httpx.ASGITransport(app=service.app, client=("203.0.113.7", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://sinkron.test") as client:
        page = await client.get("/laporan/masuk")
        form = (token_in(page.text), page.cookies["sinkron_masuk"])
        answered: Counter[int] = Counter()
        by_kind: Counter[tuple[int, int]] = Counter()

        async def deny(worker: int) -> None:
            # Several at once: the counts must add up under concurrent folding.
            for n in range(worker, 10_000, 8):
                answer = await client.request(**request_of(n % len(KINDS), service, form))
                answered[answer.status_code] += 1
                by_kind[n % len(KINDS), answer.status_code] += 1

        await asyncio.gather(*(deny(w) for w in range(8)))

    assert sum(answered.values()) == 10_000 and set(answered) == {401, 403, 429}
    # The form took 5 wrong keys, then answered 429 to the rest.
    assert by_kind[3, 401] == 5 and by_kind[3, 429] == 1995
    rows = service.denied()
    assert_folded(rows, answered, 10_000)
    assert {(r.actor, r.status_code, r.client) for r in rows} == {
        ("anonim", 401, "203.0.113.7"),
        ("anonim", 403, "203.0.113.7"),
        ("anonim", 429, "203.0.113.7"),
        ("perencana-bappeda", 403, "203.0.113.7"),
    }
    reasons: Counter[str] = Counter()
    for r in rows:
        assert r.detail is not None
        reasons.update(r.detail["per_alasan"])
    assert reasons["header X-API-Key wajib diisi"] == 2000
    assert reasons["kunci API tidak dikenal atau sudah dicabut"] == 2005  # API and form
    assert reasons["token formulir (CSRF) tidak cocok"] == 2000
    assert reasons["terlalu banyak percobaan masuk yang gagal dari alamat ini"] == 1995


def test_alternating_denials_over_http_fold_too(service: Service) -> None:
    with (
        ServerThread(service.app) as server,
        httpx.Client(base_url=server.url, timeout=SERVICE_TIMEOUT) as client,
    ):
        page = client.get("/laporan/masuk")
        form = (token_in(page.text), page.cookies["sinkron_masuk"])
        answered: Counter[int] = Counter()
        # "No key" and a wrong key in turn, then every other kind.
        for n in [*(i % 2 for i in range(60)), *(i % len(KINDS) for i in range(40))]:
            answered[client.request(**request_of(n, service, form)).status_code] += 1

    assert_folded(service.denied(), answered, 100)


def sign_in(client: httpx.Client, key: str, address: str) -> httpx.Response:
    headers = {"X-Forwarded-For": address}
    form = client.get("/laporan/masuk", headers=headers)
    return client.post(
        "/laporan/masuk",
        data={"csrf": token_in(form.text), "kunci": key},
        headers=headers,
        follow_redirects=False,
    )


class StoppedClock:
    """The sign-in limiter's clock, moved by the test alone: on a loaded machine
    the six sign-ins took longer than the 0.4 s that gives a try back, and the
    refused one was let in."""

    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds


@pytest.fixture
def throttled(
    engine: Engine, database_url: str
) -> Iterator[tuple[Service, ServerThread, StoppedClock]]:
    # 5 tries, then one more every 0.4 s: a Retry-After of 1 s.
    service = make_service(
        engine,
        database_url,
        trusted_proxies="127.0.0.1",
        laporan_sign_in_failures=5,
        laporan_sign_in_window_seconds=2,
    )
    stopped = StoppedClock()
    service.app.state.parts.sign_in_failures.clock = stopped
    with ServerThread(service.app) as server:
        yield service, server, stopped


def test_failed_sign_ins_are_throttled_per_address_and_folded(
    throttled: tuple[Service, ServerThread, StoppedClock],
) -> None:
    service, server, stopped = throttled
    with httpx.Client(base_url=server.url, timeout=SERVICE_TIMEOUT) as client:
        wrong = [sign_in(client, "skr_salah", "10.0.0.1").status_code for _ in range(5)]
        # The right key too: a guess must not learn that it was right.
        refused = sign_in(client, service.keys["admin"], "10.0.0.1")
        elsewhere = sign_in(client, service.keys["admin"], "10.0.0.2")

        assert wrong == [401] * 5
        assert refused.status_code == 429
        wait = int(refused.headers["Retry-After"])
        assert 1 <= wait <= math.ceil(2 / 5)
        assert "<html" in refused.text
        assert f"Terlalu banyak percobaan masuk dengan kunci yang salah dari alamat ini. " \
               f"Coba lagi setelah {wait} detik." in refused.text  # fmt: skip
        assert "sinkron_sesi" not in refused.cookies
        assert elsewhere.status_code == 303  # other addresses are not held up

        stopped.seconds += wait  # the time Retry-After asks for
        assert sign_in(client, service.keys["admin"], "10.0.0.1").status_code == 303

    rows = service.denied()
    assert [(r.client, r.status_code, r.count) for r in rows] == [
        ("10.0.0.1", 401, 5),
        ("10.0.0.1", 429, 1),
    ]
    assert [r.target for r in rows] == ["POST /laporan/masuk"] * 2
