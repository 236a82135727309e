"""The work of a worker process (app.runs.process): the run worker, the nightly
schedule, and what follows a run (the digests, handed in by the process so that
the run's life cycle does not depend on the features that react to it). The
API's process carries none of it."""

from __future__ import annotations

import logging
import threading
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from app.access import audit
from app.access.keys import SYSTEM
from app.config import Settings
from app.db import session_scope
from app.runs.schedule import Schedule, Scheduler
from app.runs.worker import RunWorker
from app.sync.progress import RunSummary

log = logging.getLogger(__name__)


class AfterRuns(Protocol):
    """What reacts to runs (app.digests.layanan.Pengantar); neither method raises."""

    def setelah_run(self, run_id: int) -> None: ...

    def tick(self) -> None: ...


class Background:
    def __init__(
        self,
        settings: Settings,
        session_factory: sessionmaker[Session],
        *,
        after_runs: AfterRuns | None = None,
    ) -> None:
        self.after_runs = after_runs
        self.worker = RunWorker(
            settings=settings,
            session_factory=session_factory,
            poll_seconds=settings.worker_poll_seconds,
            on_finished=self._finished,
        )
        schedule = Schedule.from_text(settings.schedule, settings.sync_scopes)
        self.scheduler: Scheduler | None = (
            Scheduler(
                schedule=schedule,
                session_factory=session_factory,
                on_created=self._scheduled,
            )
            if schedule.scopes
            else None
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _finished(self, summary: RunSummary) -> None:
        if self.after_runs is not None:
            self.after_runs.setelah_run(summary.run_id)

    def _scheduled(self, run_ids: list[int]) -> None:
        with session_scope(self.worker.sessions) as session:
            for run_id in run_ids:
                audit.record(session, principal=SYSTEM, action="run.buat", target=f"run {run_id}")
        self.worker.wake()

    def start(self) -> None:
        self.worker.start()
        if self.scheduler is not None:
            self._thread = threading.Thread(target=self._loop, name="sinkron-jadwal", daemon=True)
            self._thread.start()
            log.info("jadwal %s; run berikutnya %s", self.scheduler.schedule.expression,
                     self.scheduler.next_fire().isoformat())  # fmt: skip

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        self.worker.stop()

    def _loop(self) -> None:
        assert self.scheduler is not None
        while not self._stop.is_set():
            try:
                self.scheduler.tick()
            except Exception:  # the schedule must outlive a database hiccup
                log.exception("jadwal: galat saat memeriksa waktu run")
            if self.after_runs is not None:
                self.after_runs.tick()  # the weekly digests, and those waiting
            self._stop.wait(min(max(self.scheduler.seconds_until_next(), 1.0), 30.0))
