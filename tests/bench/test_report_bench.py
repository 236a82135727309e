"""`make bench-report` on a small report: it runs to the end and measures every step.

The figures are not asserted (the machine is shared); 100,000 mismatches are
for `make bench-report` by hand.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_report_bench_on_a_small_report_measures_every_step() -> None:
    done = subprocess.run(
        [sys.executable, "bench/report_bench.py", "--rows", "600", "--opds", "3"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    out = done.stdout
    assert "GET export.xlsx: 600 rows" in out
    assert "GET export.csv: 600 rows" in out
    assert "summary (3 OPDs" in out
    assert "sinkron laporan --xlsx (all OPDs)" in out and "(600 ketidaksesuaian)" in out
    assert "sinkron laporan --xlsx (one OPD)" in out
