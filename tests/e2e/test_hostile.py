"""The service probed from outside: out-of-range numbers, control characters,
large bodies, floods of denials and requests, forged addresses, a database
that is down (docs/design.md, promises 7 and 9)."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select

from app.db import make_engine, session_scope
from app.main import create_app
from app.models import AuditEvent, SyncRun
from standins.server import ServerThread
from tests.conftest import SERVICE_TIMEOUT
from tests.e2e.conftest import World
from tests.e2e.test_service import SAMPLE_BODY, api_keys, call, service

__all__ = ["api_keys", "service"]  # fixtures used here


def cursor_for(row_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{row_id}".encode()).decode().rstrip("=")


def audit_rows(world: World) -> list[AuditEvent]:
    with session_scope(world.sessions) as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def serve(world: World, engine: Engine, **settings: Any) -> ServerThread:
    configured = world.settings.model_copy(update={"sync_scopes": "", **settings})
    return ServerThread(create_app(configured, engine))


@pytest.mark.parametrize("big", [2**31, 2**63, 10**30])
def test_ids_beyond_what_the_database_holds_are_404_filters_422_cursors_400(
    world: World, service: ServerThread, api_keys: dict[str, str], big: int
) -> None:
    admin = api_keys["admin"]
    for method, path in (
        ("GET", f"/api/v1/runs/{big}"),
        ("GET", f"/api/v1/runs/{big}/records"),
        ("POST", f"/api/v1/runs/{big}/cancel"),
        ("POST", f"/api/v1/dead-letters/{big}/retry"),
    ):
        answer = call(service, method, path, admin)
        assert answer.status_code == 404, (method, path, answer.text)
        assert answer.json()["error"] == "tidak_ditemukan"
    assert call(service, "GET", f"/api/v1/runs?tahun={big}", admin).status_code == 422
    for path in ("/api/v1/runs", "/api/v1/dead-letters", "/api/v1/audit"):
        answer = call(service, "GET", f"{path}?cursor={cursor_for(2**63)}", admin)
        assert answer.status_code == 400, (path, answer.text)
    # record_outcome ids are 64-bit everywhere: a 2**31 cursor is an ordinary one.
    outcomes = call(service, "GET", f"/api/v1/runs/1/records?cursor={cursor_for(2**31)}", admin)
    assert outcomes.status_code == 404  # no run 1 yet, but no 500 either


def test_control_characters_are_refused_and_a_denial_is_still_audited(
    world: World, service: ServerThread, api_keys: dict[str, str]
) -> None:
    admin = api_keys["admin"]
    for path in (
        "/api/v1/runs?tahap=a%00b",
        "/api/v1/runs?trigger=%00",
        "/api/v1/dead-letters?status=%00",
        "/api/v1/dead-letters?status=bogus",
        "/api/v1/runs?tahap=bogus",
    ):
        answer = call(service, "GET", path, admin)
        assert answer.status_code == 422, (path, answer.text)
        assert answer.json()["error"] == "validasi"
    # A path no run can have names nothing.
    named = call(service, "GET", "/api/v1/runs/a%00b", admin)
    assert (named.status_code, named.json()["error"]) == (404, "tidak_ditemukan")

    denied = call(service, "GET", "/api/v1/runs/a%00b", None)

    assert denied.status_code == 401
    rows = [r for r in audit_rows(world) if r.action == "akses.ditolak"]
    assert [r.target for r in rows] == ["GET /api/v1/runs/a\\x00b"]


def test_the_key_is_checked_before_the_body_is_read_and_bodies_are_bounded(
    world: World, service: ServerThread, api_keys: dict[str, str]
) -> None:
    bad = call(service, "POST", "/api/v1/runs", None, content=b"{bad")
    assert bad.status_code == 401

    admin = api_keys["admin"]
    big = b'{"tahun_anggaran": 2026, "tahap": "renja", "x": "' + b"a" * 2_000_000 + b'"}'
    declared = call(service, "POST", "/api/v1/runs", admin, content=big)
    assert declared.status_code == 413
    assert declared.json()["error"] == "isi_terlalu_besar"

    def chunks() -> Iterator[bytes]:
        for _ in range(40):
            yield b"a" * 65_536

    chunked = call(service, "POST", "/api/v1/runs", admin, content=chunks())
    assert chunked.status_code == 413
    with session_scope(world.sessions) as session:
        assert session.scalars(select(SyncRun)).all() == []


def test_repeated_denials_are_one_bounded_audit_row(world: World, service: ServerThread) -> None:
    long_path = "/api/v1/runs/" + "x" * 30_000
    for _ in range(50):
        assert call(service, "GET", long_path, None).status_code == 401

    rows = [r for r in audit_rows(world) if r.action == "akses.ditolak"]

    assert len(rows) == 1
    assert rows[0].count == 50
    assert rows[0].target is not None and len(rows[0].target) <= 200


def test_rates_are_limited_per_key_and_stricter_on_posts(
    world: World, engine: Engine, api_keys: dict[str, str]
) -> None:
    with serve(world, engine, rate_limit_per_minute=10, rate_limit_post_per_minute=2) as server:
        admin = api_keys["admin"]
        started = time.monotonic()
        posts = [
            call(server, "POST", "/api/v1/runs/999/cancel", admin).status_code for _ in range(3)
        ]
        assert posts == [404, 404, 429]
        # GETs until the first refusal: 10 a minute for the key, of which the
        # three POSTs took 3. The bucket refills one every 6 s, so a slow
        # machine may let one more through for each 6 s the requests took.
        gets = []
        while len(gets) < 30:
            gets.append(call(server, "GET", "/api/v1/runs", admin))
            if gets[-1].status_code != 200:
                break
        refilled = int((time.monotonic() - started) / 6)
        refused = gets[-1]
        assert refused.status_code == 429
        assert 7 <= len(gets) - 1 <= 7 + refilled
        assert int(refused.headers["Retry-After"]) >= 1
        assert refused.json()["error"] == "terlalu_banyak_permintaan"


@pytest.mark.parametrize("trusted", ["", "127.0.0.1"])
def test_x_forwarded_for_is_believed_only_from_a_trusted_proxy(
    world: World, engine: Engine, trusted: str
) -> None:
    with serve(world, engine, trusted_proxies=trusted) as server:
        forged = {"X-Forwarded-For": "203.0.113.9"}
        assert call(server, "GET", "/api/v1/status", None, headers=forged).status_code == 401

    rows = audit_rows(world)
    assert [r.client for r in rows] == ["203.0.113.9" if trusted else "127.0.0.1"]


def test_openapi_lets_docs_send_the_key(world: World, service: ServerThread) -> None:
    spec = httpx.get(f"{service.url}/openapi.json", timeout=SERVICE_TIMEOUT).json()

    schemes = spec["components"]["securitySchemes"]
    assert {"type": "apiKey", "in": "header", "name": "X-API-Key"}.items() <= next(
        iter(schemes.values())
    ).items()
    assert spec["paths"]["/api/v1/status"]["get"]["security"]
    assert "security" not in spec["paths"]["/healthz"]["get"]


def test_kode_skpd_is_deduplicated_bounded_and_checked_against_eplanning(
    world: World, service: ServerThread, api_keys: dict[str, str]
) -> None:
    admin = api_keys["admin"]
    known = world.dataset.records[0]["kode_skpd"]
    unknown = "9.99.0.00.0.00.99.0000"

    refused = call(
        service, "POST", "/api/v1/runs", admin, json={**SAMPLE_BODY, "kode_skpd": [known, unknown]}
    )
    assert refused.status_code == 422
    assert unknown in refused.json()["detail"] and known not in refused.json()["detail"]
    too_many = [f"1.02.0.00.0.00.{i % 100:02d}.{i:04d}" for i in range(101)]
    assert (
        call(
            service, "POST", "/api/v1/runs", admin, json={**SAMPLE_BODY, "kode_skpd": too_many}
        ).status_code
        == 422
    )

    created = call(
        service, "POST", "/api/v1/runs", admin, json={**SAMPLE_BODY, "kode_skpd": [known] * 500}
    )

    assert created.status_code == 202
    assert created.json()["kode_skpd"] == [known]
    listed = call(service, "GET", "/api/v1/runs", admin).json()["items"]
    assert "kode_skpd" not in listed[0] and listed[0]["jumlah_kode_skpd"] == 1


def test_validation_messages_are_in_indonesian(
    world: World, service: ServerThread, api_keys: dict[str, str]
) -> None:
    answer = call(
        service,
        "POST",
        "/api/v1/runs",
        api_keys["admin"],
        content=b'{"tahun_anggaran": 1e400, "tahap": "renja"}',
        headers={"Content-Type": "application/json"},
    )

    assert answer.status_code == 422
    assert answer.json()["detail"] == "tahun_anggaran: harus bilangan terhingga"


def unreachable_database(database_url: str, tmp_path: Any) -> str:
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path}/tidak/ada/sinkron.db"
    return "postgresql://rahasia@127.0.0.1:1/nama_basis_data"


def test_a_database_that_is_down_answers_503_and_readyz_names_nothing(
    world: World, database_url: str, tmp_path: Any
) -> None:
    url = unreachable_database(database_url, tmp_path)
    engine = make_engine(url)
    settings = world.settings.model_copy(update={"database_url": url, "sync_scopes": ""})
    with ServerThread(create_app(settings, engine)) as server:
        ready = httpx.get(f"{server.url}/readyz", timeout=SERVICE_TIMEOUT)
        api = call(server, "GET", "/api/v1/status", "skr_apa_saja")

    assert ready.status_code == 503
    for secret in ("127.0.0.1", ":1", "nama_basis_data", "rahasia", "tidak/ada"):
        assert secret not in ready.text
    assert api.status_code == 503
    assert api.json()["error"] == "basis_data_tidak_tersedia"
    engine.dispose()
