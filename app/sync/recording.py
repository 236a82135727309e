"""Write one page's ledger, with the pull position after it, in the page's
transaction (docs/design.md, promises 1 to 3): a crash costs at most that page."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import Any

from sqlalchemy.orm import Session

from app.mismatches import ditemukan
from app.models import DeadLetterStatus, Outcome, PlanStatus, RunStatus, Stage
from app.repositories import (
    checkpoints,
    mirror,
    outcomes,
    push_state,
    rencana,
    ringkasan,
    runs,
    source_records,
)
from app.repositories import dead_letters as dead_letter_repo
from app.repositories.outcomes import OutcomeRow
from app.sync import standing
from app.sync.ledger import Ledger
from app.sync.push import PlannedWrite
from app.sync.reconcile import RemoteEntry
from app.sync.scope import Scope
from app.sync.watermark import Start, Watermark
from app.vocabulary import Kategori
from mappings.eplanning import NaturalKey


def remember_keys(session: Session, run_id: int, writes: Sequence[PlannedWrite]) -> None:
    """Idempotency keys are durable before the first attempt (docs/design.md, promise 2)."""
    push_state.remember_keys(
        session,
        [
            {
                "idempotency_key": w.operation.idempotency_key,
                "tahun_anggaran": w.key.tahun_anggaran,
                "tahap": w.key.tahap,
                "kode_sub_skpd": w.key.kode_sub_skpd,
                "kode_sub_kegiatan": w.key.kode_sub_kegiatan,
                "op": w.operation.op,
                "content_hash": w.sync_hash,
                "base_versi": w.if_match,
                "first_run_id": run_id,
            }
            for w in writes
        ],
    )


def page_of_run(
    session: Session,
    book: Ledger,
    *,
    run_id: int,
    scope: Scope,
    start: Start,
    next_after: str | None,
    moved: Watermark,
    held: Mapping[NaturalKey, RemoteEntry],
    pulled: int,
    counts: Mapping[str, int],
    timings: Mapping[str, float],
    plan: Sequence[dict[str, Any]] = (),
) -> tuple[int, dict[str, int]]:
    """A run's page: its ledger and checkpoint (:func:`record_page`), the
    writes it decided into the run's plan (pushed at the apply stage), the
    copies E-Planning sent back into the mirror, and the run's progress.
    Returns the run's distinct source ids pulled and its outcome counts after
    the page."""
    losers = {loser for loser, _winner in book.superseded}
    before = outcomes.recorded(session, run_id, book.source_ids | losers)
    before |= _drop_losers(session, run_id, book)
    rencana.save(session, plan)
    record_page(
        session,
        book,
        run_id=run_id,
        scope=scope,
        updated_since=start.updated_since,
        next_after=next_after,
        watermark=moved,
        began=start.began,
        deferred={row["source_id"] for row in plan},
    )
    mirror.save_written(session, held, run_id=run_id)
    pulled += len(book.source_ids - before.keys())
    runs.set_progress(
        session, run_id, stage=Stage.TARIK, records_pulled=pulled, stage_seconds=dict(timings)
    )
    return pulled, counted(counts, before, book)


def _drop_losers(session: Session, run_id: int, book: Ledger) -> dict[str, str]:
    """A copy that lost later in the run to the real record: its write, still
    in the plan, is dropped and the copy counted a duplicate. Returns the
    outcomes that stood for the dropped writes (none: they were not pushed)."""
    winners = dict(book.superseded)
    dropped = rencana.drop_sources(session, run_id, winners)
    outcomes.save(
        session,
        run_id,
        [
            OutcomeRow(
                source_id=row.source_id,
                outcome=Outcome.DUPLICATE,
                source_updated_at=row.source_updated_at,
                kode_skpd=row.kode_skpd,
                kode_sub_skpd=row.kode_sub_skpd,
                kode_sub_kegiatan=row.kode_sub_kegiatan,
                message=f"salinan; digantikan oleh data E-Program id {winners[row.source_id]}",
            )
            for row in dropped
        ],
    )
    # Counted as pulled on their own page, with no outcome yet: for counted(),
    # the duplicate outcome replaces none ("").
    return {row.source_id: "" for row in dropped}


def preview_page(
    session: Session,
    book: Ledger,
    *,
    run_id: int,
    plan: Sequence[dict[str, Any]],
    pulled: int,
    counts: Mapping[str, int],
    timings: Mapping[str, float],
) -> tuple[int, dict[str, int]]:
    """A preview's page: the run's own outcomes and its plan, nothing else (no
    report rows, no record_state, no checkpoint, no source records)."""
    losers = {loser for loser, _winner in book.superseded}
    before = outcomes.recorded(session, run_id, book.source_ids | losers)
    before |= _drop_losers(session, run_id, book)
    outcomes.save(session, run_id, book.outcomes)
    for loser_id, winner_id in book.superseded:
        outcomes.mark_superseded(session, run_id, loser_id, winner_id)
    rencana.save(session, plan)
    pulled += len(book.source_ids - before.keys())
    runs.set_progress(
        session, run_id, stage=Stage.TARIK, records_pulled=pulled, stage_seconds=dict(timings)
    )
    return pulled, counted(counts, before, book)


def applied_page(
    session: Session,
    book: Ledger,
    *,
    run_id: int,
    scope: Scope,
    held: Mapping[NaturalKey, RemoteEntry],
    plan_ids: Sequence[int],
    settle_findings: bool,
    counts: Mapping[str, int],
    timings: Mapping[str, float],
) -> dict[str, int]:
    """A page of the plan pushed: E-Planning's answers (outcomes, push state,
    dead letters, report rows, where each record stands, the mirror) and the
    rows marked pushed, in one transaction. ``settle_findings``: the run also
    pulled these records, so what it did not find again for them is gone.
    Returns the run's outcome counts after the page."""
    before = outcomes.recorded(session, run_id, [row.source_id for row in book.outcomes])
    outcomes.save(session, run_id, book.outcomes)
    push_state.record_writes(session, book.written, run_id=run_id)
    _settle_letters(session, scope, book, run_id)
    ditemukan.record(session, run_id, book.mismatches)
    if settle_findings:
        ditemukan.resolve_for_sources(
            session,
            tahun_anggaran=scope.tahun_anggaran,
            tahap=scope.tahap,
            source_ids=[row.source_id for row in book.outcomes],
            run_id=run_id,
        )
    ringkasan.save_states(session, book.states)
    mirror.save_written(session, held, run_id=run_id)
    rencana.mark(session, plan_ids, PlanStatus.DITERAPKAN, run_id=run_id)
    runs.set_progress(session, run_id, stage=Stage.KIRIM, stage_seconds=dict(timings))
    return counted(counts, before, book)


