"""Real `sinkron serve` processes: one run across replicas, and a killed run resumed."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app.access import keys
from app.access.keys import Role
from app.db import session_scope
from app.models import AuditEvent, RunStatus, SyncRun
from app.repositories import runs
from app.runs.schedule import Schedule
from tests.conftest import SERVICE_TIMEOUT
from tests.e2e.conftest import TAHAP, TAHUN, World

SINKRON = str(Path(sys.executable).parent / "sinkron")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check: Callable[[], Any], timeout: float = 60, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class Service:
    """One `sinkron serve` process."""

    def __init__(self, world: World, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        settings = world.settings
        self.env = {
            **os.environ,
            "SINKRON_DATABASE_URL": settings.database_url,
            "SINKRON_EPROGRAM_URL": settings.eprogram_url,
            "SINKRON_EPROGRAM_API_KEY": "eprogram-dev-key",
            "SINKRON_EPLANNING_URL": settings.eplanning_url,
            "SINKRON_EPLANNING_TOKEN": "eplanning-dev-token",
            "SINKRON_PAGE_SIZE": "20",
            "SINKRON_WORKER_POLL_SECONDS": "0.2",
            "SINKRON_RETRY_INITIAL_WAIT": "0.01",
            "SINKRON_LEASE_TTL_SECONDS": "5",
            "SINKRON_SYNC_SCOPES": "",
            **env,
        }
        self.process = subprocess.Popen(
            [SINKRON, "serve", "--port", str(self.port)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            # A group of its own: `kill` takes the service and its worker process at
            # once, as a machine that dies does (the worker's own way of noticing a
            # killed service has tests in test_worker_process.py).
            start_new_session=True,
        )
        wait_until(self._up, 30, f"sinkron serve on {self.port}")

    def _up(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(self.process.stderr.read().decode() if self.process.stderr else "")
        try:
            return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def kill(self) -> None:
        """SIGKILL to the service and its worker together. Killing the service alone
        lets its worker finish the page in hand, and with a fast source the run it
        was given could end `succeeded` before the worker noticed: not a kill midway."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def services() -> Iterator[list[Service]]:
    started: list[Service] = []
    yield started
    for service in started:
        service.stop()


def admin_key(world: World) -> str:
    with session_scope(world.sessions) as session:
        return keys.create(session, name=f"admin-{time.monotonic_ns()}", role=Role.ADMIN)


def run_row(world: World, run_id: int) -> SyncRun:
    with session_scope(world.sessions) as session:
        run = runs.get(session, run_id)
        assert run is not None
        return run


def run_to_the_end(world: World, service: Service, key: str) -> SyncRun:
    """Trigger a run on ``service`` and wait until it has ended: the resumed run."""
    resumed = httpx.post(
        f"{service.url}/api/v1/runs",
        json={"tahun_anggaran": TAHUN, "tahap": TAHAP},
        headers={"X-API-Key": key},
        timeout=SERVICE_TIMEOUT,
    ).json()
    return wait_until(
        lambda: (
            run_row(world, resumed["id"]).status in ("succeeded", "failed")
            and run_row(world, resumed["id"])
        ),
        60,
        "the resumed run",
    )


def test_two_service_processes_with_one_schedule_make_exactly_one_run(
    world: World, services: list[Service]
) -> None:
    schedule = Schedule.from_text("0 1 * * *", f"{TAHUN}:{TAHAP}")
    due = schedule.latest_at_or_before(datetime.now(UTC))
    assert due is not None
    with session_scope(world.sessions) as session:
        # The schedule fired before (three days ago), then both replicas were down.
        earlier = runs.create(
            session, tahun_anggaran=TAHUN, tahap=TAHAP, full=False, trigger="schedule"
        )
        earlier.scheduled_for = due - timedelta(days=3)
        earlier.status = RunStatus.SUCCEEDED

    env = {"SINKRON_SYNC_SCOPES": f"{TAHUN}:{TAHAP}", "SINKRON_SCHEDULE": "0 1 * * *"}
    services.append(Service(world, **env))
    services.append(Service(world, **env))

    def scheduled() -> list[SyncRun]:
        with session_scope(world.sessions) as session:
            return list(session.scalars(select(SyncRun).where(SyncRun.scheduled_for == due)))

    run = wait_until(lambda: [r for r in scheduled() if r.status == "succeeded"], 60, "the run")[0]
    time.sleep(1.0)  # give the slower replica every chance to fire as well
    assert len(scheduled()) == 1
    assert run.trigger == "schedule" and run.triggered_by == "sistem-terjadwal"
    assert run.outcome_counts == {"created": 160}
    assert len(world.eplanning_records()) == 160
    with session_scope(world.sessions) as session:
        audited = session.scalars(
            select(AuditEvent).where(AuditEvent.actor == "sistem-terjadwal")
        ).all()
        assert [(e.action, e.target) for e in audited] == [("run.buat", f"run {run.id}")]


