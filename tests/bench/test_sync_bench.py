"""`make bench` at N = 3,000 in its quick mode: it completes and every run's counts add up.

The figures themselves are not asserted (the machine is shared); the big
sizes are for `make bench` by hand, never for the suite.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_bench_at_3000_completes_and_counts_add_up(tmp_path: Path) -> None:
    figures = tmp_path / "figures.json"
    document = tmp_path / "performance.md"
    done = subprocess.run(
        [sys.executable, "bench/sync_bench.py", "--sizes", "3000", "--quick",
         "--output", str(document), "--json", str(figures)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    state = json.loads(figures.read_text())
    scenarios = {row["scenario"]: row for row in state["rows"]}
    assert len(scenarios) == 3
    for row in scenarios.values():
        assert sum(row["outcomes"].values()) == row["records"]
        assert row["http_429"] == 0  # limits are off unless asked for
    full = scenarios["full, empty E-Planning"]
    assert full["records"] == 3000
    assert full["outcomes"]["created"] > 2500
    again = scenarios["full, nothing changed"]
    assert again["records"] == 3000
    assert again["outcomes"].get("created", 0) == 0
    incremental = scenarios["incremental, 1 % changed"]
    assert 30 <= incremental["records"] < 300  # the changed 1 %, and the second it resumes at
    assert incremental["outcomes"].get("updated", 0) >= 25
    names = {ref["name"].split(":")[0].split(" ")[0] for ref in state["refs"]}
    assert {"naive", "plain"} <= names
    text = document.read_text()
    assert "| 3,000 | SQLite | off | full, empty E-Planning | 3,000 |" in text
    # Each row beside bench/before.json's, and the targets answered or named as not run.
    assert "| 3,000 | SQLite | off | full, empty E-Planning | 6.88 → " in text
    assert "| 3,000 | SQLite | off | incremental, 1 % changed | 1.70 → " in text
    assert "at 100,000 and 1,000,000: at most 0.2 ms | not run by this invocation | – |" in text