def held_page(
    session: Session, book: Ledger, *, run_id: int, counts: Mapping[str, int]
) -> dict[str, int]:
    """A page of writes the guard holds: their outcome and where each record
    stands (not in E-Planning as E-Program has it)."""
    before = outcomes.recorded(session, run_id, [row.source_id for row in book.outcomes])
    outcomes.save(session, run_id, book.outcomes)
    ringkasan.save_states(session, book.states)
    return counted(counts, before, book)


def _settle_letters(session: Session, scope: Scope, book: Ledger, run_id: int) -> None:
    settled, rejected = settled_keys(scope, book)
    dead_letter_repo.supersede(session, settled, run_id=run_id)
    dead_letter_repo.supersede(session, rejected, run_id=run_id, status=DeadLetterStatus.REJECTED)
    push_state.note_attempts(session, dict(book.attempts))
    for letter in book.dead_letters:
        dead_letter_repo.add(session, letter)


def finish(
    session: Session,
    run_id: int,
    scope: Scope,
    status: RunStatus,
    error: str | None,
    *,
    pulled: int,
    timings: Mapping[str, float],
    record_trend: bool = True,
    held: bool = False,
) -> tuple[RunStatus, str | None, dict[str, int]]:
    """The run's end: its counts, checked against what it pulled, and one point of
    the planners' trend when it got to its end. Returns the status, error and
    counts as recorded."""
    counts = runs.outcome_counts(session, run_id)
    waiting = rencana.count(session, run_id, PlanStatus.TERTUNDA)
    if waiting:
        # Decided and not pushed (the run stopped before its apply stage ended):
        # they wait in the plan for the next run, which pushes them.
        counts[Outcome.PLANNED] = counts.get(Outcome.PLANNED, 0) + waiting
    recorded = sum(counts.values())
    if recorded != pulled and status is not RunStatus.FAILED:
        # docs/design.md, promise 1: a run whose counts do not add up is a failed run.
        status = RunStatus.FAILED
        error = (
            f"jumlah hasil ({recorded}) tidak sama dengan data yang ditarik ({pulled}); "
            f"selisih {recorded - pulled}"
        )
    if held and status is RunStatus.SUCCEEDED:
        # Every other OPD pushed; the held ones wait for an admin.
        status = RunStatus.HELD
    runs.set_progress(
        session, run_id, stage=Stage.SELESAI, records_pulled=pulled, stage_seconds=dict(timings)
    )
    runs.finish(session, run_id, status=status, counts=counts, error=error)
    if status is not RunStatus.FAILED and record_trend:
        ringkasan.snapshot(
            session, run_id=run_id, tahun_anggaran=scope.tahun_anggaran, tahap=scope.tahap
        )
    return status, error, counts


