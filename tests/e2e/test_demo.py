"""`make demo`'s path, `python -m demo --once`, from the checkout as a developer runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_syncs_once_and_e_planning_holds_what_the_run_says(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SINKRON_")}
    env["SINKRON_DATABASE_URL"] = f"sqlite:///{tmp_path / 'demo.db'}"
    result = subprocess.run(
        [sys.executable, "-m", "demo", "--once", "--size", "300", "--port", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "berhasil" in result.stdout
    assert "cocok dengan hasil run" in result.stdout
    assert "kunci admin demo: skr_" in result.stdout
    # A key is a person's: the demo's keys name the people they belong to.
    assert ", milik Siti Aminah (demo " in result.stdout
    assert ", milik Rahmat Hidayat (demo " in result.stdout
