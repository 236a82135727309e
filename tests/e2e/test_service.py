"""The service over real HTTP: access policy, triggering, cancelling, the audit log."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from app.access import keys
from app.access.keys import Role
from app.access.policy import POLICY, PUBLIC
from app.db import session_scope
from app.main import create_app
from standins.server import ServerThread
from tests.conftest import SERVICE_TIMEOUT
from tests.e2e.conftest import World


@pytest.fixture
def api_keys(world: World) -> dict[str, str]:
    with session_scope(world.sessions) as session:
        return {
            "admin": keys.create(session, name="admin-uji", role=Role.ADMIN),
            "planner": keys.create(session, name="perencana-uji", role=Role.PLANNER),
            "scoped planner": keys.create(
                session,
                name="perencana-opd-uji",
                role=Role.PLANNER,
                kode_skpd=["1.02.0.00.0.00.01.0000"],
            ),
        }


@pytest.fixture
def service(world: World, engine: Engine) -> Iterator[ServerThread]:
    # Tests poll runs ten times a second; the rate limits have tests of their own.
    # The worker wakes on every trigger; it does not poll, so it never takes a
    # pending run that a test's World.sync() is about to carry out itself.
    settings = world.settings.model_copy(
        update={
            "worker_poll_seconds": 3600,
            "sync_scopes": "",
            "rate_limit_per_minute": 6000,
            "rate_limit_post_per_minute": 6000,
        }
    )
    with ServerThread(create_app(settings, engine, background=True)) as server:
        yield server


def call(
    server: ServerThread, method: str, path: str, key: str | None, **kw: Any
) -> httpx.Response:
    headers = {"X-API-Key": key} if key is not None else {}
    headers.update(kw.pop("headers", {}))
    return httpx.request(method, f"{server.url}{path}", headers=headers, timeout=30, **kw)


def wait_for(
    server: ServerThread, key: str, run_id: int, statuses: set[str], timeout: float = 60
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = call(server, "GET", f"/api/v1/runs/{run_id}", key).json()
        if run["status"] in statuses:
            return dict(run)
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} did not reach {statuses}: {run}")


SAMPLE_BODY = {"tahun_anggaran": 2026, "tahap": "renja"}
PATH_SAMPLES = {
    "{run_id}": "999999",
    "{letter_id}": "999999",
    "{mismatch_id}": "999999",
    "{kode_skpd}": "1.02.0.00.0.00.01.0000",
}


def test_every_route_answers_exactly_as_its_policy_says(
    world: World, service: ServerThread, api_keys: dict[str, str]
) -> None:
    spec = httpx.get(f"{service.url}/openapi.json", timeout=SERVICE_TIMEOUT).json()
    routes = [
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    assert ("GET", "/metrics") in routes or ("GET", "/metrics") in POLICY
    missing = [r for r in routes if r not in POLICY]
    assert not missing, f"routes without an access policy: {missing}"

    for method, template in routes:
        path = template
        for name, value in PATH_SAMPLES.items():
            path = path.replace(name, value)
        assert "{" not in path, f"no sample value for {template}"
        body = SAMPLE_BODY if (method, template) == ("POST", "/api/v1/runs") else None
        needed = POLICY[(method, template)].who
        for who, key in (
            ("no key", None),
            ("wrong key", "skr_salah"),
            ("planner", api_keys["planner"]),
            ("scoped planner", api_keys["scoped planner"]),
            ("admin", api_keys["admin"]),
        ):
            status = call(service, method, path, key, json=body).status_code
            if needed == PUBLIC:
                expected_denied = None
            elif who in ("no key", "wrong key"):
                expected_denied = 401
            elif who in ("planner", "scoped planner") and needed is Role.ADMIN:
                expected_denied = 403
            else:
                expected_denied = None
            if expected_denied is None:
                assert status not in (401, 403), f"{who} {method} {path}: {status}"
            else:
                assert status == expected_denied, f"{who} {method} {path}: {status}"


def test_denied_requests_and_admin_actions_are_audited(
    world: World, service: ServerThread, api_keys: dict[str, str]
) -> None:
    assert call(service, "GET", "/api/v1/runs", "skr_salah").status_code == 401
    assert (
        call(service, "POST", "/api/v1/runs", api_keys["planner"], json=SAMPLE_BODY).status_code
        == 403
    )
    created = call(service, "POST", "/api/v1/runs", api_keys["admin"], json=SAMPLE_BODY)
    assert created.status_code == 202

    events = call(service, "GET", "/api/v1/audit", api_keys["admin"]).json()["items"]
    actions = [(e["action"], e["actor"], e["status_code"]) for e in events]
    assert ("run.buat", "admin-uji", 202) in actions
    assert ("akses.ditolak", "perencana-uji", 403) in actions
    assert ("akses.ditolak", "anonim", 401) in actions
    assert all(e["client"] == "127.0.0.1" for e in events)
    text = repr(events)
    assert api_keys["admin"] not in text and api_keys["planner"] not in text


def test_errors_have_one_shape_and_say_what_is_wrong(
    world: World, service: ServerThread, api_keys: dict[str, str]
) -> None:
    admin = api_keys["admin"]
    bad = call(service, "POST", "/api/v1/runs", admin, json={"tahun_anggaran": 2026, "tahap": "x"})
    assert bad.status_code == 422
    assert bad.json()["error"] == "validasi"
    assert bad.json()["detail"].startswith("tahap: harus salah satu dari 'renja', 'rkpd'")
    opd = call(service, "POST", "/api/v1/runs", admin, json={**SAMPLE_BODY, "kode_skpd": ["BOGUS"]})
    assert opd.status_code == 422 and "kode_skpd.0: format tidak sesuai" in opd.json()["detail"]
    empty = call(service, "POST", "/api/v1/runs", admin, json={**SAMPLE_BODY, "kode_skpd": []})
    assert empty.status_code == 422
    missing_field = call(service, "POST", "/api/v1/runs", admin, json={"tahap": "renja"})
    assert missing_field.json()["detail"] == "tahun_anggaran: wajib diisi"
    once = {"Idempotency-Key": "sekali"}
    assert (
        call(service, "POST", "/api/v1/runs", admin, json=SAMPLE_BODY, headers=once).status_code
        == 202
    )
    other = call(
        service, "POST", "/api/v1/runs", admin, json={**SAMPLE_BODY, "full": True}, headers=once
    )
    assert other.status_code == 422 and other.json()["error"] == "idempotency_key_dipakai"
    missing = call(service, "GET", "/api/v1/runs/424242", admin)
    assert missing.status_code == 404
    assert missing.json() == {"error": "tidak_ditemukan", "detail": "run 424242 tidak ada"}
    # Outside the cursor's documented alphabet: a validation error like any other;
    # in it but not one the service gave out: cursor_tidak_valid.
    cursor = call(service, "GET", "/api/v1/runs?cursor=%%%", admin)
    assert cursor.status_code == 422 and cursor.json()["error"] == "validasi"
    cursor = call(service, "GET", "/api/v1/runs?cursor=abc", admin)
    assert cursor.status_code == 400 and cursor.json()["error"] == "cursor_tidak_valid"
    unknown = call(service, "GET", "/api/v1/runs?stauts=pending", admin)
    assert unknown.status_code == 422
    assert unknown.json()["detail"] == "parameter tidak dikenal: stauts"
    first = call(service, "GET", "/api/v1/runs?cursor=", admin)
    assert first.status_code == 200
    nokey = call(service, "GET", "/api/v1/status", None)
    assert nokey.json() == {
        "error": "tidak_terautentikasi",
        "detail": "header X-API-Key wajib diisi",
    }


def test_trigger_runs_in_the_background_and_a_second_trigger_is_refused(
    world: World, service: ServerThread, api_keys: dict[str, str]
) -> None:
    admin = api_keys["admin"]
    world.faults(world.source, latency_ms=150)  # keep the run busy for a while

    first = call(service, "POST", "/api/v1/runs", admin, json={**SAMPLE_BODY, "full": True})
    second = call(service, "POST", "/api/v1/runs", admin, json=SAMPLE_BODY)

    assert first.status_code == 202
    run = first.json()
    assert first.headers["Location"] == f"/api/v1/runs/{run['id']}"
    assert second.status_code == 409
    assert second.json()["error"] == "run_berjalan"
    assert f"run {run['id']}" in second.json()["detail"]
    world.faults(world.source, latency_ms=0)
    done = wait_for(service, admin, run["id"], {"succeeded", "failed"})
    assert done["status"] == "succeeded", done["error"]
    assert done["outcome_counts"] == {"created": 160}
    assert len(world.eplanning_records()) == 160
    status = call(service, "GET", "/api/v1/status", api_keys["planner"]).json()
    assert status["current_run"] is None
    assert status["scopes"][0]["last_run"]["id"] == run["id"]
    assert status["eprogram"]["reachable"] is True
    records = call(
        service, "GET", f"/api/v1/runs/{run['id']}/records?outcome=created&limit=100", admin
    ).json()
    assert len(records["items"]) == 100 and records["next_cursor"]
    rest = call(
        service,
        "GET",
        f"/api/v1/runs/{run['id']}/records?outcome=created&limit=100&cursor={records['next_cursor']}",
        admin,
    ).json()
    assert len(rest["items"]) == 60 and rest["next_cursor"] is None


def test_a_double_click_with_one_idempotency_key_starts_one_run(
    world: World, service: ServerThread, api_keys: dict[str, str]
) -> None:
    admin = api_keys["admin"]
    headers = {"Idempotency-Key": "klik-ganda-1"}
    first = call(service, "POST", "/api/v1/runs", admin, json=SAMPLE_BODY, headers=headers)
    again = call(service, "POST", "/api/v1/runs", admin, json=SAMPLE_BODY, headers=headers)

    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"]
    wait_for(service, admin, first.json()["id"], {"succeeded"})
    listed = call(service, "GET", "/api/v1/runs", admin).json()["items"]
    assert [r["id"] for r in listed] == [first.json()["id"]]


def test_cancel_stops_at_a_page_boundary_with_counts_that_add_up(
    world: World, service: ServerThread, api_keys: dict[str, str]
) -> None:
    admin = api_keys["admin"]
    world.faults(world.source, latency_ms=300)
    run = call(service, "POST", "/api/v1/runs", admin, json={**SAMPLE_BODY, "full": True}).json()
    wait_for(service, admin, run["id"], {"running"})

    cancelled = call(service, "POST", f"/api/v1/runs/{run['id']}/cancel", admin)

    assert cancelled.status_code == 202
    done = wait_for(service, admin, run["id"], {"cancelled", "succeeded", "failed"})
    assert done["status"] == "cancelled"
    assert sum(done["outcome_counts"].values()) == done["records_pulled"] < 160
    again = call(service, "POST", f"/api/v1/runs/{run['id']}/cancel", admin)
    assert again.status_code == 409


def test_dead_letters_are_replayed_with_their_original_keys(
    world: World, service: ServerThread, api_keys: dict[str, str]
) -> None:
    admin = api_keys["admin"]
    world.settings = world.settings.model_copy(update={"retry_max_attempts": 2})
    # E-Planning is up; every write is applied, but answered 503 on its own.
    world.faults(world.target, item_error_after_apply_rate=1.0)
    first = world.sync(full=True)
    assert first.counts == {"dead_letter": 160}
    world.faults(world.target, item_error_after_apply_rate=0.0)
    writes_before = world.eplanning_stats()["writes_applied"]

    listed = call(service, "GET", "/api/v1/dead-letters?limit=500", admin).json()
    assert len(listed["items"]) == 160
    assert call(service, "GET", "/api/v1/dead-letters", api_keys["planner"]).status_code == 403
    one = call(service, "POST", f"/api/v1/dead-letters/{listed['items'][0]['id']}/retry", admin)
    rest = call(service, "POST", "/api/v1/dead-letters/retry", admin)

    assert one.status_code == 200 and one.json()["resolved"] == 1
    assert rest.json()["resolved"] == 159 and rest.json()["still_open"] == 0
    # The replays were answered from E-Planning's idempotency store: no write twice.
    assert world.eplanning_stats()["writes_applied"] == writes_before
    assert call(service, "GET", "/api/v1/dead-letters", admin).json()["items"] == []
    # What the replays learnt is remembered: the next sync finds nothing to do.
    assert world.sync().counts == {}
    assert world.sync(full=True).counts == {"unchanged": 160}


def test_cancel_is_honoured_within_seconds_while_reading_eplanning(
    world: World, service: ServerThread, api_keys: dict[str, str]
) -> None:
    admin = api_keys["admin"]
    world.faults(world.target, latency_ms=8000)  # one slow read of E-Planning
    run = call(service, "POST", "/api/v1/runs", admin, json={**SAMPLE_BODY, "full": True}).json()
    wait_for(service, admin, run["id"], {"running"})
    time.sleep(0.5)

    started = time.monotonic()
    assert call(service, "POST", f"/api/v1/runs/{run['id']}/cancel", admin).status_code == 202
    done = wait_for(service, admin, run["id"], {"cancelled", "succeeded", "failed"}, timeout=20)

    assert done["status"] == "cancelled"
    assert time.monotonic() - started < 4
    world.faults(world.target, latency_ms=0)
    assert done["records_pulled"] == 0 and done["outcome_counts"] == {}


def test_a_dead_letter_replay_waits_for_the_run_lease(
    world: World, service: ServerThread, api_keys: dict[str, str]
) -> None:
    from datetime import UTC, datetime, timedelta

    from app.runs import lease

    with session_scope(world.sessions) as session:
        token = lease.acquire(
            session, holder="replika-lain:1:abcd", ttl=timedelta(minutes=5), now=datetime.now(UTC)
        )
    assert token is not None

    busy = call(service, "POST", "/api/v1/dead-letters/retry", api_keys["admin"])

    assert busy.status_code == 409 and busy.json()["error"] == "run_berjalan"
    with session_scope(world.sessions) as session:
        lease.release(session, token=token)
    assert call(service, "POST", "/api/v1/dead-letters/retry", api_keys["admin"]).status_code == 200


def test_a_replay_while_eplanning_is_down_keeps_the_letters_and_says_so(
    world: World, service: ServerThread, api_keys: dict[str, str]
) -> None:
    admin = api_keys["admin"]
    world.settings = world.settings.model_copy(update={"retry_max_attempts": 2})
    world.faults(world.target, item_error_rate=1.0)
    assert world.sync(full=True).counts == {"dead_letter": 160}
    world.faults(world.target, item_error_rate=0.0, error_rate=1.0, retry_after=0)

    replayed = call(service, "POST", "/api/v1/dead-letters/retry", admin).json()

    assert replayed["still_open"] == 160 and replayed["resolved"] == 0
    assert replayed["items"][0]["error"].startswith("E-Planning di ")
    status = call(service, "GET", "/api/v1/status", admin).json()
    assert status["eplanning"]["reachable"] is False
    assert status["open_dead_letters"] == 160
    assert status["scopes"][0]["open_dead_letters"] == 160
    assert status["scopes"][0]["last_run"]["peringatan"].startswith("160 data gagal dikirim")
