"""The service's worker process: a run triggered over HTTP is carried out in a
process of its own; a worker killed mid-run is started again and its run left
interrupted; stopping the service stops the worker and its run at a page boundary."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import Engine

from app.access import keys
from app.access.keys import Role
from app.db import session_scope
from app.main import create_app
from app.models import SyncRun
from app.runs.lease import INTERRUPTED_MESSAGE
from app.sync.progress import STOPPED
from standins.server import ServerThread
from tests.e2e.conftest import TAHAP, TAHUN, World

T = TypeVar("T")
RUN = {"tahun_anggaran": TAHUN, "tahap": TAHAP, "full": True}


@pytest.fixture
def admin(world: World) -> str:
    with session_scope(world.sessions) as session:
        return keys.create(session, name="admin-uji", role=Role.ADMIN)


@pytest.fixture
def service(world: World, engine: Engine) -> Iterator[ServerThread]:
    # No polling: the worker finds a run because the service wakes it.
    settings = world.settings.model_copy(update={"worker_poll_seconds": 3600, "sync_scopes": ""})
    with ServerThread(create_app(settings, engine, background=True)) as server:
        yield server


def eventually(check: Callable[[], T | None], what: str, timeout: float = 60) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout:.0f} s: {what}")


def trigger(service: ServerThread, key: str) -> int:
    answer = httpx.post(f"{service.url}/api/v1/runs", json=RUN, headers={"X-API-Key": key})
    assert answer.status_code == 202, answer.text
    return int(answer.json()["id"])


def run_row(world: World, run_id: int) -> dict[str, Any]:
    with session_scope(world.sessions) as session:
        run = session.get(SyncRun, run_id)
        assert run is not None
        return {"status": run.status, "holder": run.holder, "error": run.error}


def holder_pid(holder: str | None) -> int:
    assert holder is not None
    return int(holder.split(":")[1])


def test_a_run_is_carried_out_in_a_process_other_than_the_service(
    world: World, service: ServerThread, admin: str
) -> None:
    run_id = trigger(service, admin)

    done = eventually(lambda: run_row(world, run_id)["status"] == "succeeded" or None, "succeeded")

    assert done
    assert holder_pid(run_row(world, run_id)["holder"]) != os.getpid()
    assert len(world.eplanning_records()) == 160


def test_a_killed_worker_is_started_again_and_its_run_left_interrupted(
    world: World, service: ServerThread, admin: str
) -> None:
    world.faults(world.source, latency_ms=300)
    first = trigger(service, admin)
    running = eventually(lambda: (r := run_row(world, first))["status"] == "running" and r, "run")
    killed = holder_pid(running["holder"])

    os.kill(killed, signal.SIGKILL)

    # The worker started in its place finds the run under a dead holder.
    ended = eventually(lambda: (r := run_row(world, first))["status"] != "running" and r, "ended")
    assert ended["status"] == "interrupted" and ended["error"] == INTERRUPTED_MESSAGE
    world.faults(world.source, latency_ms=0)
    second = trigger(service, admin)
    eventually(lambda: run_row(world, second)["status"] == "succeeded" or None, "next run")
    assert holder_pid(run_row(world, second)["holder"]) not in (killed, os.getpid())
    assert len(world.eplanning_records()) == 160


def test_stopping_the_service_stops_its_worker_and_leaves_the_run_interrupted(
    world: World, engine: Engine, admin: str
) -> None:
    world.faults(world.source, latency_ms=300)
    settings = world.settings.model_copy(update={"worker_poll_seconds": 3600, "sync_scopes": ""})
    with ServerThread(create_app(settings, engine, background=True)) as service:
        run_id = trigger(service, admin)
        running = eventually(lambda: (r := run_row(world, run_id))["status"] == "running" and r, "")
    # The service is stopped: the worker finished its page, marked the run and left.

    ended = run_row(world, run_id)
    assert ended["status"] == "interrupted" and ended["error"] == STOPPED["shutdown"][1]
    with pytest.raises(ProcessLookupError):
        os.kill(holder_pid(running["holder"]), 0)
