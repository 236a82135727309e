"""One run, page by page: pull → map → reconcile → push → record → checkpoint.

Each page is finished (outcomes, push state, mismatches, dead letters and the
cursor, in one transaction) before the next one is asked for, so a crash costs
at most the page in hand (docs/design.md, promise 3).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from sqlalchemy import Row
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.db import session_scope
from app.mismatches import ditemukan
from app.models import DeadLetter, Outcome, RunStatus, Stage
from app.nomenklatur import store as nomenklatur_store
from app.observability import metrics
from app.repositories import (
    checkpoints,
    mirror,
    outcomes,
    push_state,
    ringkasan,
    runs,
    source_records,
)
from app.repositories import dead_letters as dead_letter_repo
from app.repositories.statistics import PlannerStatistics
from app.runs.lease import LeaseLost
from app.sync import contacts, copies, ledger, recording, replay, standing, watermark
from app.sync.copies import Winners
from app.sync.ledger import Ledger
from app.sync.push import PlannedWrite, PushResult, push_writes
from app.sync.reconcile import (
    Action,
    LastWrite,
    RemoteEntry,
    compact_json,
    decide,
    remote_entry,
    sync_hash,
)
from app.sync.scope import Scope
from app.sync.upstream import System, UpstreamUnavailable, explain, outage
from app.sync.watermark import Watermark
from app.vocabulary import Kategori
from connectors.eplanning import EPlanningClient
from connectors.eprogram import EProgramClient, Page
from connectors.http import ConnectorError, TransientError
from mappings.eplanning import NaturalKey
from mappings.nomenklatur import Nomenklatur
from mappings.subkegiatan import Mapped, Unmappable, map_sub_kegiatan

log = logging.getLogger(__name__)
T = TypeVar("T")
# How often a run looks for a cancel request or a shutdown while it waits on a
# request: the stop is honoured within about this long, in every stage.
WATCH_SECONDS = 1.0
REPLAY_BATCH = 200

StopReason = Literal["cancel", "shutdown"]
_STOPPED: dict[StopReason, tuple[RunStatus, str]] = {
    "cancel": (RunStatus.CANCELLED, "dibatalkan oleh admin"),
    "shutdown": (
        RunStatus.INTERRUPTED,
        "layanan dihentikan saat run berjalan; run berikutnya melanjutkan dari checkpoint",
    ),
}


class RunCancelled(Exception):
    """An admin asked the run to stop."""


class RunStopped(Exception):
    """The process is shutting down; the run stops where the next run can resume."""


@dataclass(frozen=True)
class Progress:
    run_id: int
    stage: Stage
    page: int
    pulled: int
    counts: dict[str, int]


@dataclass
class RunSummary:
    run_id: int
    status: RunStatus
    pulled: int
    counts: dict[str, int]
    error: str | None = None
    stage_seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class _Known:
    """What the database knows of one page's keys (see Pipeline._known)."""

    remote: dict[NaturalKey, RemoteEntry]
    last: dict[NaturalKey, LastWrite]
    copies: list[Row[Any]]
    run_id: int


@dataclass
class _PassState:
    """What the pipeline must remember across pages of one pass: counters only.

    What grows with the data (E-Planning's copies, the copies of each key seen
    so far, the keys E-Program speaks for) lives in the database and is looked
    up per page, so a run's memory stays flat whatever its size.
    """

    statistics: PlannerStatistics  # ANALYZE on PostgreSQL as the run's tables fill
    pulled: int = 0  # distinct source ids pulled and recorded
    counts: dict[str, int] = field(default_factory=dict)
    start: watermark.Start = field(default_factory=watermark.Start)
    watermark: Watermark = field(default_factory=Watermark)
    timings: dict[str, float] = field(default_factory=dict)
    # The nomenclature imported for the year (None: none, its checks are skipped)
    # and the keys an active E-Program record speaks for (hanya_di_eplanning).
    nomenklatur: Nomenklatur | None = None
    failed_batches: int = 0  # pushes in a row that got no answer at all
    stop_reason: StopReason | None = None

    @contextmanager
    def timed(self, stage: Stage) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[stage] = self.timings.get(stage, 0.0) + time.perf_counter() - start


