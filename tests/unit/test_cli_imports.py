"""`sinkron sync` starts without the service's, the reports' or the migrations' libraries."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("fastapi", "starlette", "uvicorn", "alembic", "openpyxl", "jinja2")


def loaded_by(code: str) -> set[str]:
    """The modules a fresh interpreter holds after `code` (this process has them all)."""
    out = subprocess.run(
        [sys.executable, "-c", f"{code}; import sys, json; print(json.dumps(sorted(sys.modules)))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return set(json.loads(out))


@pytest.mark.parametrize(
    "code",
    [
        "import app.cli",
        # what `sinkron sync` imports when it runs
        "import app.cli, app.sync.oneshot, app.sync.worker",
    ],
)
def test_a_sync_loads_none_of_the_service_libraries(code: str) -> None:
    modules = loaded_by(code)
    assert sorted(m for m in HEAVY if m in modules) == []
