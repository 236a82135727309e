"""Write one page's ledger, with the pull position after it, in the page's
transaction (docs/design.md, promises 1 to 3): a crash costs at most that page."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from app.mismatches import ditemukan
from app.models import DeadLetterStatus, Outcome
from app.repositories import (
    checkpoints,
    outcomes,
    push_state,
    ringkasan,
    source_records,
)
from app.repositories import dead_letters as dead_letter_repo
from app.sync.ledger import Ledger
from app.sync.push import PlannedWrite
from app.sync.scope import Scope
from app.sync.watermark import Watermark
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
    push_state.note_attempts(session, book.attempts)
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
