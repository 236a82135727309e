"""One run, page by page: pull → map → reconcile → push → record → checkpoint.

Each page is finished (outcomes, push state, mismatches, dead letters and the
cursor, in one transaction) before the next one is asked for, so a crash costs
at most the page in hand (docs/design.md, promise 3).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.db import session_scope
from app.models import DeadLetter, Outcome, PushKey, RunStatus
from app.nomenklatur import store as nomenklatur_store
from app.observability import metrics
from app.repositories import (
    checkpoints,
    mismatches,
    outcomes,
    push_state,
    ringkasan,
    runs,
    source_records,
)
from app.repositories import dead_letters as dead_letter_repo
from app.sync import contacts, records, replay, standing
from app.sync.lease import LeaseLost
from app.sync.push import PlannedWrite, PushResult, push_writes
from app.sync.reconcile import Action, LastWrite, RemoteEntry, decide, remote_entry, sync_hash
from app.sync.scope import Scope
from app.sync.upstream import System, UpstreamUnavailable, explain, outage
from connectors.eplanning import EPlanningClient
from connectors.eprogram import EProgramClient, Page
from connectors.http import ConnectorError, TransientError
from mappings.eplanning import NaturalKey
from mappings.nomenklatur import Nomenklatur
from mappings.normalise import WIB, parse_wib
from mappings.subkegiatan import Mapped, Unmappable, map_sub_kegiatan, recency

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
    stage: str
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
class _PassState:
    """What the pipeline must remember across pages of one pass."""

    seen_ids: set[str] = field(default_factory=set)
    winners: dict[NaturalKey, records.Seen] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    watermark: str | None = None
    watermark_ids: set[str] = field(default_factory=set)
    skip_at_watermark: set[str] = field(default_factory=set)
    timings: dict[str, float] = field(default_factory=dict)
    # The nomenclature imported for the year (None: none, its checks are skipped)
    # and the keys an active E-Program record speaks for (hanya_di_eplanning).
    nomenklatur: Nomenklatur | None = None
    in_eprogram: set[NaturalKey] = field(default_factory=set)
    failed_batches: int = 0  # pushes in a row that got no answer at all
    stop_reason: StopReason | None = None

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[stage] = self.timings.get(stage, 0.0) + time.perf_counter() - start


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
        state = _PassState(nomenklatur=nomenklatur)
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
        with state.timed("baca_eplanning"):
            self._set_stage(run_id, "baca_eplanning", state)
            remote = await self._upstream("eplanning", self._read_target(scope))
        await self._pull_pass(run_id, scope, remote, state)
        if scope.full and not scope.partial:
            self._only_in_eplanning(run_id, scope, remote, state)
        if not scope.partial:
            with state.timed("kirim_ulang"):
                self._set_stage(run_id, "kirim_ulang", state)
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
        pulled = len(state.seen_ids)
        return RunSummary(run_id, RunStatus.INTERRUPTED, pulled, dict(state.counts), "lease hilang")

    # -- stages -------------------------------------------------------------

    async def _read_target(self, scope: Scope) -> dict[NaturalKey, RemoteEntry]:
        remote: dict[NaturalKey, RemoteEntry] = {}
        for kode_skpd in scope.kode_skpd or (None,):
            async for items in self.eplanning.current_pages(
                tahun_anggaran=scope.tahun_anggaran, tahap=scope.tahap, kode_skpd=kode_skpd
            ):
                self._check_stop()
                for item in items:
                    try:
                        entry = remote_entry(item)
                    except ValueError as exc:
                        log.warning("data E-Planning tidak terbaca, dilewati: %s", exc)
                        continue
                    remote[_key_of(item)] = entry
        return remote

    async def _pull_pass(
        self, run_id: int, scope: Scope, remote: dict[NaturalKey, RemoteEntry], state: _PassState
    ) -> None:
        updated_since, after = self._start_position(scope, state)
        page_no = 0
        pages = self.eprogram.pages(
            tahun_anggaran=scope.tahun_anggaran,
            tahap=scope.tahap,
            updated_since=updated_since,
            after=after,
            limit=self.settings.page_size,
        )
        self._set_stage(run_id, "tarik", state)
        while True:
            self._check_stop()
            with state.timed("tarik"):
                started = time.perf_counter()
                page = await self._upstream("eprogram", anext(pages, None))
            if page is None:
                break
            metrics.observe_pull(time.perf_counter() - started)
            page_no += 1
            await self._process_page(
                run_id=run_id,
                scope=scope,
                page=page,
                remote=remote,
                state=state,
                updated_since=updated_since,
            )
            self.progress(
                Progress(run_id, "tarik", page_no, len(state.seen_ids), dict(state.counts))
            )

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

    def _start_position(self, scope: Scope, state: _PassState) -> tuple[str | None, str | None]:
        if scope.partial or scope.full:
            return None, None
        with session_scope(self.sessions) as session:
            checkpoint = checkpoints.get(session, scope.tahun_anggaran, scope.tahap)
            if checkpoint is None:
                return None, None
            state.watermark = checkpoint.watermark
            state.watermark_ids = set(checkpoint.watermark_ids)
            if checkpoint.pass_after:
                log.info("melanjutkan dari checkpoint run %s", checkpoint.pass_run_id)
                return checkpoint.pass_updated_since, checkpoint.pass_after
            # updated_since is inclusive: the watermark second comes again, and
            # the records of it we already recorded are skipped, not recounted.
            state.skip_at_watermark = set(checkpoint.watermark_ids)
            return checkpoint.watermark, None

    async def _process_page(
        self,
        *,
        run_id: int,
        scope: Scope,
        page: Page,
        remote: dict[NaturalKey, RemoteEntry],
        state: _PassState,
        updated_since: str | None,
    ) -> None:
        page_record = records.PageRecord()
        with state.timed("petakan"):
            fresh = self._select(scope, page.records, state)
            mapped = self._map(scope, fresh, page_record, state)
        with state.timed("bandingkan"):
            writes, by_source = self._reconcile(scope, mapped, remote, page_record)
        with state.timed("kirim"):
            self._remember_keys(run_id, writes)  # fenced: a stale holder pushes nothing
            started = time.perf_counter()
            pushed = await self._push(writes, state)
            if writes:
                metrics.observe_push(time.perf_counter() - started)
            for result in pushed:
                body = records.push_rows(
                    page_record, result, by_source[result.write.source_id], run_id
                )
                if body is not None:
                    remote[result.write.key] = remote_entry(body)
            standing.add_successors(page_record, state.nomenklatur)
            standing.pagu_rows(page_record, remote)
            standing.state_rows(
                page_record,
                remote,
                tahun_anggaran=scope.tahun_anggaran,
                tahap=scope.tahap,
                run_id=run_id,
            )
        with state.timed("catat"):
            self._record(
                run_id=run_id,
                scope=scope,
                page=page,
                page_record=page_record,
                state=state,
                updated_since=updated_since,
            )
        # Counted as pulled only once recorded: a page that failed halfway left
        # nothing behind and is pulled again by the next run.
        state.seen_ids |= page_record.source_ids

    def _select(
        self, scope: Scope, raw_records: list[dict[str, Any]], state: _PassState
    ) -> list[dict[str, Any]]:
        """Records of this run's scope, minus the overlap second already recorded."""
        chosen = []
        for raw in raw_records:
            source_id = str(raw.get("id", "")).strip()
            update_at = feed_time(raw.get("update_at"))
            if scope.kode_skpd and str(raw.get("kode_skpd", "")).strip() not in scope.kode_skpd:
                continue
            if update_at == state.watermark and source_id in state.skip_at_watermark:
                continue
            chosen.append(raw)
            if update_at is None:
                continue  # unreadable: the mapping reports it; it never moves the watermark
            if state.watermark is None or update_at > state.watermark:
                state.watermark, state.watermark_ids = update_at, {source_id}
            elif update_at == state.watermark:
                state.watermark_ids.add(source_id)
        return chosen

    def _map(
        self,
        scope: Scope,
        raw_records: list[dict[str, Any]],
        page_record: records.PageRecord,
        state: _PassState,
    ) -> list[Mapped]:
        page_winners: dict[str, Mapped] = {}
        for raw in raw_records:
            result = map_sub_kegiatan(raw, jenis_pemda=self.settings.jenis_pemda)
            source_id = result.source_id or "?"
            page_record.source_ids.add(source_id)
            if isinstance(result, Unmappable):
                records.unmappable_rows(
                    page_record, result, tahun=scope.tahun_anggaran, tahap=scope.tahap
                )
                if result.natural_key is not None:
                    state.in_eprogram.add(result.natural_key)
                continue
            page_record.sources.append(result)
            records.note_rows(page_record, result)
            records.nomenklatur_rows(page_record, result, state.nomenklatur)
            key = result.record.natural_key()
            if result.record.aktif:
                state.in_eprogram.add(key)
            earlier = state.winners.get(key)
            if earlier is not None and earlier.source_id != result.source_id:
                if recency(earlier.aktif, earlier.updated_at, earlier.source_id) >= recency(
                    result.record.aktif, result.updated_at, result.source_id
                ):
                    records.duplicate_rows(page_record, result, earlier.source_id)
                    continue
                in_page = page_winners.pop(earlier.source_id, None)
                if in_page is not None:
                    records.duplicate_rows(page_record, in_page, result.source_id)
                else:  # already recorded on an earlier page
                    records.superseded_rows(page_record, earlier, result.source_id)
            state.winners[key] = records.Seen.of(result)
            page_winners[result.source_id] = result
        return list(page_winners.values())

    def _reconcile(
        self,
        scope: Scope,
        mapped: list[Mapped],
        remote: dict[NaturalKey, RemoteEntry],
        page_record: records.PageRecord,
    ) -> tuple[list[PlannedWrite], dict[str, Mapped]]:
        keys = [m.record.natural_key() for m in mapped]
        with session_scope(self.sessions) as session:
            last = {
                k: LastWrite(versi=row.versi, sync_hash=row.content_hash)
                for k, row in push_state.load(session, keys).items()
            }
            copies = source_records.copies_of(session, keys)
        writes: list[PlannedWrite] = []
        for pulled in mapped:
            key = pulled.record.natural_key()
            current = remote.get(key)
            others = [c for c in copies.get(key, []) if c.source_id != pulled.source_id]
            item = _with_best_copy(pulled, others)
            if item is not pulled:
                records.superseded_by_copy_rows(page_record, pulled, item.record)
            elif current is not None and _older_than_remote_source(item, current, others):
                records.duplicate_rows(page_record, item, current.sumber_id or "?")
                continue
            else:
                records.outranked_rows(page_record, others, item.source_id)
            decision = decide(
                item.record,
                current,
                last.get(key),
                service_user=self.settings.eplanning_user,
                source_wins=self.settings.conflict_policy == "source_wins",
            )
            if decision.action is Action.UNCHANGED:
                records.unchanged_row(
                    page_record, item, current.versi if current else None, decision.reason
                )
                if current is not None and current.diperbarui_oleh == self.settings.eplanning_user:
                    ours = last.get(key)
                    if ours is None or ours.versi != current.versi:
                        page_record.written.append(
                            push_state.Write(
                                key, current.sync_hash, current.versi, current.aktif, item.source_id
                            )
                        )
            elif decision.action is Action.CONFLICT:
                assert current is not None
                records.conflict_rows(
                    page_record, item, current, decision.changed, decision.reason or ""
                )
            else:
                writes.append(
                    PlannedWrite(
                        source_id=item.source_id,
                        key=key,
                        action=decision.action,
                        record=item.record,
                        sync_hash=sync_hash(item.record),
                        if_match=decision.if_match,
                        changed=decision.changed,
                    )
                )
        return writes, {m.source_id: m for m in mapped}

    def _remember_keys(self, run_id: int, writes: list[PlannedWrite]) -> None:
        """Idempotency keys are durable before the first attempt (promise 2)."""
        if not writes:
            return
        with session_scope(self.sessions) as session:
            self.fence(session)
            push_state.remember_keys(
                session,
                [
                    PushKey(
                        idempotency_key=w.operation.idempotency_key,
                        tahun_anggaran=w.key.tahun_anggaran,
                        tahap=w.key.tahap,
                        kode_sub_skpd=w.key.kode_sub_skpd,
                        kode_sub_kegiatan=w.key.kode_sub_kegiatan,
                        op=w.operation.op,
                        content_hash=w.sync_hash,
                        base_versi=w.if_match,
                        first_run_id=run_id,
                    )
                    for w in writes
                ],
            )

    def _record(
        self,
        *,
        run_id: int,
        scope: Scope,
        page: Page,
        page_record: records.PageRecord,
        state: _PassState,
        updated_since: str | None,
    ) -> None:
        with session_scope(self.sessions) as session:
            self.fence(session)
            outcomes.save(session, run_id, page_record.outcomes)
            for loser_id, winner_id in page_record.superseded:
                outcomes.mark_superseded(session, run_id, loser_id, winner_id)
            push_state.record_writes(session, page_record.written, run_id=run_id)
            source_records.save(session, page_record.sources, run_id=run_id)
            settled, rejected = _settled_keys(scope, page_record)
            dead_letter_repo.supersede(session, settled, run_id=run_id)
            dead_letter_repo.supersede(session, rejected, run_id=run_id, status="rejected")
            push_state.note_attempts(session, page_record.attempts)
            for letter in page_record.dead_letters:
                dead_letter_repo.add(session, letter)
            mismatches.record(session, run_id, page_record.mismatches)
            # Every record the page went through loses the problems it no longer
            # has, whatever its outcome; a record seen twice in one run keeps
            # only what its latest copy has.
            mismatches.resolve_for_sources(
                session,
                tahun_anggaran=scope.tahun_anggaran,
                tahap=scope.tahap,
                source_ids=page_record.source_ids,
                run_id=run_id,
                found={row.identitas for row in page_record.mismatches},
            )
            ringkasan.save_states(session, page_record.states)
            ringkasan.out_of_scope(
                session,
                tahun_anggaran=scope.tahun_anggaran,
                tahap=scope.tahap,
                source_ids=sorted(page_record.outranked),
            )
            if not scope.partial:
                checkpoints.advance(
                    session,
                    tahun_anggaran=scope.tahun_anggaran,
                    tahap=scope.tahap,
                    run_id=run_id,
                    pass_updated_since=updated_since,
                    next_after=page.next_after,
                    watermark=state.watermark,
                    watermark_ids=sorted(state.watermark_ids),
                )
            state.counts = runs.outcome_counts(session, run_id)
            runs.set_progress(
                session,
                run_id,
                stage="tarik",
                records_pulled=len(state.seen_ids | page_record.source_ids),
                stage_seconds=state.timings,
            )

    def _set_stage(self, run_id: int, stage: str, state: _PassState) -> None:
        with session_scope(self.sessions) as session:
            runs.set_progress(session, run_id, stage=stage, stage_seconds=state.timings)
        self.progress(Progress(run_id, stage, 0, len(state.seen_ids), dict(state.counts)))

    def _only_in_eplanning(
        self,
        run_id: int,
        scope: Scope,
        remote: dict[NaturalKey, RemoteEntry],
        state: _PassState,
    ) -> None:
        """A full run has seen every E-Program record: what E-Planning holds
        active beyond them is only there; what was only there before and is no
        longer is settled."""
        rows = standing.only_in_eplanning(remote, state.in_eprogram)
        with session_scope(self.sessions) as session:
            self.fence(session)
            mismatches.record(session, run_id, rows)
            mismatches.resolve_unseen(
                session,
                tahun_anggaran=scope.tahun_anggaran,
                tahap=scope.tahap,
                kategori="hanya_di_eplanning",
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
            pulled = len(state.seen_ids)
            recorded = sum(counts.values())
            if recorded != pulled and status is not RunStatus.FAILED:
                # docs/design.md, promise 1: a run whose counts do not add up is a failed run.
                status = RunStatus.FAILED
                error = (
                    f"jumlah hasil ({recorded}) tidak sama dengan data yang ditarik ({pulled}); "
                    f"selisih {recorded - pulled}"
                )
            runs.set_progress(
                session, run_id, stage="selesai", records_pulled=pulled, stage_seconds=state.timings
            )
            runs.finish(session, run_id, status=status, counts=counts, error=error)
            if status is not RunStatus.FAILED:
                # One point of the planners' trend per run that got to its end.
                ringkasan.snapshot(
                    session, run_id=run_id, tahun_anggaran=scope.tahun_anggaran, tahap=scope.tahap
                )
        metrics.count_outcomes(counts)
        summary = RunSummary(run_id, status, pulled, counts, error, dict(state.timings))
        self.progress(Progress(run_id, "selesai", 0, pulled, counts))
        return summary


def _settled_keys(
    scope: Scope, page_record: records.PageRecord
) -> tuple[set[NaturalKey], set[NaturalKey]]:
    """Keys this page settled for good, and of those the ones E-Planning rejected."""
    settled = {w.key for w in page_record.written}
    rejected: set[NaturalKey] = set()
    for row in page_record.outcomes:
        if row.outcome is Outcome.DEAD_LETTER or not row.kode_sub_skpd:
            continue
        if not row.kode_sub_kegiatan:
            continue
        key = NaturalKey(
            scope.tahun_anggaran, scope.tahap, row.kode_sub_skpd, row.kode_sub_kegiatan
        )
        (rejected if row.outcome is Outcome.REJECTED else settled).add(key)
    return settled - rejected, rejected


def feed_time(value: object) -> str | None:
    """A source `update_at` in the one format E-Program takes back as
    `updated_since` (WIB, "YYYY-MM-DD HH:MM:SS"); None when unreadable."""
    try:
        return parse_wib(str(value).strip()).astimezone(WIB).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None


def _key_of(body: dict[str, Any]) -> NaturalKey:
    return NaturalKey(
        int(body["tahun_anggaran"]),
        str(body["tahap"]),
        str(body["kode_sub_skpd"]),
        str(body["kode_sub_kegiatan"]),
    )


def _with_best_copy(item: Mapped, others: list[source_records.Copy]) -> Mapped:
    """The record in hand, or, when a copy seen on an earlier run outranks it (an
    active copy beats one switched off, then the later one wins), that copy's
    content under the record in hand: its outcome is what the copy's content does."""
    best = max(others, key=lambda c: recency(c.aktif, c.updated_at, c.source_id), default=None)
    if best is None:
        return item
    ours = recency(item.record.aktif, item.updated_at, item.source_id)
    if recency(best.aktif, best.updated_at, best.source_id) <= ours:
        return item
    return Mapped(
        record=best.record(),
        source_id=item.source_id,
        updated_at=item.updated_at,
        notes=(),
        nama_skpd=item.nama_skpd,
    )


def _older_than_remote_source(
    item: Mapped, current: RemoteEntry, known: list[source_records.Copy]
) -> bool:
    """E-Planning holds this key from another E-Program id that the source records
    do not know (written before they were kept). The older of the two is the
    duplicate."""
    if current.sumber_id is None or current.sumber_diperbarui_pada is None:
        return False
    if current.sumber_id == item.source_id or any(c.source_id == current.sumber_id for c in known):
        return False
    theirs = recency(current.aktif, current.sumber_diperbarui_pada, current.sumber_id)
    return recency(item.record.aktif, item.updated_at, item.source_id) < theirs
