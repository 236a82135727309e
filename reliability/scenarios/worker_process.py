"""The process layout: runs are carried out by a worker process, not by the API's.

1. SIGKILL of the worker process `sinkron serve` started, at random moments of
   a full sync (after a randomly drawn number of pages, then a random fraction
   of a second), several times. The service must stay up, start a new worker
   each time, and that worker must mark the killed run `interrupted` (its holder
   is a dead process of this host: the lease is free at once). After each kill
   the run is triggered again over the API, as an admin would, until one
   succeeds: nothing lost, nothing applied twice.
2. SIGTERM of `sinkron serve` during a run: the service exits within seconds
   (uvicorn re-raises the SIGTERM once it has shut down cleanly), its worker
   with it (no process left behind), and the run is left
   `interrupted` with the shutdown message, its outcomes adding up. A new
   service's run resumes it.
3. The production layout: `sinkron serve --tanpa-worker` beside `sinkron
   worker`. A run triggered over the API is found by the worker's poll; the
   worker is SIGKILLed and started again by hand (as a process manager would);
   the new worker marks the run `interrupted` and the next run finishes.
"""

from __future__ import annotations

import os
import random
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from reliability import oracle
from reliability.harness import TAHAP, TAHUN, Stack, stack, stop
from reliability.rows import Row, Size
from reliability.services import (
    Service,
    admin_key,
    ended,
    holder_pid,
    parent_of,
    run_row,
    wait_for,
)

NAME = "worker_process"
RECORDS = {"small": 2000, "full": 50_000}
KILLS = {"small": 3, "full": 10}
PAGE_SIZE = {"small": 100, "full": 500}
MAX_RUNS = 10  # after the kills: runs allowed to finish the job
SEED = 22


def run(size: Size, workdir: Path) -> list[Row]:
    page = str(PAGE_SIZE[size])
    rows: list[Row] = []
    with stack(RECORDS[size], workdir, page_size=page, worker_poll_seconds="0.5") as s:
        rows += _worker_killed(s, size)
    with stack(RECORDS[size], workdir, page_size=page, worker_poll_seconds="0.5") as s:
        rows.append(_service_terminated(s, size))
    with stack(RECORDS[size], workdir, page_size=page, worker_poll_seconds="0.5") as s:
        rows.append(_apart(s, size))
    return rows


def _accepted(answer: httpx.Response) -> httpx.Response | None:
    return answer if answer.status_code == 202 else None


def _running(s: Stack, service: Service, key: str, *, full: bool) -> int:
    answer: httpx.Response = wait_for(
        lambda: _accepted(service.trigger(key, full=full)), 60, "a run accepted", every=0.3
    )
    run_id = int(answer.json()["id"])
    wait_for(lambda: run_row(s.db_url, run_id)["status"] != "pending", 60, "the run taken")
    return run_id


def _worker_killed(s: Stack, size: Size) -> list[Row]:
    rng = random.Random(SEED)
    page = PAGE_SIZE[size]
    key = admin_key(s)
    service = Service.start(s)
    kills: list[str] = []
    recovered: list[float] = []
    try:
        full = True
        for _ in range(KILLS[size]):
            run_id = _running(s, service, key, full=full)
            full = False
            kill, took = _kill_holder(s, run_id, rng.randint(1, 3) * page, rng.uniform(0, 0.5))
            kills.append(kill)
            if took is not None:
                recovered.append(took)
        finished = None
        for _ in range(MAX_RUNS):
            last = _until_ended(s, _running(s, service, key, full=full), 1800)
            if last["status"] == "succeeded":
                finished = last
                break
        alive = service.process.poll() is None
        workers = service.workers()
    finally:
        service.stop()
    expected = oracle.expected_holdings(s.source_records(), tahun_anggaran=TAHUN, tahap=TAHAP)
    found = oracle.diff(expected, s.holdings())
    duplicates = s.control("eplanning", "applied")["duplicate_effects"]
    statuses = Counter(str(r["status"]) for r in s.runs())
    killed = sum("interrupted" in k for k in kills)
    fault = (
        f"{killed} SIGKILLs of the worker process of `sinkron serve` at random moments of a "
        f"full sync of {RECORDS[size]:,} records (pages of {page}), triggered again over the "
        "API until a run succeeds"
    )
    return [
        Row(
            fault,
            "the service stays up and starts a new worker; the killed run is marked "
            "interrupted by it; nothing lost, 0 duplicate effects; no run left running",
            f"{'; '.join(kills)}; marked interrupted {max(recovered, default=0):.1f} s after "
            f"the kill at most; service process {'alive' if alive else 'GONE'}, "
            f"{len(workers)} worker process(es) at the end; runs: "
            f"{', '.join(f'{n} {st}' for st, n in sorted(statuses.items()))}; "
            f"E-Planning: {found.summary()}; duplicate effects {duplicates}",
            alive
            and len(workers) == 1
            and killed == KILLS[size]
            and finished is not None
            and found.exact
            and duplicates == 0
            and statuses.get("running", 0) == 0,
        )
    ]


def _until_ended(s: Stack, run_id: int, timeout: float) -> dict[str, Any]:
    return wait_for(lambda: ended(s.db_url, run_id), timeout, f"run {run_id} to end", every=0.2)


