"""What the service last wrote per natural key, and the idempotency keys it used."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, Table, bindparam, update
from sqlalchemy.orm import Session

from app.models import PushedState, PushKey, utcnow
from app.repositories.natural_keys import rows_for_keys
from app.repositories.upsert import insert_missing_many, upsert
from mappings.eplanning import NaturalKey


def load(session: Session, keys: Iterable[NaturalKey]) -> dict[NaturalKey, Row[Any]]:
    """What the service last wrote for these keys (rows of pushed_state)."""
    return {NaturalKey.of(row): row for row in rows_for_keys(session, PushedState, keys)}


@dataclass(frozen=True)
class Write:
    """A write E-Planning accepted (or already held): what to remember."""

    key: NaturalKey
    content_hash: str
    versi: int
    aktif: bool
    source_id: str | None


def record_writes(session: Session, writes: Iterable[Write], *, run_id: int) -> None:
    now = utcnow()
    rows = {
        w.key: {
            "tahun_anggaran": w.key.tahun_anggaran,
            "tahap": w.key.tahap,
            "kode_sub_skpd": w.key.kode_sub_skpd,
            "kode_sub_kegiatan": w.key.kode_sub_kegiatan,
            "content_hash": w.content_hash,
            "versi": w.versi,
            "aktif": w.aktif,
            "source_id": w.source_id,
            "run_id": run_id,
            "pushed_at": now,
        }
        for w in writes
    }
    upsert(
        session,
        PushedState,
        list(rows.values()),
        keys=("tahun_anggaran", "tahap", "kode_sub_skpd", "kode_sub_kegiatan"),
        update=("content_hash", "versi", "aktif", "source_id", "run_id", "pushed_at"),
    )


def remember_keys(session: Session, keys: Iterable[dict[str, Any]]) -> None:
    """Store idempotency keys (rows of push_key as dicts; columns left out take
    their defaults) before the first attempt, in one statement per 500; a key
    already stored (a retry after a crash) keeps its row."""
    rows = {key["idempotency_key"]: key for key in keys}
    for chunk in _chunks(list(rows.values()), 500):
        insert_missing_many(session, PushKey, chunk, keys=("idempotency_key",))


def _chunks(rows: list[dict[str, Any]], size: int) -> Iterable[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def note_attempts(session: Session, results: dict[str, int]) -> None:
    """Count one more attempt and keep the last status seen for each key (key →
    HTTP status): one UPDATE statement for the page, run for each key."""
    if not results:
        return
    table = PushKey.__table__
    assert isinstance(table, Table)
    stmt = (
        update(table)
        .where(table.c.idempotency_key == bindparam("b_key"))
        .values(attempts=table.c.attempts + 1, last_status=bindparam("b_status"))
    )
    session.execute(stmt, [{"b_key": key, "b_status": status} for key, status in results.items()])