def _counted(counts: Mapping[str, int], before: Mapping[str, str], book: Ledger) -> dict[str, int]:
    """The run's outcome counts after a page, from the outcomes the page replaced
    (a source id seen again, a copy superseded) rather than a count of the
    whole run per page."""
    final = {row.source_id: str(row.outcome) for row in book.outcomes}
    for loser, _winner in book.superseded:
        if loser in final or loser in before:
            final[loser] = str(Outcome.DUPLICATE)
    after = dict(counts)
    for source_id, outcome in final.items():
        after[outcome] = after.get(outcome, 0) + 1
        previous = before.get(source_id)
        if previous is not None:
            after[previous] -= 1
    return {outcome: n for outcome, n in after.items() if n}


class Pipeline:
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
        # Called inside every transaction that records results: raises LeaseLost
        # when another process has taken over, so this one's writes roll back.
        self.fence = fence or (lambda _session: None)

    async def execute(self, run_id: int) -> RunSummary:
        """Run a created run to its end; never raises for a failed sync."""
        with session_scope(self.sessions) as session:
            run = runs.get(session, run_id)
            if run is None:
                raise LookupError(f"run {run_id} tidak ada")
            scope = Scope(run.tahun_anggaran, run.tahap, tuple(run.kode_skpd or ()), run.full)
            runs.mark_running(session, run_id)
            nomenklatur = nomenklatur_store.reference(
                session, scope.tahun_anggaran, self.settings.jenis_pemda
            )
        state = _PassState(nomenklatur=nomenklatur, statistics=PlannerStatistics(self.sessions))
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
            status, error = _STOPPED[state.stop_reason]
        except RunCancelled:
            status, error = _STOPPED["cancel"]
        except RunStopped:
            status, error = _STOPPED["shutdown"]
        except LeaseLost:
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
        except LeaseLost:
            return self._lost(run_id, state)

    async def _work(self, run_id: int, scope: Scope, state: _PassState) -> None:
        if self._must_read(scope):
            with state.timed(Stage.BACA_EPLANNING):
                self._set_stage(run_id, Stage.BACA_EPLANNING, state)
                await self._upstream("eplanning", self._read_target(run_id, scope))
        await self._pull_pass(run_id, scope, state)
        if scope.full and not scope.partial:
            self._only_in_eplanning(run_id, scope, state)
        if not scope.partial:
            with state.timed(Stage.KIRIM_ULANG):
                self._set_stage(run_id, Stage.KIRIM_ULANG, state)
                await self._replay_open_letters(run_id, scope, state)

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

    async def _upstream(self, system: System, call: Awaitable[T]) -> T:
        """Await a read from E-Program or E-Planning, noting the contact; a failure
        that outlived its retries stops the run with a message an admin can act on."""
        url = self.settings.eprogram_url if system == "eprogram" else self.settings.eplanning_url
        try:
            value = await call
        except ConnectorError as exc:
            message = explain(system, url, exc)
            contacts.note(self.sessions, system, ok=False, detail=message)
            raise UpstreamUnavailable(system, message) from exc
        contacts.note(self.sessions, system, ok=True)
        return value

    @staticmethod
    def _lost(run_id: int, state: _PassState) -> RunSummary:
        """Another process holds the lease now; it marks this run interrupted."""
        log.error("run %s: lease hilang, berhenti tanpa menulis apa pun lagi", run_id)
        counts = dict(state.counts)
        return RunSummary(run_id, RunStatus.INTERRUPTED, state.pulled, counts, "lease hilang")

    # -- stages -------------------------------------------------------------

    def _must_read(self, scope: Scope) -> bool:
        """A full run compares everything, so it reads E-Planning's whole scope; an
        incremental run reads it only when no full read has filled the mirror yet
        (a planner's edit since is answered by 409 versi_berubah at push time)."""
        if scope.full:
            return True
        with session_scope(self.sessions) as session:
            return not mirror.is_filled(
                session, tahun_anggaran=scope.tahun_anggaran, tahap=scope.tahap
            )

    async def _read_target(self, run_id: int, scope: Scope) -> None:
        """Read E-Planning's copies of the scope into the mirror, a page at a time."""
        for kode_skpd in scope.kode_skpd or (None,):
            async for items in self.eplanning.current_pages(
                tahun_anggaran=scope.tahun_anggaran, tahap=scope.tahap, kode_skpd=kode_skpd
            ):
                self._check_stop()
                with session_scope(self.sessions) as session:
                    self.fence(session)
                    self._mirror_page(session, run_id, items)
        with session_scope(self.sessions) as session:
            self.fence(session)
            mirror.forget_unread(
                session,
                tahun_anggaran=scope.tahun_anggaran,
                tahap=scope.tahap,
                kode_skpd=scope.kode_skpd,
                run_id=run_id,
            )

    @staticmethod
    def _mirror_page(session: Session, run_id: int, items: list[dict[str, Any]]) -> None:
        """One page of E-Planning's copies into the mirror. A copy exactly as the
        mirror holds it (E-Planning sent the same JSON) is only marked as read:
        validating and hashing it again would give what the row already says."""
        sent: dict[NaturalKey, tuple[dict[str, Any], str]] = {}
        for item in items:
            try:
                sent[NaturalKey.of(item)] = (item, compact_json(item))
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                log.warning("data E-Planning tanpa kunci yang terbaca, dilewati: %r", exc)
        held = mirror.load(session, sent)
        entries: dict[NaturalKey, RemoteEntry] = {}
        same: list[NaturalKey] = []
        for key, (item, raw) in sent.items():
            old = held.get(key)
            if old is not None and old.raw == raw:
                same.append(key)
                continue
            try:
                entries[key] = remote_entry(item)
            except ValueError as exc:
                log.warning("data E-Planning tidak terbaca, dilewati: %s", exc)
        mirror.save_read(session, entries, run_id=run_id)
        mirror.mark_read(session, same, run_id=run_id)

    async def _pull_pass(self, run_id: int, scope: Scope, state: _PassState) -> None:
        start = state.start = self._start(scope)
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
        upcoming = asyncio.ensure_future(self._upstream("eprogram", anext(pages, None)))
        try:
            while True:
                self._check_stop()
                with state.timed(Stage.TARIK):
                    started = time.perf_counter()
                    page = await upcoming
                if page is None:
                    break
                metrics.observe_pull(time.perf_counter() - started)
                upcoming = asyncio.ensure_future(self._upstream("eprogram", anext(pages, None)))
                page_no += 1
                await self._process_page(run_id=run_id, scope=scope, page=page, state=state)
                with state.timed(Stage.CATAT):
                    state.statistics.wrote(len(page.records))
                self.progress(
                    Progress(run_id, Stage.TARIK, page_no, state.pulled, dict(state.counts))
                )
        finally:
            upcoming.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await upcoming

    def _check_stop(self) -> None:
        if self.should_stop():
            raise RunStopped
        if self.should_cancel():
            raise RunCancelled

    async def _push(self, writes: list[PlannedWrite], state: _PassState) -> list[PushResult]:
        """Push a page's writes; what got no answer at all is sent again (same keys).

        ``outage_batches`` pushes in a row without any answer stop the run as
        failed: the page in hand is then not recorded, so the checkpoint stays
        where the records are, and nothing becomes a dead letter for an outage.
        """
        done: list[PushResult] = []
        remaining = writes
        while remaining:
            try:
                pushed = await push_writes(self.eplanning, remaining)
            except ConnectorError as exc:  # refused for good (a revoked token): no retry helps
                raise self._refused(exc) from exc
            missing = [p for p in pushed if p.unanswered]
            done += [p for p in pushed if not p.unanswered]
            if len(missing) < len(pushed):
                state.failed_batches = 0
                contacts.note(self.sessions, "eplanning", ok=True)
            if not missing:
                break
            state.failed_batches += 1
            cause = missing[0].cause
            url = self.settings.eplanning_url
            detail = explain("eplanning", url, cause) if cause else "E-Planning tidak menjawab"
            contacts.note(self.sessions, "eplanning", ok=False, detail=detail)
            log.warning("kiriman ke E-Planning gagal (%s berturut-turut): %s",
                        state.failed_batches, cause)  # fmt: skip
            if state.failed_batches >= self.settings.outage_batches:
                assert cause is not None
                message = outage("eplanning", url, cause, batches=state.failed_batches)
                raise UpstreamUnavailable("eplanning", message)
            await asyncio.sleep(self._pause(state.failed_batches))
            remaining = [p.write for p in missing]
        return done

    def _pause(self, failures: int) -> float:
        wait = self.settings.retry_initial_wait * 2 ** (failures - 1)
        return float(min(wait, self.settings.retry_max_wait))

    async def _replay_open_letters(self, run_id: int, scope: Scope, state: _PassState) -> None:
        """Send the scope's dead letters of earlier runs again, with their own keys,
        so E-Planning comes right with no admin action (docs/design.md, promise 8). Sent first and
        recorded after, in short transactions, under this run's lease."""
        after_id = 0
        while True:
            self._check_stop()
            with session_scope(self.sessions) as session:
                letters = list(
                    dead_letter_repo.open_of_scope(
                        session,
                        tahun_anggaran=scope.tahun_anggaran,
                        tahap=scope.tahap,
                        before_run=run_id,
                        after_id=after_id,
                        limit=REPLAY_BATCH,
                    )
                )
            if not letters:
                return
            after_id = letters[-1].id
            results = await self._replay_batch(letters, state)
            with session_scope(self.sessions) as session:
                self.fence(session)
                replay.apply(session, letters, results)

    def _refused(self, exc: ConnectorError) -> UpstreamUnavailable:
        message = explain("eplanning", self.settings.eplanning_url, exc)
        contacts.note(self.sessions, "eplanning", ok=False, detail=message)
        return UpstreamUnavailable("eplanning", message)

    async def _replay_batch(
        self, letters: list[DeadLetter], state: _PassState
    ) -> list[replay.ReplayResult]:
        url = self.settings.eplanning_url
        while True:
            try:
                results = await replay.send_with(self.eplanning, letters)
            except TransientError as exc:
                state.failed_batches += 1
                detail = explain("eplanning", url, exc)
                contacts.note(self.sessions, "eplanning", ok=False, detail=detail)
                if state.failed_batches >= self.settings.outage_batches:
                    message = outage("eplanning", url, exc, batches=state.failed_batches)
                    raise UpstreamUnavailable("eplanning", message) from exc
                await asyncio.sleep(self._pause(state.failed_batches))
                continue
            except ConnectorError as exc:
                raise self._refused(exc) from exc
            state.failed_batches = 0
            contacts.note(self.sessions, "eplanning", ok=True)
            return results

    def _start(self, scope: Scope) -> watermark.Start:
        """Where the pass begins in E-Program's feed (docs/design.md, promise 3)."""
        if scope.partial:
            return watermark.Start()
        with session_scope(self.sessions) as session:
            saved = checkpoints.get(session, scope.tahun_anggaran, scope.tahap)
            start = watermark.start(saved, incremental=not scope.full)
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
            known = self._known(run_id, results)
            mapped = self._contest(scope, results, book, known, state)
            writes, by_source = self._reconcile(mapped, known, book)
        pushed_copies: dict[NaturalKey, RemoteEntry] = {}
        remote = known.remote
        with state.timed(Stage.KIRIM):
            self._remember_keys(run_id, writes)  # fenced: a stale holder pushes nothing
            started = time.perf_counter()
            pushed = await self._push(writes, state)
            pushed = await self._decide_again(
                run_id, pushed=pushed, known=known, book=book, by_source=by_source, state=state
            )
            if writes:
                metrics.observe_push(time.perf_counter() - started)
            for answer in pushed:
                entry = ledger.pushed(answer, by_source[answer.write.source_id], run_id)
                book.add(entry)
                if entry.held is not None:
                    remote[answer.write.key] = pushed_copies[answer.write.key] = entry.held
            book.mismatches = standing.with_successors(book.mismatches, state.nomenklatur)
            book.mismatches += standing.pagu_rows(book, remote)
            book.states += standing.state_rows(
                book,
                remote,
                tahun_anggaran=scope.tahun_anggaran,
                tahap=scope.tahap,
                run_id=run_id,
            )
        with state.timed(Stage.CATAT):
            moved = state.watermark.moved_by(fresh)
            self._record(
                run_id=run_id,
                scope=scope,
                page=page,
                book=book,
                moved=moved,
                state=state,
                pushed_copies=pushed_copies,
            )
        # Past the watermark only once recorded: a page that failed halfway left
        # nothing behind and is pulled again by the next run.
        state.watermark = moved

    def _known(self, run_id: int, results: list[Mapped | Unmappable]) -> _Known:
        """What the database knows of the page's keys, in one short transaction:
        E-Planning's copies (the mirror), what the service last wrote, and the
        E-Program copies kept under each key (this run's earlier pages included)."""
        keys = {r.record.natural_key() if isinstance(r, Mapped) else r.natural_key for r in results}
        keys.discard(None)
        present = [k for k in keys if k is not None]
        with session_scope(self.sessions) as session:
            remote = mirror.load(session, present)
            last = {
                k: LastWrite(versi=row.versi, sync_hash=row.content_hash)
                for k, row in push_state.load(session, present).items()
            }
            copies = source_records.for_keys(session, present)
        return _Known(remote=remote, last=last, copies=copies, run_id=run_id)

    def _contest(
        self,
        scope: Scope,
        results: list[Mapped | Unmappable],
        book: Ledger,
        known: _Known,
        state: _PassState,
    ) -> list[Mapped]:
        """File each mapped record; of two copies of one key the better goes on (copies.py)."""
        winners = Winners(source_records.winners_of_run(known.copies, known.run_id))
        page_winners: dict[str, Mapped] = {}
        for result in results:
            book.source_ids.add(result.source_id or "?")
            if isinstance(result, Unmappable):
                book.unmappable.append(result)
                book.add(ledger.unmappable(result, tahun=scope.tahun_anggaran, tahap=scope.tahap))
                continue
            book.sources.append(result)
            book.add(ledger.notes(result, state.nomenklatur))
            contest = winners.enter(result)
            if contest.lost_to is not None:
                book.add(ledger.duplicate(result, contest.lost_to))
                continue
            if contest.beat is not None:
                in_page = page_winners.pop(contest.beat.source_id, None)
                if in_page is not None:
                    book.add(ledger.duplicate(in_page, result.source_id))
                else:  # already recorded on an earlier page
                    book.add(ledger.superseded(contest.beat, result.source_id))
            page_winners[result.source_id] = result
        return list(page_winners.values())

    def _reconcile(
        self, mapped: list[Mapped], known: _Known, book: Ledger
    ) -> tuple[list[PlannedWrite], dict[str, Mapped]]:
        in_hand = {m.record.natural_key(): m.source_id for m in mapped}
        remote, last = known.remote, known.last
        kept = source_records.copies_of(known.copies, in_hand)
        writes: list[PlannedWrite] = []
        for pulled in mapped:
            key = pulled.record.natural_key()
            current = remote.get(key)
            verdict = copies.judge(pulled, kept.get(key, []), current)
            item = pulled
            if verdict.replaced_by is not None:
                item = copies.in_place_of(pulled, verdict.replaced_by)
                book.add(ledger.replaced_by_copy(pulled, item.record))
            elif verdict.duplicate_of is not None:
                book.add(ledger.duplicate(pulled, verdict.duplicate_of))
                continue
            else:
                book.add(ledger.outranked(verdict.outranks, pulled.source_id))
            wanted = sync_hash(item.record)
            decision = decide(
                item.record,
                current,
                last.get(key),
                service_user=self.settings.eplanning_user,
                source_wins=self.settings.conflict_policy == "source_wins",
                wanted=wanted,
            )
            if decision.action is Action.UNCHANGED:
                book.add(
                    ledger.unchanged(item, current.versi if current else None, decision.reason)
                )
                if current is not None and current.diperbarui_oleh == self.settings.eplanning_user:
                    ours = last.get(key)
                    if ours is None or ours.versi != current.versi:
                        book.written.append(
                            push_state.Write(
                                key, current.sync_hash, current.versi, current.aktif, item.source_id
                            )
                        )
            elif decision.action is Action.CONFLICT:
                assert current is not None
                book.add(ledger.conflict(item, current, decision.changed, decision.reason or ""))
            else:
                writes.append(
                    PlannedWrite(
                        source_id=item.source_id,
                        key=key,
                        action=decision.action,
                        record=item.record,
                        sync_hash=wanted,
                        if_match=decision.if_match,
                        changed=decision.changed,
                    )
                )
        return writes, {m.source_id: m for m in mapped}

    async def _decide_again(
        self,
        run_id: int,
        *,
        pushed: list[PushResult],
        known: _Known,
        book: Ledger,
        by_source: dict[str, Mapped],
        state: _PassState,
    ) -> list[PushResult]:
        """A write answered 409 versi_berubah carries E-Planning's copy: the
        mirror was behind. Decide once more against that copy: a planner's edit
        stays a conflict (unless the source wins), the service's own newer write
        or content already there is not one, anything else is sent again with
        the versi it now replaces."""
        again: list[PlannedWrite] = []
        done: list[PushResult] = []
        for answer in pushed:
            result = answer.result
            if result is None or result.status != 409 or result.current is None:
                done.append(answer)
                continue
            try:
                current = remote_entry(result.current)
            except ValueError:
                done.append(answer)
                continue
            write = answer.write
            decision = decide(
                write.record,
                current,
                known.last.get(write.key),
                service_user=self.settings.eplanning_user,
                source_wins=self.settings.conflict_policy == "source_wins",
            )
            if decision.action in (Action.UPDATE, Action.DEACTIVATE):
                again.append(
                    dataclasses.replace(
                        write,
                        action=decision.action,
                        if_match=decision.if_match,
                        changed=decision.changed,
                    )
                )
            elif decision.action is Action.UNCHANGED:
                known.remote[write.key] = current
                book.add(ledger.unchanged(by_source[write.source_id], current.versi, None))
            else:
                done.append(answer)
        if again:
            self._remember_keys(run_id, again)
            done += await self._push(again, state)
        return done

    def _remember_keys(self, run_id: int, writes: list[PlannedWrite]) -> None:
        if not writes:
            return
        with session_scope(self.sessions) as session:
            self.fence(session)
            recording.remember_keys(session, run_id, writes)

    def _record(
        self,
        *,
        run_id: int,
        scope: Scope,
        page: Page,
        book: Ledger,
        moved: Watermark,
        state: _PassState,
        pushed_copies: dict[NaturalKey, RemoteEntry],
    ) -> None:
        with session_scope(self.sessions) as session:
            self.fence(session)
            losers = {loser for loser, _winner in book.superseded}
            before = outcomes.recorded(session, run_id, book.source_ids | losers)
            recording.record_page(
                session,
                book,
                run_id=run_id,
                scope=scope,
                updated_since=state.start.updated_since,
                next_after=page.next_after,
                watermark=moved,
                began=state.start.began,
            )
            mirror.save_written(session, pushed_copies, run_id=run_id)
            fresh_ids = len(book.source_ids - before.keys())
            counts = _counted(state.counts, before, book)
            runs.set_progress(
                session,
                run_id,
                stage=Stage.TARIK,
                records_pulled=state.pulled + fresh_ids,
                stage_seconds=state.timings,
            )
        state.pulled += fresh_ids
        state.counts = counts

    def _set_stage(self, run_id: int, stage: Stage, state: _PassState) -> None:
        with session_scope(self.sessions) as session:
            runs.set_progress(session, run_id, stage=stage, stage_seconds=state.timings)
        self.progress(Progress(run_id, stage, 0, state.pulled, dict(state.counts)))

    def _only_in_eplanning(self, run_id: int, scope: Scope, state: _PassState) -> None:
        """A full pass has seen every E-Program record (in this run, and in the
        runs before it that the pass continues): what E-Planning holds active
        beyond them is only there; what was only there before and is no longer
        is settled."""
        with session_scope(self.sessions) as session:
            self.fence(session)
            for chunk in mirror.not_in_eprogram(
                session,
                tahun_anggaran=scope.tahun_anggaran,
                tahap=scope.tahap,
                run_ids=checkpoints.runs_of_pass(
                    session, scope.tahun_anggaran, scope.tahap, began=state.start.began or run_id
                ),
            ):
                ditemukan.record(session, run_id, standing.only_in_eplanning(chunk, ()))
            ditemukan.resolve_unseen(
                session,
                tahun_anggaran=scope.tahun_anggaran,
                tahap=scope.tahap,
                kategori=Kategori.HANYA_DI_EPLANNING,
                run_id=run_id,
            )

    def _finish(
        self,
        run_id: int,
        scope: Scope,
        state: _PassState,
        status: RunStatus,
        error: str | None,
    ) -> RunSummary:
        with session_scope(self.sessions) as session:
            self.fence(session)
            counts = runs.outcome_counts(session, run_id)
            pulled = state.pulled
            recorded = sum(counts.values())
            if recorded != pulled and status is not RunStatus.FAILED:
                # docs/design.md, promise 1: a run whose counts do not add up is a failed run.
                status = RunStatus.FAILED
                error = (
                    f"jumlah hasil ({recorded}) tidak sama dengan data yang ditarik ({pulled}); "
                    f"selisih {recorded - pulled}"
                )
            runs.set_progress(
                session,
                run_id,
                stage=Stage.SELESAI,
                records_pulled=pulled,
                stage_seconds=state.timings,
            )
            runs.finish(session, run_id, status=status, counts=counts, error=error)
            if status is not RunStatus.FAILED:
                # One point of the planners' trend per run that got to its end.
                ringkasan.snapshot(
                    session, run_id=run_id, tahun_anggaran=scope.tahun_anggaran, tahap=scope.tahap
                )
        metrics.count_outcomes(counts)
        summary = RunSummary(run_id, status, pulled, counts, error, dict(state.timings))
        self.progress(Progress(run_id, Stage.SELESAI, 0, pulled, counts))
        return summary
