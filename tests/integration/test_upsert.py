"""Upserts that leave unchanged rows alone (app.repositories.upsert), on SQLite
and PostgreSQL: the rows end as the last row given for each key, and on
PostgreSQL a row found as it is is not even locked."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.db import session_scope
from app.models import SourceRecord
from app.repositories.upsert import upsert
from tests.row_versions import Versions, row_versions, touched

TAHUN, TAHAP = 2026, "renja"
KEYS = ("tahun_anggaran", "tahap", "source_id")
CONTENT = ("kode_sub_skpd", "kode_sub_kegiatan", "aktif", "source_updated_at", "body")


def row(source_id: str, body: str, run_id: int = 1) -> dict[str, Any]:
    return {
        "tahun_anggaran": TAHUN,
        "tahap": TAHAP,
        "source_id": source_id,
        "kode_sub_skpd": "1.02.0.00.0.00.01.0000",
        "kode_sub_kegiatan": "1.02.01.2.01.0001",
        "aktif": True,
        "source_updated_at": datetime(2026, 12, 1, 8, 30, tzinfo=UTC),
        "body": body,
        "run_id": run_id,
    }


def save(sessions: sessionmaker[Session], rows: list[dict[str, Any]]) -> None:
    with session_scope(sessions) as session:
        upsert(session, SourceRecord, rows, keys=KEYS, update=(*CONTENT, "run_id"),
               unless_same=CONTENT)  # fmt: skip


def stored(sessions: sessionmaker[Session]) -> dict[str, tuple[str, int | None]]:
    with session_scope(sessions) as session:
        found = session.execute(
            select(SourceRecord.source_id, SourceRecord.body, SourceRecord.run_id)
        )
        return {source_id: (body, run_id) for source_id, body, run_id in found}


def versions(sessions: sessionmaker[Session]) -> Versions | None:
    with session_scope(sessions) as session:
        return row_versions(session, ("source_record",))


def test_a_key_given_twice_ends_as_its_last_row(session_factory: sessionmaker[Session]) -> None:
    save(session_factory, [row("a", "satu")])

    # The stored row is the last one given: an earlier row of the same key
    # that differs must not be what stays.
    save(session_factory, [row("a", "dua", run_id=2), row("a", "satu", run_id=3)])
    save(session_factory, [row("b", "satu", run_id=2), row("b", "dua", run_id=3)])

    now = stored(session_factory)
    assert {key: body for key, (body, _run) in now.items()} == {"a": "satu", "b": "dua"}
    assert now["b"] == ("dua", 3)


def test_only_the_changed_rows_are_written_across_many_reads(
    session_factory: sessionmaker[Session],
) -> None:
    rows = [row(f"{n:05d}", f"isi {n}") for n in range(1_200)]  # more than one read of 500
    save(session_factory, rows)
    before = versions(session_factory)

    again = [row(f"{n:05d}", f"isi {n}", run_id=2) for n in range(1_200)]
    again[777] = row("00777", "isi baru", run_id=2)
    save(session_factory, [*again, row("99999", "baru", run_id=2)])

    now = stored(session_factory)
    assert len(now) == 1_201
    assert {key for key, (_body, run_id) in now.items() if run_id == 2} == {"00777", "99999"}
    assert now["00777"] == ("isi baru", 2)
    if before is not None:
        after = versions(session_factory)
        assert after is not None
        assert touched(before, after) == {("source_record", "00777"), ("source_record", "99999")}