def counted(counts: Mapping[str, int], before: Mapping[str, str], book: Ledger) -> dict[str, int]:
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
        if previous:  # "": a write that waited in the plan, counted under no outcome
            after[previous] -= 1
    return {outcome: n for outcome, n in after.items() if n}


def only_in_eplanning(session: Session, *, run_id: int, scope: Scope, began: int | None) -> None:
    """A full pass has seen every E-Program record (in this run, and in the
    runs before it that the pass continues): what E-Planning holds active
    beyond them is only there; what was only there before and is no longer
    is settled."""
    for chunk in mirror.not_in_eprogram(
        session,
        tahun_anggaran=scope.tahun_anggaran,
        tahap=scope.tahap,
        run_ids=checkpoints.runs_of_pass(
            session, scope.tahun_anggaran, scope.tahap, began=began or run_id
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


def record_page(
    session: Session,
    book: Ledger,
    *,
    run_id: int,
    scope: Scope,
    updated_since: str | None,
    next_after: str | None,
    watermark: Watermark,
    began: int | None = None,
    deferred: AbstractSet[str] = frozenset(),
) -> None:
    """Everything the page left, then the checkpoint past it (a partial run owns none).

    ``began`` is the run that began the pass this run continues (None: this one).
    ``deferred``: the records whose writes wait in the plan; their problems
    are settled when the writes are pushed (:func:`applied_page`)."""
    outcomes.save(session, run_id, book.outcomes)
    for loser_id, winner_id in book.superseded:
        outcomes.mark_superseded(session, run_id, loser_id, winner_id)
    push_state.record_writes(session, book.written, run_id=run_id)
    source_records.save(session, book.sources, run_id=run_id)
    _settle_letters(session, scope, book, run_id)
    ditemukan.record(session, run_id, book.mismatches)
    # Every record the page went through loses the problems it no longer has,
    # whatever its outcome; a record seen twice in one run keeps only what its
    # latest copy has.
    ditemukan.resolve_for_sources(
        session,
        tahun_anggaran=scope.tahun_anggaran,
        tahap=scope.tahap,
        source_ids=book.source_ids - deferred,
        run_id=run_id,
        found={row.identitas for row in book.mismatches},
    )
    ringkasan.save_states(session, book.states)
    ringkasan.out_of_scope(
        session,
        tahun_anggaran=scope.tahun_anggaran,
        tahap=scope.tahap,
        source_ids=sorted(book.outranked),
    )
    if not scope.partial:
        checkpoints.advance(
            session,
            tahun_anggaran=scope.tahun_anggaran,
            tahap=scope.tahap,
            pass_run_id=began or run_id,
            pass_updated_since=updated_since,
            next_after=next_after,
            watermark=watermark.second,
            watermark_ids=sorted(watermark.ids),
        )


def settled_keys(scope: Scope, book: Ledger) -> tuple[set[NaturalKey], set[NaturalKey]]:
    """Keys this page settled for good, and of those the ones E-Planning rejected."""
    settled = {w.key for w in book.written}
    rejected: set[NaturalKey] = set()
    for row in book.outcomes:
        if row.outcome is Outcome.DEAD_LETTER or not row.kode_sub_skpd:
            continue
        if not row.kode_sub_kegiatan:
            continue
        key = NaturalKey(
            scope.tahun_anggaran, scope.tahap, row.kode_sub_skpd, row.kode_sub_kegiatan
        )
        (rejected if row.outcome is Outcome.REJECTED else settled).add(key)
    return settled - rejected, rejected