def _kill_holder(s: Stack, run_id: int, pulled: int, delay: float) -> tuple[str, float | None]:
    """SIGKILL the process holding ``run_id`` once ``pulled`` records are recorded and
    ``delay`` seconds more; what became of the run, and how long until it was marked."""
    wait_for(
        lambda: ended(s.db_url, run_id) or run_row(s.db_url, run_id)["records_pulled"] >= pulled,
        600,
        "pages recorded",
        every=0.05,
    )
    time.sleep(delay)
    row = run_row(s.db_url, run_id)
    if row["status"] != "running":
        return f"run {run_id} {row['status']} before its kill", None
    killed_at = time.monotonic()
    os.kill(holder_pid(row["holder"]), signal.SIGKILL)
    marked = _until_ended(s, run_id, 120)
    took = time.monotonic() - killed_at
    return f"run {run_id} {marked['status']} at {marked['records_pulled']:,}", took


def _service_terminated(s: Stack, size: Size) -> Row:
    key = admin_key(s)
    service = Service.start(s)
    try:
        run_id = _running(s, service, key, full=True)
        half = RECORDS[size] // 2
        wait_for(lambda: run_row(s.db_url, run_id)["records_pulled"] >= half, 600, "half")
        worker = holder_pid(run_row(s.db_url, run_id)["holder"])
        started = time.monotonic()
        code = stop(service.process, timeout=60)
        took = time.monotonic() - started
        orphan = parent_of(worker) is not None
        stopped = run_row(s.db_url, run_id)
        counts = next(r for r in s.runs() if r["id"] == run_id)["outcome_counts"] or {}
    finally:
        service.stop()
    again = Service.start(s)
    try:
        resumed = _running(s, again, key, full=False)
        last = wait_for(lambda: ended(s.db_url, resumed), 1800, "the resumed run", every=0.3)
    finally:
        again.stop()
    expected = oracle.expected_holdings(s.source_records(), tahun_anggaran=TAHUN, tahap=TAHAP)
    found = oracle.diff(expected, s.holdings())
    duplicates = s.control("eplanning", "applied")["duplicate_effects"]
    adds_up = sum(counts.values()) == stopped["records_pulled"]
    return Row(
        f"SIGTERM of `sinkron serve` half way through a full sync of {RECORDS[size]:,} records",
        "the service exits within 30 s (0, or uvicorn's re-raised SIGTERM), its worker "
        "with it; the run left interrupted "
        "(shutdown), outcomes adding up; the next service's run resumes it: exact, "
        "0 duplicate effects",
        f"exit {code} after {took:.1f} s; worker process "
        f"{'STILL THERE' if orphan else 'gone'}; run {run_id} {stopped['status']} at "
        f"{stopped['records_pulled']:,} (“{stopped['error']}”), outcomes "
        f"{'add up' if adds_up else 'DO NOT add up'}; run {resumed} {last['status']} "
        f"({last['records_pulled']:,} pulled); E-Planning: {found.summary()}; "
        f"duplicate effects {duplicates}",
        code in (0, -signal.SIGTERM)
        and took < 30
        and not orphan
        and stopped["status"] == "interrupted"
        and "layanan dihentikan" in str(stopped["error"])
        and adds_up
        and last["status"] == "succeeded"
        and found.exact
        and duplicates == 0,
    )


def _apart(s: Stack, size: Size) -> Row:
    key = admin_key(s)
    service = Service.start(s, "--tanpa-worker")
    worker = s.worker()
    try:
        first = _running(s, service, key, full=True)
        took = time.monotonic()
        wait_for(lambda: run_row(s.db_url, first)["records_pulled"] >= PAGE_SIZE[size], 600, "")
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        kept = len(service.workers()) == 0 and service.process.poll() is None
        worker = s.worker()  # a process manager's restart
        marked = wait_for(lambda: ended(s.db_url, first), 120, "the killed run marked")
        took = time.monotonic() - took
        second = _running(s, service, key, full=False)
        last = wait_for(lambda: ended(s.db_url, second), 1800, "the next run", every=0.3)
    finally:
        stop(worker)
        service.stop()
    expected = oracle.expected_holdings(s.source_records(), tahun_anggaran=TAHUN, tahap=TAHAP)
    found = oracle.diff(expected, s.holdings())
    duplicates = s.control("eplanning", "applied")["duplicate_effects"]
    return Row(
        "`sinkron serve --tanpa-worker` beside `sinkron worker`; the worker SIGKILLed "
        "during a run and started again",
        "the service starts no worker and stays up; the run is found by the worker's poll; "
        "the new worker marks the killed run interrupted; the next run finishes: exact, "
        "0 duplicate effects",
        f"service {'up, no worker of its own' if kept else 'NOT AS EXPECTED'}; run {first} "
        f"{marked['status']} at {marked['records_pulled']:,}; run {second} {last['status']} "
        f"({last['records_pulled']:,} pulled); E-Planning: {found.summary()}; "
        f"duplicate effects {duplicates}",
        kept
        and marked["status"] == "interrupted"
        and last["status"] == "succeeded"
        and found.exact
        and duplicates == 0,
    )
