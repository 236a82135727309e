"""One run, page by page: pull → map → reconcile → push → record → checkpoint.

Each page is finished (outcomes, push state, mismatches, dead letters and the
cursor, in one transaction) before the next one is asked for, so a crash costs
at most the page in hand (docs/design.md, promise 3).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.db import session_scope
from app.models import PlanStatus, RunStatus, Stage
from app.nomenklatur import store as nomenklatur_store
from app.observability import metrics
from app.repositories import checkpoints, runs, source_records
from app.repositories import rencana as plan_rows
from app.repositories.statistics import PlannerStatistics
from app.sync import (
    apply,
    contacts,
    decisions,
    ledger,
    mirror_read,
    recording,
    rencana,
    replay,
    watermark,
)
from app.sync.decisions import Rules
from app.sync.ledger import Ledger
from app.sync.outage import Outage, UpstreamUnavailable
from app.sync.progress import (
    STOPPED,
    Progress,
    RunCancelled,
    RunStopped,
    RunSummary,
    StopReason,
    Superseded,
)
from app.sync.scope import Scope
from app.sync.watermark import Watermark
from connectors.eplanning import EPlanningClient
from connectors.eprogram import EProgramClient, Page
from connectors.http import ConnectorError
from mappings.nomenklatur import Nomenklatur
from mappings.subkegiatan import map_sub_kegiatan

log = logging.getLogger(__name__)
# How often a run looks for a cancel request or a shutdown while it waits on a
# request: the stop is honoured within about this long, in every stage.
WATCH_SECONDS = 1.0


@dataclass(frozen=True)
class Mode:
    """What kind of run: a preview writes nothing to E-Planning; an approval
    pushes another run's approved plan and pulls nothing; ``force`` skips the
    guard (an admin's trigger)."""

    preview: bool = False
    applies: int | None = None
    force: bool = False


@dataclass
class _PassState:
    """What the pipeline must remember across pages of one pass: counters only.

    What grows with the data (E-Planning's copies, the copies of each key seen
    so far, the keys E-Program speaks for) lives in the database and is looked
    up per page, so a run's memory stays flat whatever its size.
    """

    statistics: PlannerStatistics  # ANALYZE on PostgreSQL as the run's tables fill
    outage: Outage  # pushes without an answer, counted across the run
    pulled: int = 0  # distinct source ids pulled and recorded
    counts: dict[str, int] = field(default_factory=dict)
    start: watermark.Start = field(default_factory=watermark.Start)
    watermark: Watermark = field(default_factory=Watermark)
    timings: dict[str, float] = field(default_factory=dict)
    # The nomenclature imported for the year (None: none, its checks are skipped).
    nomenklatur: Nomenklatur | None = None
    stop_reason: StopReason | None = None
    mode: Mode = field(default_factory=Mode)
    held: dict[str, str] = field(default_factory=dict)  # OPD → why the guard held it

    @contextmanager
    def timed(self, stage: Stage) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[stage] = self.timings.get(stage, 0.0) + time.perf_counter() - start


class Pipeline:
    """Carries out one created run: the flow of a run, stage by stage; the rules
    each stage follows live in the modules it calls (docs/design.md)."""

    def __init__(
        self,
        *,
        settings: Settings,
        session_factory: sessionmaker[Session],
        eprogram: EProgramClient,
        eplanning: EPlanningClient,
        progress: Callable[[Progress], None] | None = None,
        should_cancel: Callable[[], bool] | None = None,
        should_stop: Callable[[], bool] | None = None,
        fence: Callable[[Session], None] | None = None,
    ) -> None:
        self.settings = settings
        self.sessions = session_factory
        self.eprogram = eprogram
        self.eplanning = eplanning
        self.progress = progress or (lambda _p: None)
        self.should_cancel = should_cancel or (lambda: False)
        self.should_stop = should_stop or (lambda: False)
        # Called inside every transaction that records results: raises Superseded
        # when another process has taken over, so this one's writes roll back.
        self.fence = fence or (lambda _session: None)
        self.rules = Rules(
            service_user=settings.eplanning_user,
            source_wins=settings.conflict_policy == "source_wins",
        )

    async def execute(self, run_id: int) -> RunSummary:
        """Run a created run to its end; never raises for a failed sync."""
        with session_scope(self.sessions) as session:
            run = runs.get(session, run_id)
            if run is None:
                raise LookupError(f"run {run_id} tidak ada")
            scope = Scope(run.tahun_anggaran, run.tahap, tuple(run.kode_skpd or ()), run.full)
            mode = Mode(run.pratinjau, run.menerapkan_run_id, run.paksa)
            runs.mark_running(session, run_id)
            nomenklatur = nomenklatur_store.reference(
                session, scope.tahun_anggaran, self.settings.jenis_pemda
            )
        state = _PassState(
            statistics=PlannerStatistics(self.sessions),
            outage=Outage(self.settings, functools.partial(contacts.note, self.sessions)),
            nomenklatur=nomenklatur,
            mode=mode,
        )
        status, error = RunStatus.SUCCEEDED, None
        work = asyncio.ensure_future(self._work(run_id, scope, state))
        watcher = asyncio.ensure_future(self._watch(work, state))
        try:
            await work
        except asyncio.CancelledError:
            # Stopped by the watcher mid-request: the page in hand is not
            # recorded, so the next run redoes it with the same idempotency keys.
            if state.stop_reason is None:
                raise
            status, error = STOPPED[state.stop_reason]
        except RunCancelled:
            status, error = STOPPED["cancel"]
        except RunStopped:
            status, error = STOPPED["shutdown"]
        except Superseded:
            return self._lost(run_id, state)
        except UpstreamUnavailable as exc:
            status, error = RunStatus.FAILED, str(exc)
            log.error("run %s gagal: %s", run_id, exc)
        except ConnectorError as exc:
            status, error = RunStatus.FAILED, str(exc)
            log.error("run %s gagal: %s", run_id, exc)
        except Exception as exc:  # a bug or a database outage must still end the run
            log.exception("run %s gagal karena galat tak terduga", run_id)
            status, error = RunStatus.FAILED, f"galat tak terduga: {type(exc).__name__}: {exc}"
        finally:
            watcher.cancel()
        try:
            return self._finish(run_id, scope, state, status, error)
        except Superseded:
            return self._lost(run_id, state)

    async def _work(self, run_id: int, scope: Scope, state: _PassState) -> None:
        if state.mode.applies is not None:
            with state.timed(Stage.KIRIM):
                self._set_stage(run_id, Stage.KIRIM, state)
                job = self._applying(run_id, scope, state)
                await apply.push_plan(job, plan_run=state.mode.applies,
                                      status=PlanStatus.DISETUJUI, settle_findings=False,
                                      timings=state.timings)  # fmt: skip
            state.pulled, state.counts = job.applied, job.counts
            return
        if state.mode.preview or mirror_read.must_read(self.sessions, scope):
            with state.timed(Stage.BACA_EPLANNING):
                self._set_stage(run_id, Stage.BACA_EPLANNING, state)
                read = mirror_read.read(self.eplanning, self.sessions, run_id=run_id, scope=scope,
                                        fence=self.fence, check_stop=self._check_stop)  # fmt: skip
                await state.outage.read("eplanning", read)
        await self._pull_pass(run_id, scope, state)
        if state.mode.preview:
            return
        await self._apply(run_id, scope, state)
        if scope.full and not scope.partial:
            state.statistics.before_scope_read()
            with session_scope(self.sessions) as session:
                self.fence(session)
                recording.only_in_eplanning(
                    session, run_id=run_id, scope=scope, began=state.start.began
                )
        if not scope.partial:
            with state.timed(Stage.KIRIM_ULANG):
                self._set_stage(run_id, Stage.KIRIM_ULANG, state)
                await replay.open_letters(
                    self.eplanning, self.sessions, state.outage, run_id=run_id, scope=scope,
                    fence=self.fence, check_stop=self._check_stop,
                )  # fmt: skip

    async def _watch(self, work: asyncio.Future[None], state: _PassState) -> None:
        """Cancel or shut down within a second or so, in any stage: also while a
        request to E-Program or E-Planning waits or is being retried."""
        while not work.done():
            await asyncio.sleep(WATCH_SECONDS)
            if self.should_stop():
                state.stop_reason = "shutdown"
            elif await asyncio.to_thread(self.should_cancel):
                state.stop_reason = "cancel"
            else:
                continue
            work.cancel()
            return

    @staticmethod
    def _lost(run_id: int, state: _PassState) -> RunSummary:
        """Another process holds the lease now; it marks this run interrupted."""
        log.error("run %s: lease hilang, berhenti tanpa menulis apa pun lagi", run_id)
        counts = dict(state.counts)
        return RunSummary(run_id, RunStatus.INTERRUPTED, state.pulled, counts, "lease hilang")

    # -- stages -------------------------------------------------------------

    @staticmethod
    def _set_aside(session: Session, run_id: int, scope: Scope) -> None:
        waiting = plan_rows.set_aside_earlier(
            session, tahun_anggaran=scope.tahun_anggaran, tahap=scope.tahap,
            before_run=run_id, kode_skpd=scope.kode_skpd,
        )  # fmt: skip
        runs.superseded(session, waiting, by_run=run_id)

    async def _pull_pass(self, run_id: int, scope: Scope, state: _PassState) -> None:
        start = state.start = self._start(run_id, scope, state)
        state.watermark = start.watermark
        page_no = 0
        pages = self.eprogram.pages(
            tahun_anggaran=scope.tahun_anggaran,
            tahap=scope.tahap,
            updated_since=start.updated_since,
            after=start.after,
            limit=self.settings.page_size,
        )
        self._set_stage(run_id, Stage.TARIK, state)
        # The next page is on its way while this one is mapped, pushed and
        # recorded; it is only read, so a crash still costs at most the page in
        # hand (the checkpoint moves when a page is recorded).
        upcoming = asyncio.ensure_future(state.outage.read("eprogram", anext(pages, None)))
        try:
            while True:
                self._check_stop()
                with state.timed(Stage.TARIK):
                    started = time.perf_counter()
                    page = await upcoming
                if page is None:
                    break
                metrics.observe_pull(time.perf_counter() - started)
                upcoming = asyncio.ensure_future(state.outage.read("eprogram", anext(pages, None)))
                page_no += 1
                await self._process_page(run_id=run_id, scope=scope, page=page, state=state)
                with state.timed(Stage.CATAT):
                    state.statistics.after_page()
                self.progress(
                    Progress(run_id, Stage.TARIK, page_no, state.pulled, dict(state.counts))
                )
        finally:
            upcoming.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await upcoming

    async def _apply(self, run_id: int, scope: Scope, state: _PassState) -> None:
        """The guard, then the plan pushed but for the OPDs it holds."""
        job = self._applying(run_id, scope, state)
        job.counts = state.counts
        if not state.mode.force:
            state.held = apply.hold_for_approval(job, self.settings)
        if state.held:  # recorded first: a run stopped while it pushes has them counted
            apply.record_held(job)
        with state.timed(Stage.KIRIM):
            self._set_stage(run_id, Stage.KIRIM, state)
            await apply.push_plan(job, plan_run=run_id, status=PlanStatus.TERTUNDA,
                                  settle_findings=True, timings=state.timings)  # fmt: skip
        state.counts = job.counts

    def _applying(self, run_id: int, scope: Scope, state: _PassState) -> apply.Applying:
        return apply.Applying(
            run_id=run_id, scope=scope, sessions=self.sessions, eplanning=self.eplanning,
            outage=state.outage, rules=self.rules, nomenklatur=state.nomenklatur,
            page_size=self.settings.page_size, fence=self.fence, check_stop=self._check_stop,
            after_page=state.statistics.after_page,
        )  # fmt: skip

    def _check_stop(self) -> None:
        if self.should_stop():
            raise RunStopped
        if self.should_cancel():
            raise RunCancelled

    def _start(self, run_id: int, scope: Scope, state: _PassState) -> watermark.Start:
        """Where the pass begins in E-Program's feed (docs/design.md, promise 3),
        and what becomes of the writes earlier runs left in their plans: a run
        that decides them again sets them aside; one that continues where
        another stopped pushes them."""
        if state.mode.preview:
            return watermark.Start()
        if scope.partial:
            with session_scope(self.sessions) as session:
                self.fence(session)
                self._set_aside(session, run_id, scope)
            return watermark.Start()
        with session_scope(self.sessions) as session:
            saved = checkpoints.get(session, scope.tahun_anggaran, scope.tahap)
            start = watermark.start(saved, incremental=not scope.full)
            self.fence(session)
            if scope.full and not start.resumed:
                self._set_aside(session, run_id, scope)
            else:
                state.pulled += plan_rows.take_over(
                    session, tahun_anggaran=scope.tahun_anggaran, tahap=scope.tahap, run_id=run_id
                )
        if start.resumed:
            log.info("melanjutkan penarikan yang dimulai run %s dari checkpoint", start.began)
        return start

    async def _process_page(
        self, *, run_id: int, scope: Scope, page: Page, state: _PassState
    ) -> None:
        book = Ledger()
        with state.timed(Stage.PETAKAN):
            in_scope = [raw for raw in page.records if scope.covers(raw)]
            fresh = watermark.fresh(in_scope, state.start.recorded)
            results = [
                map_sub_kegiatan(raw, jenis_pemda=self.settings.jenis_pemda) for raw in fresh
            ]
        with state.timed(Stage.BANDINGKAN):
            known, kept = mirror_read.known(
                self.sessions, run_id, results, preview=state.mode.preview
            )
            mapped = decisions.contest(scope, results, book, known, state.nomenklatur)
            in_hand = {m.record.natural_key(): m.source_id for m in mapped}
            writes = decisions.reconcile(
                mapped, source_records.copies_of(kept, in_hand), known, book, self.rules
            )
            by_source = {m.source_id: m for m in mapped}
        if state.mode.preview:
            plan = rencana.of_writes(writes, by_source, known.remote, run_id=run_id,
                                     status=PlanStatus.PRATINJAU)  # fmt: skip
            plan += rencana.of_decisions(book, known.remote, run_id=run_id)
            for write in writes:
                book.add(ledger.planned(write, by_source[write.source_id]))
            with state.timed(Stage.CATAT), session_scope(self.sessions) as session:
                self.fence(session)
                state.pulled, state.counts = recording.preview_page(
                    session, book, run_id=run_id, plan=plan, pulled=state.pulled,
                    counts=state.counts, timings=state.timings,
                )  # fmt: skip
            return
        # The writes wait in the run's plan, pushed at the apply stage once the
        # guard has seen the whole pass (app/sync/apply.py).
        plan = rencana.of_writes(writes, by_source, known.remote, run_id=run_id,
                                 status=PlanStatus.TERTUNDA)  # fmt: skip
        held = decisions.after_push([], known, book, by_source, scope=scope,
                                    run_id=run_id, nomenklatur=state.nomenklatur)  # fmt: skip
        with state.timed(Stage.CATAT), session_scope(self.sessions) as session:
            self.fence(session)
            moved = state.watermark.moved_by(fresh)
            pulled, counts = recording.page_of_run(
                session, book, run_id=run_id, scope=scope, start=state.start,
                next_after=page.next_after, moved=moved, held=held,
                pulled=state.pulled, counts=state.counts, timings=state.timings, plan=plan,
            )  # fmt: skip
        state.pulled, state.counts = pulled, counts
        # Past the watermark only once recorded: a page that failed halfway left
        # nothing behind and is pulled again by the next run.
        state.watermark = moved

    def _set_stage(self, run_id: int, stage: Stage, state: _PassState) -> None:
        with session_scope(self.sessions) as session:
            runs.set_progress(session, run_id, stage=stage, stage_seconds=state.timings)
        self.progress(Progress(run_id, stage, 0, state.pulled, dict(state.counts)))

    def _finish(
        self,
        run_id: int,
        scope: Scope,
        state: _PassState,
        status: RunStatus,
        error: str | None,
    ) -> RunSummary:
        pulled = state.pulled
        with session_scope(self.sessions) as session:
            self.fence(session)
            status, error, counts = recording.finish(
                session, run_id, scope, status, error, pulled=pulled, timings=state.timings,
                record_trend=not state.mode.preview, held=bool(state.held),
            )  # fmt: skip
        metrics.count_outcomes(counts)
        summary = RunSummary(run_id, status, pulled, counts, error, dict(state.timings))
        self.progress(Progress(run_id, Stage.SELESAI, 0, pulled, counts))
        return summary
