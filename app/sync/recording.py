"""Write one page's ledger, with the pull position after it, in the page's
transaction (docs/design.md, promises 1 to 3): a crash costs at most that page."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy.orm import Session

from app.mismatches import ditemukan
from app.models import DeadLetterStatus, Outcome, RunStatus, Stage
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
) -> tuple[int, dict[str, int]]:
    """A run's page: its ledger and checkpoint (:func:`record_page`), the copies
    E-Planning sent back into the mirror, and the run's progress. Returns the
    run's distinct source ids pulled and its outcome counts after the page."""
    losers = {loser for loser, _winner in book.superseded}
    before = outcomes.recorded(session, run_id, book.source_ids | losers)
    record_page(
        session,
        book,
        run_id=run_id,
        scope=scope,
        updated_since=start.updated_since,
        next_after=next_after,
        watermark=moved,
        began=start.began,
    )
    mirror.save_written(session, held, run_id=run_id)
    pulled += len(book.source_ids - before.keys())
    runs.set_progress(
        session, run_id, stage=Stage.TARIK, records_pulled=pulled, stage_seconds=dict(timings)
    )
    return pulled, counted(counts, before, book)


def finish(
    session: Session,
    run_id: int,
    scope: Scope,
    status: RunStatus,
    error: str | None,
    *,
    pulled: int,
    timings: Mapping[str, float],
) -> tuple[RunStatus, str | None, dict[str, int]]:
    """The run's end: its counts, checked against what it pulled, and one point of
    the planners' trend when it got to its end. Returns the status, error and
    counts as recorded."""
    counts = runs.outcome_counts(session, run_id)
    recorded = sum(counts.values())
    if recorded != pulled and status is not RunStatus.FAILED:
        # docs/design.md, promise 1: a run whose counts do not add up is a failed run.
        status = RunStatus.FAILED
        error = (
            f"jumlah hasil ({recorded}) tidak sama dengan data yang ditarik ({pulled}); "
            f"selisih {recorded - pulled}"
        )
    runs.set_progress(
        session, run_id, stage=Stage.SELESAI, records_pulled=pulled, stage_seconds=dict(timings)
    )
    runs.finish(session, run_id, status=status, counts=counts, error=error)
    if status is not RunStatus.FAILED:
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
        if previous is not None:
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
) -> None:
    """Everything the page left, then the checkpoint past it (a partial run owns none).

    ``began`` is the run that began the pass this run continues (None: this one)."""
    outcomes.save(session, run_id, book.outcomes)
    for loser_id, winner_id in book.superseded:
        outcomes.mark_superseded(session, run_id, loser_id, winner_id)
    push_state.record_writes(session, book.written, run_id=run_id)
    source_records.save(session, book.sources, run_id=run_id)
    settled, rejected = settled_keys(scope, book)
    dead_letter_repo.supersede(session, settled, run_id=run_id)
    dead_letter_repo.supersede(session, rejected, run_id=run_id, status=DeadLetterStatus.REJECTED)
    push_state.note_attempts(session, dict(book.attempts))
    for letter in book.dead_letters:
        dead_letter_repo.add(session, letter)
    ditemukan.record(session, run_id, book.mismatches)
    # Every record the page went through loses the problems it no longer has,
    # whatever its outcome; a record seen twice in one run keeps only what its
    # latest copy has.
    ditemukan.resolve_for_sources(
        session,
        tahun_anggaran=scope.tahun_anggaran,
        tahap=scope.tahap,
        source_ids=book.source_ids,
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
