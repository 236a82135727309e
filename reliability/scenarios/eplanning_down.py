"""E-Planning unreachable for a while in the middle of a run (docs/design.md, promise 8).

The fault proxy in front of E-Planning stops listening (connection refused)
once a third of the records are written, for a minute (small: 15 s). The
run must stop as failed with a message naming E-Planning; the next run,
started when E-Planning is back, must bring it exactly right.

Sinkron calls E-Planning unreachable after SINKRON_OUTAGE_BATCHES (3) pushes
in a row got no answer, each after its retries (6 attempts, backoff capped at
SINKRON_RETRY_MAX_WAIT, 30 s): about 25 s on average with the defaults, which
a 15 s outage does not reach. The small size caps the backoff at 1 s so its
short outage is one Sinkron must report; the full size keeps the defaults.
"""

from __future__ import annotations

import time
from pathlib import Path

from reliability import oracle
from reliability.harness import TAHAP, TAHUN, stack
from reliability.rows import Row, Size

NAME = "eplanning_down"
RECORDS = {"small": 2000, "full": 20_000}
PAGE = {"small": 100, "full": 200}
OUTAGE = {"small": 15.0, "full": 60.0}
SETTINGS = {"small": {"retry_max_wait": "1"}, "full": {}}


def run(size: Size, workdir: Path) -> list[Row]:
    records, page, outage = RECORDS[size], PAGE[size], OUTAGE[size]
    settings = SETTINGS[size]
    with stack(records, workdir, page_size=str(page)) as s, s.proxied() as (_, eplanning):
        s.settings.update(settings)
        log = workdir / "first-run.log"
        process = s.start_sync(output=log)
        while process.poll() is None and s.stats("eplanning")["writes_applied"] < records // 3:
            time.sleep(0.05)
        eplanning.set(down="refuse")
        went_down = time.monotonic()
        written_before = s.stats("eplanning")["writes_applied"]
        while process.poll() is None and time.monotonic() - went_down < outage:
            time.sleep(0.1)
        failed_within = time.monotonic() - went_down if process.poll() is not None else None
        remaining = outage - (time.monotonic() - went_down)
        if remaining > 0:
            time.sleep(remaining)
        eplanning.set(down=None)
        status = process.wait(timeout=600)
        message = _message(log.read_text(errors="replace"))
        then = s.sync(full=False)
        expected = oracle.expected_holdings(s.source_records(), tahun_anggaran=TAHUN, tahap=TAHAP)
        found = oracle.diff(expected, s.holdings())
        duplicates = s.control("eplanning", "applied")["duplicate_effects"]
        runs = s.runs()
    fault = (
        f"E-Planning refuses connections for {outage:.0f} s in the middle of a full sync "
        f"of {records:,} records (after {written_before:,} written)"
    )
    if settings:
        fault += "; " + ", ".join(f"SINKRON_{k.upper()}={v}" for k, v in settings.items())
    ended = (
        f"ended {failed_within:.1f} s into the outage"
        if failed_within is not None
        else "still running when E-Planning came back"
    )
    stored_error = str(runs[0]["error"] or "") if runs else ""
    return [
        Row(
            fault,
            "the run fails with a message that names E-Planning",
            f"exit {status}, {ended}; run {runs[0]['status'] if runs else '?'}: "
            f"“{stored_error or message}”",
            status != 0 and "E-Planning" in (stored_error + message),
        ),
        Row(
            fault,
            "the next run completes; E-Planning exact; duplicate effects 0",
            f"exit {then.returncode}; E-Planning: {found.summary()}; duplicates {duplicates}",
            then.returncode == 0 and found.exact and duplicates == 0,
        ),
    ]


def _message(output: str) -> str:
    """The line of the CLI's output that says why the run failed (the last non-empty one)."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for line in reversed(lines):
        if "E-Planning" in line or "gagal" in line.lower():
            return line
    return lines[-1] if lines else ""
