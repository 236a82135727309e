"""`sinkron sync` starts without the service's, the reports' or the migrations' libraries,
and `sinkron <cmd> --help` without the database's either."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("fastapi", "starlette", "uvicorn", "alembic", "openpyxl", "xlsxwriter", "jinja2")
# What only a command that runs needs: settings, the database, the models.
RUNNING = ("pydantic_settings", "sqlalchemy", "app.models", "app.config", "app.db")


def loaded_by(code: str) -> set[str]:
    """The modules a fresh interpreter holds after `code` (this process has them all)."""
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    # the last line: what `code` printed (a command's help) comes before it
    return set(json.loads(out.splitlines()[-1]))


def help_of(*command: str) -> str:
    """Code that shows `sinkron <command> --help` the way the console script does."""
    argv = ["sinkron", *command, "--help"]
    return (
        "import sys\n"
        "from app.cli import main\n"
        f"sys.argv = {argv!r}\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
    )


@pytest.mark.parametrize(
    "code",
    [
        "import app.cli",
        # what `sinkron sync` imports when it runs
        "import app.cli, app.runs.oneshot, app.runs.worker",
    ],
)
def test_a_sync_loads_none_of_the_service_libraries(code: str) -> None:
    modules = loaded_by(code)
    assert sorted(m for m in HEAVY if m in modules) == []


@pytest.mark.parametrize(
    "command", [("sync",), ("laporan",), ("keys", "create"), ("runs", "list"), ()]
)
def test_help_loads_neither_the_settings_nor_the_database(command: tuple[str, ...]) -> None:
    modules = loaded_by(help_of(*command))
    assert "typer" in modules  # the help was rendered here, not skipped
    assert sorted(m for m in (*HEAVY, *RUNNING) if m in modules) == []
