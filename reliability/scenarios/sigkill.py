"""SIGKILL of the syncing process at random moments of a full sync, restarted until it succeeds.

The kill moments are spread over the run by progress: each kill waits until
E-Program has served a randomly drawn number of pages (0 kills during start-up
and the read of E-Planning), then a random fraction of a second more. The
first run is `sinkron sync --full`; every restart is `sinkron sync`, what an
admin runs by default: a full pass cut short is resumed by the next run,
incremental or full as the schedule's are (app/sync/watermark.py), and the
lease of a holder whose process is gone on this host is taken over at once
(app/runs/lease.py), so no admin action is needed in between.
"""

from __future__ import annotations

import random
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

from reliability import oracle
from reliability.harness import TAHAP, TAHUN, Stack, stack
from reliability.rows import Row, Size

NAME = "sigkill"
RECORDS = {"small": 2000, "full": 50_000}
KILLS = {"small": 5, "full": 20}
# Pages the pipeline fetches ahead of the one it works on (app/sync/pipeline.py):
# fetched, never worked on, so read again after a kill without being redone.
LOOK_AHEAD = 1
PAGE_SIZE = {"small": 100, "full": 500}
MAX_RESTARTS = 10  # after the kills: runs allowed to finish the job
SEED = 10


def run(size: Size, workdir: Path) -> list[Row]:
    records, kills, page_size = RECORDS[size], KILLS[size], PAGE_SIZE[size]
    rng = random.Random(SEED)
    pages_total = -(-records // page_size)
    # where in the feed each kill falls: distinct pages served so far, drawn over the pull
    targets = sorted(rng.randrange(0, pages_total) for _ in range(kills))
    with stack(records, workdir, page_size=str(page_size)) as s:
        redone_per_restart: list[int] = []
        served = _pages(s, page_size)
        killed = 0
        ended: list[int] = []  # exit codes of runs that ended before their kill
        why: list[str] = []  # the last line of each of those that failed
        first = True
        for n, target in enumerate(targets):
            log = workdir / f"sigkill-run-{n}.log"
            process = s.start_sync(full=first, output=log)
            first = False
            while process.poll() is None and len(_pages(s, page_size)) < target:
                time.sleep(0.05)
            time.sleep(rng.uniform(0, 0.5))
            if _kill_or_note(process, log, ended, why):
                killed += 1
            process.wait()
            now = _pages(s, page_size)
            redone_per_restart.append(_redone(served, now))
            served = now
        finished = None
        started = len(targets)
        for _ in range(MAX_RESTARTS):
            started += 1
            result = s.sync(full=first)
            first = False
            now = _pages(s, page_size)
            redone_per_restart.append(_redone(served, now))
            served = now
            if result.returncode == 0:
                finished = result
                break
        expected = oracle.expected_holdings(s.source_records(), tahun_anggaran=TAHUN, tahap=TAHAP)
        found = oracle.diff(expected, s.holdings())
        duplicates = s.control("eplanning", "applied")["duplicate_effects"]
        runs = s.runs()
    # the first run's pages are no restart's
    after_restarts = redone_per_restart[1:]
    worst = max(after_restarts, default=0)
    lost = len(found.lost)
    scope = (
        f"{killed} SIGKILLs of `sinkron sync` at random moments of a full sync of "
        f"{records:,} records (pages of {page_size}), restarted until it succeeds"
    )
    if ended:
        scope += f" ({len(ended)} runs ended before their kill, exit {ended})"
    if why:
        scope += f"; the first failed one said: {why[0]}"
    statuses = Counter(str(run["status"]) for run in runs)
    done = (
        f"succeeded at process {started} (runs recorded: "
        f"{', '.join(f'{n} {status}' for status, n in sorted(statuses.items()))})"
        if finished is not None
        else f"did not succeed within {MAX_RESTARTS} runs after the kills"
    )
    return [
        Row(
            scope,
            "records lost: 0; final state exact",
            f"{done}; lost {lost}; E-Planning: {found.summary()}",
            finished is not None and found.exact,
        ),
        Row(scope, "duplicate effects in E-Planning: 0", f"{duplicates}", duplicates == 0),
        Row(
            scope,
            "no run left shown as running (the next run closes a killed one)",
            ", ".join(f"{n} {status}" for status, n in sorted(statuses.items())),
            statuses.get("running", 0) == 0 and statuses.get("succeeded", 0) >= 1,
        ),
        Row(
            scope,
            "pages redone after each restart: at most 1 (the page in hand; the run also "
            "reads the next page ahead while it works, so at most 2 pages are read again)",
            f"pages read again per restart: {', '.join(map(str, after_restarts))} (max {worst})",
            worst <= 1 + LOOK_AHEAD,
        ),
    ]


def _kill_or_note(
    process: subprocess.Popen[bytes], log: Path, ended: list[int], why: list[str]
) -> bool:
    """SIGKILL the run if it is still going (True); else note how it ended."""
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
        return True
    ended.append(process.returncode)
    if process.returncode:
        why.append(_last_line(log))
    return False


def _last_line(log: Path) -> str:
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1][:300] if lines else "(nothing)"


def _pages(s: Stack, page_size: int) -> Counter[str]:
    """Sinkron's page requests so far, by cursor (the oracle's own reads use another limit)."""
    pages = s.control("eprogram", "pages")["pages"]
    return Counter(
        {key: count for key, count in pages.items() if key.split("|")[2] == str(page_size)}
    )


def _redone(before: Counter[str], after: Counter[str]) -> int:
    """Page requests of one run for cursors already served before it, or twice within it."""
    new = after - before
    return sum(count - 1 if before[key] == 0 else count for key, count in new.items())
