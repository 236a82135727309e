"""Carry out pending runs in the background, one at a time across all processes.

The service never runs a sync inside a request, nor in the API's process: a
request (or the schedule) creates a `pending` run, and this worker, in a
process of its own (app.runs.process), finds it when woken or at its next poll.
The worker takes the lease, claims the oldest pending run and carries it out in
its own thread and event loop; every page's transaction renews the lease, so a process that lost it
(it stalled past the TTL and another took over) writes nothing more.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.db import session_scope
from app.models import Trigger
from app.repositories import runs
from app.runs import lease
from app.runs.runner import create_run, execute_run
from app.sync.progress import Progress, RunSummary
from app.sync.scope import Scope

log = logging.getLogger(__name__)
# Tries to give the lease up after a run (about 30 s in all, backing off).
RELEASE_ATTEMPTS = 9


class Busy(Exception):
    """Another process holds the sync lease (docs/design.md, promise 4)."""


class RunWorker:
    def __init__(
        self,
        *,
        settings: Settings,
        session_factory: sessionmaker[Session],
        holder: str | None = None,
        poll_seconds: float = 5.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_finished: Callable[[RunSummary], None] | None = None,
    ) -> None:
        self.settings = settings
        self.sessions = session_factory
        self.holder = holder or lease.holder_id()
        self.poll_seconds = poll_seconds
        self.clock = clock
        self.on_finished = on_finished or (lambda _s: None)
        self.ttl = timedelta(seconds=settings.lease_ttl_seconds)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.current_run: int | None = None
        self.current_progress: Progress | None = None

    # -- lifecycle ----------------------------------------------------------

    def start(self) -> None:
        self.recover()
        self._thread = threading.Thread(target=self._loop, name="sinkron-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wake(self) -> None:
        self._wake.set()

    def recover(self) -> list[int]:
        """Runs left `running` by a process that died become `interrupted`."""
        with session_scope(self.sessions) as session:
            ids = lease.mark_interrupted(session, now=self.clock())
        for run_id in ids:
            log.warning("run %s ditandai terputus: prosesnya berhenti", run_id)
        return ids

    # -- work ---------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.recover()
                worked = self.run_next()
            except Exception:  # the worker must outlive any one failure
                log.exception("pekerja sinkronisasi: galat tak terduga")
                worked = False
            if not worked:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()

    def run_next(self) -> bool:
        """Carry out the oldest pending run if the lease is free; True if one ran."""
        with session_scope(self.sessions) as session:
            pending = runs.next_pending(session)
            if pending is None:
                return False
            token = lease.acquire(session, holder=self.holder, ttl=self.ttl, now=self.clock())
            if token is None:
                return False  # another process is running one; try again later
            if not runs.claim(session, pending.id, holder=self.holder, token=token):
                lease.release(session, token=token)
                return False
            run_id = pending.id
        try:
            self._execute(run_id, token)
        finally:
            self._release(token)
        return True

    def run_now(
        self,
        scope: Scope,
        *,
        trigger: Trigger,
        triggered_by: str | None = None,
        progress: Callable[[Progress], None] | None = None,
        pratinjau: bool = False,
        paksa: bool = False,
        create: Callable[[], int] | None = None,
    ) -> RunSummary:
        """Take the lease, create the run and carry it out here (the CLI's path).
        ``create`` makes the run instead (an approval's, say) and returns its id.

        Raises Busy, leaving nothing behind, when another process holds the lease.
        """
        self.recover()  # a run an earlier `sinkron sync` left behind (Ctrl-C, a crash)
        with session_scope(self.sessions) as session:
            token = lease.acquire(session, holder=self.holder, ttl=self.ttl, now=self.clock())
            if token is None:
                held = lease.current(session)
                raise Busy(f"run lain sedang berjalan (dipegang {held.holder if held else '?'})")
        try:
            run_id = (
                create()
                if create is not None
                else create_run(
                    self.sessions,
                    scope,
                    trigger=trigger,
                    triggered_by=triggered_by,
                    pratinjau=pratinjau,
                    paksa=paksa,
                )
            )
            with session_scope(self.sessions) as session:
                runs.claim(session, run_id, holder=self.holder, token=token)
            return self._execute(run_id, token, progress=progress)
        finally:
            self._release(token)

    def _release(self, token: int) -> None:
        """Give the lease up, waiting out a database that is briefly gone (a
        PostgreSQL restart): a lease left held would keep every next run
        waiting until it expires."""
        for attempt in range(RELEASE_ATTEMPTS):
            try:
                with session_scope(self.sessions) as session:
                    lease.release(session, token=token)
                return
            except DBAPIError as exc:
                if attempt == RELEASE_ATTEMPTS - 1:
                    log.error("lease tidak dapat dilepas, berakhir sendiri nanti: %s", exc)
                    return
                log.warning("lease belum dapat dilepas (basis data?): %s", exc)
                self._stop.wait(min(0.5 * 2**attempt, 5.0))

    def _execute(
        self, run_id: int, token: int, *, progress: Callable[[Progress], None] | None = None
    ) -> RunSummary:
        self.current_run = run_id
        heartbeat = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(token, heartbeat), daemon=True)
        beat.start()
        try:
            summary = asyncio.run(
                execute_run(
                    run_id,
                    settings=self.settings,
                    session_factory=self.sessions,
                    progress=lambda event: self._progress(event, progress),
                    should_cancel=lambda: self._cancel_requested(run_id),
                    should_stop=self._stop.is_set,
                    fence=lambda session: lease.renew(
                        session, token=token, ttl=self.ttl, now=self.clock()
                    ),
                )
            )
            self.on_finished(summary)
            return summary
        finally:
            heartbeat.set()
            beat.join()
            self.current_run = None
            self.current_progress = None

    def _progress(self, event: Progress, forward: Callable[[Progress], None] | None) -> None:
        self.current_progress = event
        if forward is not None:
            forward(event)

    def _cancel_requested(self, run_id: int) -> bool:
        with session_scope(self.sessions) as session:
            return runs.cancel_requested(session, run_id)

    def _heartbeat(self, token: int, done: threading.Event) -> None:
        """Keep the lease while a long stage (reading all of E-Planning) runs."""
        while not done.wait(self.ttl.total_seconds() / 3):
            try:
                with session_scope(self.sessions) as session:
                    lease.renew(session, token=token, ttl=self.ttl, now=self.clock())
            except lease.LeaseLost:
                log.error("lease hilang; run dihentikan pada batas halaman berikutnya")
                return
            except Exception:
                log.exception("gagal memperbarui lease")
