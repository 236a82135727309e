"""PostgreSQL restarted (`pg_ctl -m immediate restart`) in the middle of a full sync.

Sinkron's database is on a server this scenario starts itself. The full sync
runs as `sinkron sync --full`; once a third of the records are recorded the
server is restarted without a checkpoint, cutting every connection. The run
either rides it out and completes, or stops; then the next `sinkron sync`
(incremental: it resumes a cut pass) must bring E-Planning exactly right,
with no write applied twice.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from reliability import oracle
from reliability.harness import TAHAP, TAHUN, Stack
from reliability.pgserver import PgServer, pg_stack
from reliability.rows import Row, Size
from reliability.services import Service, admin_key, ended, query, wait_for

NAME = "pg_restart"
RECORDS = {"small": 1000, "full": 50_000}
PAGE_SIZE = {"small": 100, "full": 500}
# full: the default lease, what an admin gets; small: short, to keep CI quick
LEASE_SECONDS = {"small": 10, "full": 120}


def _pulled(db_url: str) -> int:
    """Records recorded so far by the running run (0 while the server is down)."""
    try:
        rows = query(db_url, "SELECT records_pulled FROM sync_run WHERE status = 'running'")
    except Exception:
        return 0
    return int(rows[0]["records_pulled"]) if rows else 0


def _cli(s: Stack, pg: PgServer, total: int, page: int) -> Row:
    first = s.start_sync(full=True)
    try:
        wait_for(lambda: _pulled(s.db_url) >= total // 3, 600, "a third recorded")
        cut_at = _pulled(s.db_url)
        restarted = time.monotonic()
        server_back = pg.restart_immediate()
        first_exit = first.wait(timeout=600)
    finally:
        if first.poll() is None:
            first.kill()
    first_done = time.monotonic()
    nxt = s.sync(full=False) if first_exit != 0 else None
    recovered = (time.monotonic() if nxt else first_done) - restarted
    expected = oracle.expected_holdings(s.source_records(), tahun_anggaran=TAHUN, tahap=TAHAP)
    found = oracle.diff(expected, s.holdings())
    duplicates = int(s.stats("eplanning")["duplicate_effects"])
    runs = query(s.db_url, "SELECT id, status, records_pulled FROM sync_run ORDER BY id")

    first_run, last_run = runs[0], runs[-1]
    if nxt is None:
        happened = f"the run rode it out: exit 0, {first_run['status']}"
        redone = 0
    else:
        redone_records = first_run["records_pulled"] + last_run["records_pulled"] - total
        redone = max(0, -(-redone_records // page))
        happened = (
            f"the run stopped (exit {first_exit}, left {first_run['status']}); "
            f"the next run {last_run['status']} (exit {nxt.returncode}) "
            f"pulling {last_run['records_pulled']:,} of {total:,}: {redone} page(s) redone"
        )
        if nxt.returncode:
            happened += f" ({nxt.output.strip().splitlines()[-1][:200]})"
    holds = (
        found.exact
        and duplicates == 0
        and (first_exit == 0 or (nxt is not None and nxt.returncode == 0))
    )
    measured = (
        f"{total:,} records, restart at {cut_at:,} recorded; server back in {server_back:.1f} s; "
        f"{happened}; the last run ended {recovered:.1f} s after the restart; "
        f"E-Planning: {found.summary()}; duplicate effects {duplicates}"
    )
    return Row(
        "PostgreSQL `pg_ctl -m immediate restart` during a full `sinkron sync`",
        "the run completes or the next one resumes; nothing lost (oracle exact); "
        "0 duplicate effects",
        measured,
        holds,
    )


def _ready(service: Service) -> bool:
    try:
        return httpx.get(f"{service.url}/readyz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


SERVICE_FAULT = "PostgreSQL `pg_ctl -m immediate restart` during a run of `sinkron serve`"
SERVICE_MUST = (
    "the service outlives it (/readyz 200 again); the run completes or the next one "
    "resumes; nothing lost; 0 duplicate effects"
)


def _service(s: Stack, pg: PgServer, total: int, lease: int) -> Row:
    """The same restart under `sinkron serve`: the service and its worker must outlive it.

    A run cut by the restart stays `running` until its lease expires when the
    worker could not release the lease while the server was down; so the lease
    (SINKRON_LEASE_TTL_SECONDS) bounds the time to recover, and is in the row.
    """
    s.client.post(f"{s.standins.eplanning}/_standin/reset").raise_for_status()
    key = admin_key(s)
    service = Service.start(s, lease_ttl_seconds=str(lease), worker_poll_seconds="0.5")
    try:
        # 409 while a run the first part left is not yet closed by the worker
        started = wait_for(lambda: _accepted(service, key, full=True), 60, "a run accepted")
        run_id = int(started.json()["id"])
        wait_for(lambda: _pulled(s.db_url) >= total // 3, 600, "a third recorded")
        restarted = time.monotonic()
        server_back = pg.restart_immediate()
        wait_for(lambda: _ready(service), 600, "/readyz 200 again", every=0.2)
        ready = time.monotonic() - restarted
        first = wait_for(lambda: ended(s.db_url, run_id), 600, "the cut run to end", every=0.3)
        runs = [first]
        if first["status"] != "succeeded":
            answer = wait_for(
                lambda: _accepted(service, key), 600, "a next run accepted", every=0.5
            )
            runs.append(
                wait_for(lambda: ended(s.db_url, int(answer.json()["id"])), 1800, "the next run")
            )
        recovered = time.monotonic() - restarted
        alive = service.process.poll() is None
    finally:
        service.stop()
    expected = oracle.expected_holdings(s.source_records(), tahun_anggaran=TAHUN, tahap=TAHAP)
    found = oracle.diff(expected, s.holdings())
    duplicates = int(s.stats("eplanning")["duplicate_effects"])
    story = "; ".join(f"run {r['id']} {r['status']} ({r['records_pulled']:,} pulled)" for r in runs)
    return Row(
        f"{SERVICE_FAULT} (lease {lease} s)",
        SERVICE_MUST,
        f"server back in {server_back:.1f} s, /readyz 200 after {ready:.1f} s; {story}; "
        f"the last run ended {recovered:.1f} s after the restart; service process "
        f"{'alive' if alive else 'DEAD'}; E-Planning: {found.summary()}; "
        f"duplicate effects {duplicates}",
        alive and runs[-1]["status"] == "succeeded" and found.exact and duplicates == 0,
    )


def _accepted(service: Service, key: str, *, full: bool = False) -> httpx.Response | None:
    answer = service.trigger(key, full=full)
    return answer if answer.status_code == 202 else None


def run(size: Size, workdir: Path) -> list[Row]:
    total, page = RECORDS[size], PAGE_SIZE[size]
    with pg_stack(total, {"page_size": str(page)}) as (s, pg):
        rows = [_cli(s, pg, total, page)]
        try:
            rows.append(_service(s, pg, total, LEASE_SECONDS[size]))
        except Exception as exc:  # keep the first row's figures
            rows.append(Row(SERVICE_FAULT, SERVICE_MUST, f"error: {exc!r}", False))
        return rows
