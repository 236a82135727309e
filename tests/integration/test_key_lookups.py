"""A page's lookups by natural key (app.repositories.natural_keys): exactly the
rows of those keys, within one run where asked, on SQLite and PostgreSQL; and,
on SQLite, one seek of the key index per key, never a walk of the table."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Table, insert, text
from sqlalchemy.orm import Session, sessionmaker

from app.db import make_engine, session_scope
from app.models import EPlanningMirror, PlanStatus, Rencana, Trigger
from app.repositories import rencana, runs
from app.repositories.natural_keys import _lookup, _Shape, rows_for_keys
from mappings.eplanning import NaturalKey
from tests.conftest import migrated_database

TAHUN, TAHAP = 2026, "renja"
# Every column of the natural key, as SQLite's plan names an index seek on them.
KEY = "tahun_anggaran=? AND tahap=? AND kode_sub_skpd=? AND kode_sub_kegiatan=?"


def key(n: int) -> NaturalKey:
    return NaturalKey(TAHUN, TAHAP, f"1.02.0.00.0.00.01.{n:04d}", f"1.02.01.2.01.{n:04d}")


def plan_row(run_id: int, n: int, status: PlanStatus) -> dict[str, object]:
    k = key(n)
    return {
        "run_id": run_id,
        "source_id": f"src-{run_id}-{n}",
        "source_updated_at": datetime(2026, 1, 1, tzinfo=UTC),
        "tahun_anggaran": k.tahun_anggaran,
        "tahap": k.tahap,
        "kode_skpd": "1.02.0.00.0.00.01.0000",
        "kode_sub_skpd": k.kode_sub_skpd,
        "kode_sub_kegiatan": k.kode_sub_kegiatan,
        "aksi": "create",
        "aktif": True,
        "sync_hash": "h",
        "body": "{}",
        "status": status,
    }


def two_runs(sessions: sessionmaker[Session]) -> tuple[int, int]:
    with session_scope(sessions) as session:
        first, second = (
            runs.create(
                session, tahun_anggaran=TAHUN, tahap=TAHAP, kode_skpd=(), full=True,
                trigger=Trigger.API,
            ).id
            for _ in range(2)
        )  # fmt: skip
        rows = [plan_row(first, n, PlanStatus.TERTUNDA) for n in range(300)]
        rows += [plan_row(second, n, PlanStatus.TERTUNDA) for n in range(0, 300, 3)]
        session.execute(insert(Rencana), rows)
    return first, second


def test_a_runs_own_rows_of_the_keys_asked_and_only_the_columns_asked(
    session_factory: sessionmaker[Session],
) -> None:
    first, second = two_runs(session_factory)
    # 250 keys, some the run never planned.
    wanted = [key(n) for n in range(50, 300)] + [key(n) for n in range(1000, 1010)]
    with session_scope(session_factory) as session:
        mine = list(rows_for_keys(session, Rencana, wanted, within=("run_id", second)))
        slim = list(
            rows_for_keys(session, Rencana, wanted, within=("run_id", first), columns=("id",))
        )
        every = list(rows_for_keys(session, Rencana, wanted))
    assert sorted(NaturalKey.of(r) for r in mine) == [key(n) for n in range(51, 300, 3)]
    assert {r.run_id for r in mine} == {second}
    assert len(slim) == 250 and all(r._fields == ("id",) for r in slim)
    assert len(every) == 250 + len(range(51, 300, 3))


def test_a_key_decided_again_in_the_same_run_replaces_only_that_runs_row(
    session_factory: sessionmaker[Session],
) -> None:
    first, second = two_runs(session_factory)
    with session_scope(session_factory) as session:
        rencana.save(session, [plan_row(second, 3, PlanStatus.TERTUNDA)])
        mine = rows_for_keys(session, Rencana, [key(3)], within=("run_id", second))
        first_run = rows_for_keys(session, Rencana, [key(3)], within=("run_id", first))
        statuses = sorted(r.status for r in mine)
        untouched = [r.status for r in first_run]
    assert statuses == [PlanStatus.DIGANTIKAN, PlanStatus.TERTUNDA]
    assert untouched == [PlanStatus.TERTUNDA]


@pytest.mark.parametrize(
    ("table", "within", "seek"),
    [
        (EPlanningMirror.__table__, None, f"INDEX sqlite_autoindex_eplanning_mirror_1 ({KEY})"),
        (Rencana.__table__, "run_id", f"INDEX ix_rencana_run_key (run_id=? AND {KEY})"),
    ],
)
def test_sqlite_seeks_the_key_index_once_per_key(
    tmp_path: Path, table: Table, within: str | None, seek: str
) -> None:
    statement = _lookup(_Shape(table, within, ("tahap",)))
    with migrated_database("sqlite", tmp_path) as url:
        engine = make_engine(url)
        with engine.connect() as conn:
            plan = conn.execute(
                text(f"EXPLAIN QUERY PLAN {statement.element.text}"), {"w": 1, "keys": "[]"}
            )
            details = " | ".join(str(row[-1]) for row in plan)
        engine.dispose()
    # The keys are walked (a virtual table, so a scan of them), each seeking the index.
    assert details.startswith("SCAN k VIRTUAL TABLE"), details
    assert details.count(f"SEARCH {table.name} USING") == 1, details
    assert details.count(seek) == 1, details
    assert f"SCAN {table.name}" not in details, details


def test_one_statement_answers_any_number_of_keys(
    session_factory: sessionmaker[Session],
) -> None:
    """No chunking and no limit of the driver's parameters: 1,500 keys, one
    statement, the rows of exactly those keys (also a key asked twice)."""
    first, _second = two_runs(session_factory)
    wanted = [key(n) for n in range(-600, 900)] + [key(7)]
    with session_scope(session_factory) as session:
        found = list(rows_for_keys(session, Rencana, wanted, within=("run_id", first)))
    assert sorted(NaturalKey.of(r) for r in found) == [key(n) for n in range(300)]
