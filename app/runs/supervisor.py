"""The service's worker process (app.runs.process), started, woken, restarted and
stopped by the service (`sinkron serve`).

The API and a run no longer share an interpreter: a 50,000-record sync kept the
API's answers waiting for the GIL for a second or more. What the two share is
the database: a trigger is a queued run row, the worker claims it under the
lease (app.runs.lease), and the service wakes it with SIGUSR1 so it need not
wait for its next poll.

A worker that dies (SIGKILL, out of memory) is started again; the new one finds
the dead one's run `running` under a holder whose process is gone and marks it
`interrupted` (app.runs.worker.RunWorker.recover), as a restarted service did.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading

from app.config import Settings
from app.runs.process import READY, settings_text

log = logging.getLogger(__name__)

# A worker that dies before it is ready is started again only after a pause that
# doubles each time (up to RESTART_MAX_SECONDS): one that cannot start does not
# spin. One that was ready (killed, out of memory) is started again at once.
RESTART_MIN_SECONDS = 0.5
RESTART_MAX_SECONDS = 30.0
# The worker process's entry (app.worker_main), named, not imported: app.runs
# knows nothing of the features assembled there.
WORKER_MODULE = "app.worker_main"
# The same grace the in-process worker had: a page in hand is finished and recorded.
STOP_SECONDS = 30.0


class WorkerProcess:
    """One supervised worker process; ``start``, ``wake`` and ``stop`` are thread-safe."""

    def __init__(self, settings: Settings, *, stop_seconds: float = STOP_SECONDS) -> None:
        self.settings = settings
        self.stop_seconds = stop_seconds
        self._lock = threading.Lock()
        self._process: subprocess.Popen[str] | None = None
        self._ready = threading.Event()
        self._stopping = threading.Event()
        self._monitor: threading.Thread | None = None
        self.restarts = 0

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    def start(self) -> None:
        self._spawn()
        self._monitor = threading.Thread(target=self._watch, name="sinkron-pengawas", daemon=True)
        self._monitor.start()

    def wake(self) -> None:
        """Tell the worker a run is queued (it would find it at its next poll anyway)."""
        with self._lock:
            process = self._process
            if process is None or not self._ready.is_set() or process.poll() is not None:
                return
            # One that just died: its successor looks for queued runs first thing.
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGUSR1)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after ``stop_seconds``: a run in progress stops at its
        page boundary and is left ``interrupted`` (docs/design.md, process layout)."""
        self._stopping.set()
        with self._lock:
            process = self._process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(self.stop_seconds)
            except subprocess.TimeoutExpired:
                log.error("pekerja tidak berhenti dalam %.0f detik; dihentikan paksa",
                          self.stop_seconds)  # fmt: skip
                process.kill()
                process.wait()
        if self._monitor is not None:
            self._monitor.join(5)

    def _spawn(self) -> None:
        with self._lock:
            if self._stopping.is_set():
                return
            self._ready.clear()
            process = subprocess.Popen(
                [sys.executable, "-m", WORKER_MODULE, str(os.getpid())],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            self._process = process
        assert process.stdin is not None
        process.stdin.write(settings_text(self.settings))
        process.stdin.close()
        log.info("pekerja sinkronisasi dijalankan (pid %s)", process.pid)

    def _watch(self) -> None:
        pause = RESTART_MIN_SECONDS
        while True:
            process = self._process
            assert process is not None and process.stdout is not None
            ready = process.stdout.readline().strip() == READY
            if ready:
                self._ready.set()
            code = process.wait()
            if self._stopping.is_set():
                return
            log.error("pekerja sinkronisasi (pid %s) berhenti dengan kode %s; dijalankan lagi",
                      process.pid, code)  # fmt: skip
            pause = RESTART_MIN_SECONDS if ready else min(pause * 2, RESTART_MAX_SECONDS)
            if self._stopping.wait(pause):
                return
            self._spawn()
            if self._stopping.is_set():
                return
            self.restarts += 1
