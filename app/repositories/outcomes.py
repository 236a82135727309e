"""Per-record outcomes of a run. One row per (run, source id): a later copy of the
same id in the same run replaces the earlier row, so nothing is counted twice."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from app.models import Outcome, RecordOutcome, utcnow
from app.repositories.upsert import upsert


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


_FIELDS = tuple(f.name for f in fields(OutcomeRow))


def save(session: Session, run_id: int, rows: Iterable[OutcomeRow]) -> None:
    """Insert outcomes; a source id already recorded in this run is replaced."""
    now = utcnow()
    # A shallow copy per row: dataclasses.asdict deep-copies every list in it.
    values = {
        row.source_id: {
            **{name: getattr(row, name) for name in _FIELDS},
            "run_id": run_id,
            "recorded_at": now,
        }
        for row in rows
    }
    columns = [name for name in _FIELDS if name != "source_id"]
    upsert(
        session,
        RecordOutcome,
        list(values.values()),
        keys=("run_id", "source_id"),
        update=[*columns, "recorded_at"],
    )


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
    session: Session,
    run_id: int,
    *,
    outcome: str | None = None,
    after_id: int | None = None,
    limit: int | None = None,
    opd: frozenset[str] | None = None,
) -> Sequence[RecordOutcome]:
    """Outcomes of a run in the order they were recorded (paged by id); with
    ``opd``, only the records of those OPDs."""
    stmt = select(RecordOutcome).where(RecordOutcome.run_id == run_id)
    if opd is not None:
        stmt = stmt.where(RecordOutcome.kode_skpd.in_(sorted(opd)))
    if outcome is not None:
        stmt = stmt.where(RecordOutcome.outcome == outcome)
    if after_id is not None:
        stmt = stmt.where(RecordOutcome.id > after_id)
    stmt = stmt.order_by(RecordOutcome.id)
    if limit is not None:
        stmt = stmt.limit(limit)
    return session.scalars(stmt).all()


def recorded(session: Session, run_id: int, source_ids: Iterable[str]) -> dict[str, str]:
    """The outcome this run recorded so far for each of these source ids."""
    ids = sorted(set(source_ids))
    found: dict[str, str] = {}
    for start in range(0, len(ids), 500):
        rows = session.execute(recorded_query(run_id, ids[start : start + 500]))
        found.update({source_id: outcome for source_id, outcome in rows})
    return found


def recorded_query(run_id: int, source_ids: Sequence[str]) -> Select[str, str]:
    """The statement :func:`recorded` runs for each chunk of ids, once per page."""
    return select(RecordOutcome.source_id, RecordOutcome.outcome).where(
        RecordOutcome.run_id == run_id, RecordOutcome.source_id.in_(source_ids)
    )
