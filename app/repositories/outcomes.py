"""Per-record outcomes of a run. One row per (run, source id): a later copy of the
same id in the same run replaces the earlier row, so nothing is counted twice."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.models import Outcome, RecordOutcome


@dataclass(frozen=True)
class OutcomeRow:
    source_id: str
    outcome: Outcome
    source_updated_at: datetime | None = None
    kode_skpd: str | None = None
    kode_sub_skpd: str | None = None
    kode_sub_kegiatan: str | None = None
    idempotency_key: str | None = None
    versi: int | None = None
    changed_fields: list[str] | None = None
    message: str | None = None


def save(session: Session, run_id: int, rows: Iterable[OutcomeRow]) -> None:
    rows = list(rows)
    if not rows:
        return
    existing = {
        o.source_id: o
        for o in session.scalars(
            select(RecordOutcome).where(
                RecordOutcome.run_id == run_id,
                RecordOutcome.source_id.in_([r.source_id for r in rows]),
            )
        )
    }
    for row in rows:
        target = existing.get(row.source_id)
        if target is None:
            target = RecordOutcome(run_id=run_id, source_id=row.source_id)
            session.add(target)
            existing[row.source_id] = target
        target.outcome = row.outcome
        target.source_updated_at = row.source_updated_at
        target.kode_skpd = row.kode_skpd
        target.kode_sub_skpd = row.kode_sub_skpd
        target.kode_sub_kegiatan = row.kode_sub_kegiatan
        target.idempotency_key = row.idempotency_key
        target.versi = row.versi
        target.changed_fields = row.changed_fields
        target.message = row.message
    session.flush()


def mark_superseded(session: Session, run_id: int, source_id: str, winner_id: str) -> None:
    """An operator's copy lost to the real record later in the same run."""
    session.execute(
        update(RecordOutcome)
        .where(RecordOutcome.run_id == run_id, RecordOutcome.source_id == source_id)
        .values(
            outcome=Outcome.DUPLICATE,
            message=f"salinan; digantikan oleh data E-Program id {winner_id}",
        )
    )


def for_run(
    session: Session, run_id: int, *, outcome: str | None = None
) -> Sequence[RecordOutcome]:
    stmt = select(RecordOutcome).where(RecordOutcome.run_id == run_id)
    if outcome is not None:
        stmt = stmt.where(RecordOutcome.outcome == outcome)
    return session.scalars(stmt.order_by(RecordOutcome.id)).all()
