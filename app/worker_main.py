"""Assemble the worker process (app.runs.process) with what reacts to runs: the
digests (app.digests). `sinkron worker` runs it; `sinkron serve` starts it as
``python -m app.worker_main <service pid>`` with its settings on stdin."""

from __future__ import annotations

import sys

from app.config import Settings
from app.digests.layanan import Pengantar
from app.observability import logs
from app.runs import process


def run(settings: Settings, *, parent: int | None = None) -> int:
    """Carry out runs, the schedule and the digests until stopped; the exit code."""
    return process.run(settings, after_runs=Pengantar, parent=parent)


def main() -> None:
    """The supervised worker: settings on stdin, the service's pid as the argument."""
    settings = process.read_settings(sys.stdin.read())
    logs.configure(settings.log_level)
    logs.register_secret(settings.secret("eprogram_api_key"))
    logs.register_secret(settings.secret("eplanning_token"))
    sys.exit(run(settings, parent=int(sys.argv[1])))


if __name__ == "__main__":
    main()
