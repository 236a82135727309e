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

from reliability import oracle
from reliability.harness import TAHAP, TAHUN
from reliability.pgserver import pg_stack
from reliability.rows import Row, Size
from reliability.services import query, wait_for

NAME = "pg_restart"
RECORDS = {"small": 1000, "full": 50_000}
PAGE_SIZE = {"small": 100, "full": 500}


def _pulled(db_url: str) -> int:
    """Records recorded so far by the running run (0 while the server is down)."""
    try:
        rows = query(db_url, "SELECT records_pulled FROM sync_run WHERE status = 'running'")
    except Exception:
        return 0
    return int(rows[0]["records_pulled"]) if rows else 0


def run(size: Size, workdir: Path) -> list[Row]:
    total, page = RECORDS[size], PAGE_SIZE[size]
    with pg_stack(total, {"page_size": str(page)}) as (s, pg):
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
    return [
        Row(
            "PostgreSQL `pg_ctl -m immediate restart` during a full sync",
            "the run completes or the next one resumes; nothing lost (oracle exact); "
            "0 duplicate effects",
            measured,
            holds,
        )
    ]
