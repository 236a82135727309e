"""`bench/rows_written.py` on a small run: it completes, and the run that
changes nothing writes no source_record or record_state row (issue 22, item 2).
PostgreSQL only, as the bench itself; the WAL it prints is the whole server's,
so beside the suite's other tests it is not asserted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import POSTGRES_SKIP, POSTGRES_URL

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_a_run_that_changes_nothing_writes_no_record_rows() -> None:
    if not POSTGRES_URL:
        pytest.skip(POSTGRES_SKIP)
    done = subprocess.run(
        [sys.executable, "bench/rows_written.py", "--postgres", POSTGRES_URL,
         "--records", "1000"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    table = {
        line.split("|")[1].strip(): line
        for line in done.stdout.splitlines()
        if line.startswith("| ") and not line.startswith("| table")
    }
    assert "record_outcome" in table  # the outcomes are still written, one a record
    assert "source_record" not in table
    # Only records seen again differently: a copy that lost to the real record
    # in the first run is given its place in the second, nothing else.
    if "record_state" in table:
        cells = table["record_state"].split("|")[2:4]
        inserted, updated = (int(n.replace(",", "")) for n in cells)
        assert updated == 0 and inserted < 1000 // 20
    assert "WAL written by the second run" in done.stdout
