"""`sinkron sync` starts without the service's, the reports' or the migrations' libraries."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("fastapi", "starlette", "uvicorn", "alembic", "openpyxl", "jinja2")


def test_importing_the_cli_loads_none_of_the_service_libraries() -> None:
    # A fresh interpreter: this test process has imported them already.
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, json, app.cli; print(json.dumps(sorted(sys.modules)))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    modules = set(json.loads(loaded))
    assert sorted(m for m in HEAVY if m in modules) == []
