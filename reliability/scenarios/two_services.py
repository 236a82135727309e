"""Two `sinkron serve` processes on one PostgreSQL database: one run at a time,
and a lease holder that was paused past its lease changes nothing when it wakes.

1. Ten simultaneous `POST /api/v1/runs` to each process. Every answer must be
   202 or 409 (never a 5xx), and at no moment may two runs be `running`: the
   runs table is sampled every 10 ms while they work, and the runs' own start
   and end times are checked for overlap afterwards.
2. Fencing. A run is started, its holder (the worker process one service
   started) is paused with SIGSTOP past its lease (3 s; 15 s at full size), the
   other service's worker takes over and finishes the work; then the paused
   process is resumed. From then on E-Planning must apply no write and the run
   history must not change.

The POST rate limit is raised for the test: the limiter is per process and
would otherwise answer some of the triggers 429, which is not what is measured.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from app.db import normalise_url
from reliability import oracle
from reliability.harness import TAHAP, TAHUN, Stack
from reliability.pgserver import pg_stack
from reliability.rows import Row, Size
from reliability.services import (
    Service,
    admin_key,
    ended,
    parent_of,
    query,
    run_row,
    wait_for,
)

NAME = "two_services"
RECORDS = {"small": 1000, "full": 50_000}
PAGE_SIZE = {"small": 100, "full": 500}
# The lease is renewed in every page's transaction, so it must outlast the longest
# one: at 50,000 records on a loaded machine a 3 s lease expired under a live
# holder (the other process then interrupted its run, as it should).
LEASE_SECONDS = {"small": 3.0, "full": 15.0}
SETTINGS = {
    "worker_poll_seconds": "0.2",
    "rate_limit_post_per_minute": "1000",
    "sync_scopes": "",
}


class RunningSampler:
    """The most runs seen `running` at once, sampling the runs table every 10 ms."""

    def __init__(self, db_url: str) -> None:
        self.engine = create_engine(normalise_url(db_url))
        self.most = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        with self.engine.connect() as conn:
            while not self._stop.is_set():
                count = conn.execute(
                    text("SELECT count(*) FROM sync_run WHERE status = 'running'")
                ).scalar_one()
                conn.rollback()  # a fresh snapshot for the next sample
                self.most = max(self.most, int(count))
                self.samples += 1
                time.sleep(0.01)

    def __enter__(self) -> RunningSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.engine.dispose()


def most_overlapping(runs: list[dict[str, Any]]) -> int:
    """The most runs whose [started_at, finished_at] intervals overlap at one moment."""
    events: list[tuple[datetime, int]] = []
    for run in runs:
        if run["started_at"] is None:
            continue
        events.append((run["started_at"], 1))
        events.append((run["finished_at"] or datetime.now(UTC), -1))
    most = current = 0
    for _, step in sorted(events, key=lambda e: (e[0], e[1])):  # an end before a start
        current += step
        most = max(most, current)
    return most


def _all_runs(db_url: str) -> list[dict[str, Any]]:
    return query(
        db_url,
        "SELECT id, status, holder, records_pulled, outcome_counts, started_at, finished_at"
        " FROM sync_run ORDER BY id",
    )


def _triggers(s: Stack, services: list[Service], key: str) -> Row:
    barrier = threading.Barrier(20)

    def trigger(service: Service) -> int:
        barrier.wait()
        return service.trigger(key, full=True).status_code

    with RunningSampler(s.db_url) as sampler:
        with ThreadPoolExecutor(20) as pool:
            codes = list(pool.map(trigger, [svc for svc in services for _ in range(10)]))
        wait_for(
            lambda: (
                not query(
                    s.db_url, "SELECT id FROM sync_run WHERE status IN ('pending', 'running')"
                )
            ),
            1800,
            "the runs to end",
            every=0.3,
        )
    runs = _all_runs(s.db_url)
    overlap = most_overlapping(runs)
    answered = {code: codes.count(code) for code in sorted(set(codes))}
    clear = all(code in (202, 409) for code in codes)
    return Row(
        "two service processes, 10 simultaneous triggers to each",
        "at most 1 run running at any moment; every trigger answered 202 or 409 (no 5xx)",
        f"answers {answered}; {len(runs)} run(s) made, "
        f"{', '.join(str(r['status']) for r in runs)}; most running at once: "
        f"{sampler.most} in {sampler.samples:,} samples, {overlap} by start/end times",
        clear and sampler.most <= 1 and overlap <= 1 and 202 in codes,
    )


def _accepted(service: Service, key: str) -> httpx.Response | None:
    answer = service.trigger(key, full=False)
    return answer if answer.status_code == 202 else None


def _fencing(s: Stack, services: list[Service], key: str, total: int, lease: float) -> Row:
    s.client.post(f"{s.standins.eplanning}/_standin/reset").raise_for_status()
    # slow answers make the pause land in the middle of a page
    s.faults("eprogram", latency_ms=200)
    s.faults("eplanning", latency_ms=200)
    started = services[0].trigger(key, full=True)
    started.raise_for_status()
    run_id = int(started.json()["id"])
    wait_for(lambda: run_row(s.db_url, run_id)["records_pulled"] >= total // 5, 600, "a fifth")
    holder_pid = int(str(run_row(s.db_url, run_id)["holder"]).split(":")[1])
    # The holder is a service's worker process; its service stays up, answering.
    paused = next(svc for svc in services if parent_of(holder_pid) == svc.pid)
    other = next(svc for svc in services if svc is not paused)

    os.kill(holder_pid, signal.SIGSTOP)
    try:
        stopped_at = time.monotonic()
        time.sleep(lease * 1.5)
        s.faults("eprogram")
        s.faults("eplanning")
        answer = wait_for(
            lambda: _accepted(other, key), 120, "the other process to accept a run", every=0.5
        )
        taken_over = time.monotonic() - stopped_at
        second = int(answer.json()["id"])
        wait_for(lambda: ended(s.db_url, second), 1800, "the run of the other process")
        writes_before = s.stats("eplanning")
        held_before = s.holdings()
        runs_before = _all_runs(s.db_url)
    finally:
        os.kill(holder_pid, signal.SIGCONT)
    # its heartbeat (every lease/3) and its page in hand have their chance
    time.sleep(lease)
    writes_after = s.stats("eplanning")
    held_after = s.holdings()
    runs_after = _all_runs(s.db_url)
    expected = oracle.expected_holdings(s.source_records(), tahun_anggaran=TAHUN, tahap=TAHAP)
    found = oracle.diff(expected, held_after)

    late = writes_after["writes_applied"] - writes_before["writes_applied"]
    first = next(r for r in runs_after if r["id"] == run_id)
    final = next(r for r in runs_after if r["id"] == second)
    history_same = runs_before == runs_after
    holds = (
        late == 0
        and held_before == held_after
        and history_same
        and found.exact
        and writes_after["duplicate_effects"] == 0
        and final["status"] == "succeeded"
        and paused.process.poll() is None
        and parent_of(holder_pid) == paused.pid
    )
    return Row(
        f"the lease holder (a service's worker process) paused (SIGSTOP) past its "
        f"{lease:.0f} s lease, then resumed",
        "the other process takes over; after the resume E-Planning applies 0 writes "
        "and the run history does not change (fencing)",
        f"paused run {run_id} at {first['records_pulled']:,} recorded; the other process "
        f"accepted a run {taken_over:.1f} s after the pause; run {run_id} "
        f"{first['status']}, run {second} {final['status']} "
        f"({final['records_pulled']:,} pulled); after the resume: {late} writes applied, "
        f"records {'unchanged' if held_before == held_after else 'CHANGED'}, run history "
        f"{'unchanged' if history_same else 'CHANGED'}; E-Planning: {found.summary()}; "
        f"duplicate effects {writes_after['duplicate_effects']}",
        holds,
    )


def _start_two(s: Stack) -> list[Service]:
    """Both processes, started side by side; none left running when one fails to start."""
    with ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(Service.start, s) for _ in range(2)]
    services = [f.result() for f in futures if f.exception() is None]
    if len(services) < 2:
        for service in services:
            service.stop()
        for future in futures:
            future.result()  # raises the failure
    return services


def run(size: Size, workdir: Path) -> list[Row]:
    total, lease = RECORDS[size], LEASE_SECONDS[size]
    with pg_stack(
        total,
        {**SETTINGS, "page_size": str(PAGE_SIZE[size]), "lease_ttl_seconds": str(lease)},
    ) as (s, _pg):
        key = admin_key(s)
        services = _start_two(s)
        try:
            rows = [_triggers(s, services, key)]
            rows.append(_fencing(s, services, key, total, lease))
        finally:
            for service in services:
                service.stop()
    return rows