def test_a_killed_run_is_marked_interrupted_and_the_next_run_resumes(
    world: World, services: list[Service]
) -> None:
    key = admin_key(world)
    world.faults(world.source, latency_ms=250)
    first = Service(world)
    services.append(first)
    created = httpx.post(
        f"{first.url}/api/v1/runs",
        json={"tahun_anggaran": TAHUN, "tahap": TAHAP},
        headers={"X-API-Key": key},
        timeout=SERVICE_TIMEOUT,
    )
    assert created.status_code == 202
    run_id = created.json()["id"]
    wait_until(lambda: run_row(world, run_id).records_pulled >= 40, 60, "two pages recorded")

    first.kill()
    done_before = run_row(world, run_id).records_pulled
    world.faults(world.source, latency_ms=0)
    second = Service(world)
    services.append(second)

    interrupted = wait_until(
        lambda: run_row(world, run_id).status == "interrupted" and run_row(world, run_id),
        30,
        "the killed run to be marked interrupted",
    )
    assert interrupted.error and "checkpoint" in interrupted.error
    finished = run_to_the_end(world, second, key)
    assert finished.status == "succeeded", finished.error
    assert sum(finished.outcome_counts.values()) == finished.records_pulled
    # Resumed from the checkpoint: the rest pulled, and the killed run's decided
    # writes (they wait in its plan) taken over and pushed; none counted twice.
    assert done_before >= 40
    assert finished.records_pulled == 160
    store = world.eplanning_records()
    assert len(store) == 160
    assert {r["sumber"]["id"] for r in store.values()} == {r["id"] for r in world.dataset.records}


def test_sigterm_stops_a_run_reading_eplanning_within_seconds_and_it_resumes(
    world: World, services: list[Service]
) -> None:
    key = admin_key(world)
    first = Service(world)
    services.append(first)
    created = httpx.post(
        f"{first.url}/api/v1/runs",
        json={"tahun_anggaran": TAHUN, "tahap": TAHAP},
        headers={"X-API-Key": key},
        timeout=SERVICE_TIMEOUT,
    )
    run_id = created.json()["id"]
    wait_until(lambda: run_row(world, run_id).records_pulled >= 40, 60, "two pages recorded")
    # E-Program now answers slowly: the run is waiting on a request.
    world.faults(world.source, latency_ms=8000)
    time.sleep(0.5)

    started = time.monotonic()
    first.process.send_signal(signal.SIGTERM)
    first.process.wait(20)
    stopped_in = time.monotonic() - started

    assert stopped_in < 8, f"SIGTERM took {stopped_in:.1f} s"
    stopped = run_row(world, run_id)
    assert stopped.status == "interrupted", stopped.error
    assert sum(stopped.outcome_counts.values()) == stopped.records_pulled >= 40
    world.faults(world.source, latency_ms=0)
    second = Service(world)
    services.append(second)
    finished = run_to_the_end(world, second, key)
    assert finished.status == "succeeded", finished.error
    # The rest pulled, the stopped run's decided writes taken over and pushed.
    assert finished.records_pulled == 160
    assert len(world.eplanning_records()) == 160


def test_every_replica_shows_the_last_contact_whoever_made_it(
    world: World, services: list[Service]
) -> None:
    key = admin_key(world)
    # Never runs the job below: it does not poll for pending runs.
    replica = Service(world, SINKRON_WORKER_POLL_SECONDS="3600")
    services.append(replica)
    world.faults(world.target, error_rate=1.0, retry_after=0)
    world.settings = world.settings.model_copy(update={"retry_max_attempts": 2})

    failed = world.sync(full=True)  # this process, not the replica

    assert failed.status is RunStatus.FAILED
    status = httpx.get(
        f"{replica.url}/api/v1/status", headers={"X-API-Key": key}, timeout=SERVICE_TIMEOUT
    ).json()
    assert status["eplanning"]["reachable"] is False
    assert status["eplanning"]["detail"].startswith("E-Planning di ")
    world.faults(world.target, error_rate=0.0)
    assert world.sync(full=True).status is RunStatus.SUCCEEDED
    status = httpx.get(
        f"{replica.url}/api/v1/status", headers={"X-API-Key": key}, timeout=SERVICE_TIMEOUT
    ).json()
    assert status["eplanning"]["reachable"] is True
    assert status["eprogram"]["reachable"] is True


def test_metrics_show_what_the_worker_process_measured_even_after_it_was_killed(
    world: World, services: list[Service]
) -> None:
    key = admin_key(world)
    service = Service(world)
    services.append(service)
    first = run_to_the_end(world, service, key)
    assert first.status == "succeeded"
    worker = int(str(first.holder).split(":")[1])
    os.kill(worker, signal.SIGKILL)  # the service starts another; what it measured stays

    scrape = httpx.get(f"{service.url}/metrics", timeout=SERVICE_TIMEOUT).text

    assert 'sinkron_records_total{outcome="created"} 160.0' in scrape
    pulls = re.search(r"^sinkron_pull_seconds_count (\S+)$", scrape, re.MULTILINE)
    assert pulls is not None and float(pulls.group(1)) >= 160 / 20
