"""The apply stage: a run's plan pushed page by page, and the writes the guard
holds recorded as held (docs/design.md, "Preview, approval and the guard").

A page of the plan is pushed with the versi each decision saw as ``If-Match``,
so a record a planner changed since is answered 409 and decided once more (a
planner's edit stays a conflict). The page's answers and its rows marked
pushed go in one transaction: after a crash the rows not marked are pushed
again with the same idempotency keys, which E-Planning answers as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.db import session_scope
from app.models import PlanStatus
from app.observability import metrics
from app.repositories import mirror, runs
from app.repositories import rencana as plan_rows
from app.sync import decisions, guard, ledger, mirror_read, recording, rencana, standing
from app.sync.decisions import Rules
from app.sync.ledger import Entry, Ledger
from app.sync.outage import Outage
from app.sync.push import PlannedWrite
from app.sync.reconcile import RemoteEntry
from app.sync.scope import Scope
from connectors.eplanning import EPlanningClient
from mappings.eplanning import NaturalKey
from mappings.nomenklatur import Nomenklatur
from mappings.subkegiatan import Mapped

log = logging.getLogger(__name__)


@dataclass
class Applying:
    """What the apply stage needs of the run that carries it out."""

    run_id: int
    scope: Scope
    sessions: sessionmaker[Session]
    eplanning: EPlanningClient
    outage: Outage
    rules: Rules
    nomenklatur: Nomenklatur | None
    page_size: int
    fence: Callable[[Session], None]
    check_stop: Callable[[], None]
    counts: dict[str, int] = field(default_factory=dict)
    applied: int = 0
    # Called after each page is recorded (the planner's statistics follow what
    # the run writes: app.repositories.statistics).
    after_page: Callable[[], None] = lambda: None


def hold_for_approval(job: Applying, settings: Settings) -> dict[str, str]:
    """The guard over the run's whole plan: the OPDs whose plan passes a
    threshold have their rows held for an admin. Returns OPD → why."""
    thresholds = guard.Thresholds(
        settings.ambang_nonaktif_persen, settings.ambang_ubah_persen, settings.ambang_min_data
    )
    scope = job.scope
    with session_scope(job.sessions) as session:
        planned: dict[str, dict[str, int]] = {}
        for (kode, aksi, status), n in plan_rows.counts(session, job.run_id).items():
            if status == PlanStatus.TERTUNDA:
                planned.setdefault(kode, {})[aksi] = n
        sizes = mirror.active_per_opd(
            session, tahun_anggaran=scope.tahun_anggaran, tahap=scope.tahap
        )
        held = guard.judge(planned, sizes, thresholds)
        if held:
            job.fence(session)
            plan_rows.hold(session, job.run_id, held)
            runs.set_held(session, job.run_id, held)
    for kode, why in held.items():
        log.warning("run %s: OPD %s ditahan untuk persetujuan admin: %s", job.run_id, kode, why)
    return held


def _pages(
    sessions: sessionmaker[Session], plan_run: int, status: PlanStatus, size: int
) -> Iterator[list[Any]]:
    after = 0
    while True:
        with session_scope(sessions) as session:
            rows = plan_rows.next_page(session, plan_run, status, after_id=after, limit=size)
        if not rows:
            return
        after = rows[-1].id
        yield rows


@dataclass
class _Page:
    """One page of the plan on its way: its rows, the writes and records restored
    from them, what they are pushed against, and the ledger of the answers."""

    rows: list[Any]
    writes: list[PlannedWrite]
    by_source: dict[str, Mapped]
    known: decisions.Known
    book: Ledger
    held: dict[NaturalKey, RemoteEntry] = field(default_factory=dict)


async def push_plan(
    job: Applying,
    *,
    plan_run: int,
    status: PlanStatus,
    settle_findings: bool,
    timings: dict[str, float],
) -> None:
    """Push every row of ``plan_run``'s plan in ``status``, a page at a time.

    While E-Planning answers a page, the page before it is recorded, in a
    thread: the run does not wait for one to start the other. The pages are
    still recorded in order, one transaction each, and a page is pushed only
    once its keys are remembered (before the page before it is recorded, so
    the two writes never wait for each other), so a crash leaves what it left
    before: the rows not marked pushed go again with the same idempotency keys
    (their keys are a page's own: a plan holds one waiting row per key)."""
    pending: _Page | None = None  # pushed, its answers not yet recorded
    try:
        for rows in _pages(job.sessions, plan_run, status, job.page_size):
            job.check_stop()
            page = _restored(job, rows)
            _remember(job, page.writes)
            pushing = asyncio.ensure_future(_push(job, page))
            try:
                if pending is not None:
                    done, pending = pending, None
                    await _whole(_record, job, done, settle_findings, timings)
                await pushing
            except BaseException:
                pushing.cancel()
                with contextlib.suppress(BaseException):
                    await pushing
                raise
            pending = page
    finally:
        # The last page, or the page pushed before a stop or a failure: its
        # answers are in hand, so they are recorded rather than asked again.
        if pending is not None:
            await _whole(_record, job, pending, settle_findings, timings)


async def _whole(work: Callable[..., None], *args: Any) -> None:
    """``work`` in a thread, returned from only once it has ended, also when the
    run is stopped meanwhile: a page is recorded whole or not at all, and
    nothing of the run goes on after the stage has ended."""
    thread = asyncio.ensure_future(asyncio.to_thread(work, *args))
    try:
        await asyncio.shield(thread)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await thread
        raise


def _restored(job: Applying, rows: list[Any]) -> _Page:
    restored = [rencana.restore(row) for row in rows]
    mapped = [item for _write, item in restored]
    writes = [write for write, _item in restored]
    book = Ledger()
    for item in mapped:
        for entry in rencana.entries(item):
            book.add(entry)
    known = mirror_read.known_for_push(job.sessions, {w.key for w in writes})
    return _Page(rows, writes, {item.source_id: item for item in mapped}, known, book)


async def _push(job: Applying, page: _Page) -> None:
    """The page's writes pushed, a 409 decided once more and pushed again, and
    what E-Planning's answers mean for each record."""
    started = time.perf_counter()
    pushed = await job.outage.push(job.eplanning, page.writes)
    again, pushed = decisions.decide_again(pushed, page.known, page.book, page.by_source, job.rules)
    if again:
        _remember(job, again)
        pushed += await job.outage.push(job.eplanning, again)
    metrics.observe_push(time.perf_counter() - started)
    page.held = decisions.after_push(pushed, page.known, page.book, page.by_source,
                                     scope=job.scope, run_id=job.run_id,
                                     nomenklatur=job.nomenklatur)  # fmt: skip


def _record(job: Applying, page: _Page, settle_findings: bool, timings: dict[str, float]) -> None:
    """The page's answers and its rows marked pushed, in one transaction."""
    with session_scope(job.sessions) as session:
        job.fence(session)
        job.counts = recording.applied_page(
            session, page.book, run_id=job.run_id, scope=job.scope, held=page.held,
            plan_ids=[row.id for row in page.rows], settle_findings=settle_findings,
            counts=job.counts, timings=timings,
        )  # fmt: skip
    job.applied += len(page.rows)
    job.after_page()


def _remember(job: Applying, writes: list[Any]) -> None:
    if not writes:
        return
    with session_scope(job.sessions) as session:
        job.fence(session)
        recording.remember_keys(session, job.run_id, writes)


def record_held(job: Applying) -> None:
    """The held rows' records: outcome "ditahan", and where each stands."""
    for rows in _pages(job.sessions, job.run_id, PlanStatus.DITAHAN, job.page_size):
        job.check_stop()
        mapped = [rencana.restore(row)[1] for row in rows]
        known = mirror_read.known_for_push(job.sessions, {m.record.natural_key() for m in mapped})
        book = Ledger()
        for item in mapped:
            for entry in rencana.entries(item):
                book.add(entry)
            book.add(ledger.held(item))
        states = standing.state_rows(
            book,
            known.remote,
            tahun_anggaran=job.scope.tahun_anggaran,
            tahap=job.scope.tahap,
            run_id=job.run_id,
        )
        book.add(Entry(states=tuple(states)))
        with session_scope(job.sessions) as session:
            job.fence(session)
            job.counts = recording.held_page(session, book, run_id=job.run_id, counts=job.counts)
        job.after_page()
