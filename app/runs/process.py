"""The worker as a process of its own: runs, the schedule and the digests after
runs (app.runs.service.Background), away from the API's interpreter.

Two ways to start it:

- ``sinkron worker``, beside one or more ``sinkron serve --tanpa-worker``: the
  settings come from the environment; it finds queued runs by polling every
  ``SINKRON_WORKER_POLL_SECONDS``.
- ``sinkron serve`` starts and supervises one (app.runs.supervisor):
  ``python -m app.worker_main`` reads the service's settings from stdin, wakes
  on SIGUSR1 when the service has queued a run, and stops when the service is
  gone.

What reacts to runs (the digests) is handed in by app.worker_main, as
app.main hands the API its parts: the run's life cycle does not depend on it.

SIGTERM or SIGINT stops it as the service's shutdown does: a run in progress
stops at its next page boundary and is left ``interrupted`` for the next run to
resume; the lease is given up.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.db import make_engine, make_session_factory
from app.runs.service import AfterRuns, Background

log = logging.getLogger(__name__)

# How often a supervised worker looks whether the service that started it is still there.
PARENT_CHECK_SECONDS = 1.0
# The line a supervised worker writes on stdout once SIGUSR1 wakes it.
READY = "siap"


def settings_text(settings: Settings) -> str:
    """The settings as JSON a worker process reads back with :func:`read_settings`
    (secrets in clear: it goes down a pipe to our own child, never to a file)."""

    def plain(value: Any) -> Any:
        if isinstance(value, SecretStr):
            return value.get_secret_value()
        return value if value is None or isinstance(value, bool | int | float | str) else str(value)

    return json.dumps({name: plain(value) for name, value in settings})


def read_settings(text: str) -> Settings:
    return Settings.model_validate(json.loads(text))


def run(
    settings: Settings,
    *,
    after_runs: Callable[[Settings, sessionmaker[Session]], AfterRuns] | None = None,
    parent: int | None = None,
) -> int:
    """Carry out runs until SIGTERM/SIGINT (or, with ``parent``, until that process
    is gone); the exit code. ``after_runs`` makes what reacts to runs."""
    if settings.worker_nice:
        os.nice(settings.worker_nice)
    engine = make_engine(settings.database_url)
    sessions = make_session_factory(engine)
    reacting = after_runs(settings, sessions) if after_runs is not None else None
    work = Background(settings, sessions, after_runs=reacting)
    stop = threading.Event()

    def stopping(signum: int, _frame: object) -> None:
        log.info("pekerja menerima %s; berhenti pada batas halaman berikutnya",
                 signal.Signals(signum).name)  # fmt: skip
        stop.set()

    signal.signal(signal.SIGTERM, stopping)
    signal.signal(signal.SIGINT, stopping)
    signal.signal(signal.SIGUSR1, lambda _s, _f: work.worker.wake())
    if parent is not None:
        # Only now may the service wake us: SIGUSR1 unhandled would end the process.
        # A run queued before this line is found by the worker's first look.
        print(READY, flush=True)
        # Nobody reads the pipe after this line: anything else printed goes to stderr.
        os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    work.start()
    log.info("pekerja sinkronisasi berjalan (pid %s)", os.getpid())
    try:
        orphaned = _wait(stop, parent)
        if orphaned:
            log.warning("layanan yang menjalankan pekerja ini sudah berhenti; pekerja berhenti")
    finally:
        work.stop()
        engine.dispose()
    return 0


def _wait(stop: threading.Event, parent: int | None) -> bool:
    """Until ``stop`` is set (False) or ``parent`` is no longer our parent (True)."""
    while not stop.wait(PARENT_CHECK_SECONDS):
        if parent is not None and os.getppid() != parent:
            return True
    return False
