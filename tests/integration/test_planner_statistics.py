"""A large run keeps PostgreSQL's planner statistics current, so a page's
lookups read that page's rows, not every row the run recorded so far."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from sqlalchemy import TextualSelect, insert, text
from sqlalchemy.orm import Session, sessionmaker

from app.db import session_scope
from app.models import EPlanningMirror, Outcome, SourceRecord
from app.repositories import mirror, outcomes, runs
from app.repositories.outcomes import OutcomeRow
from app.repositories.statistics import PlannerStatistics
from app.sync import apply
from app.sync.ledger import Ledger
from app.sync.scope import Scope

RECORDED = 100_000
PAGE = 500


def add_run(factory: sessionmaker[Session]) -> int:
    with session_scope(factory) as session:
        return runs.create(session, tahun_anggaran=2027, tahap="renja", full=True, trigger="cli").id


def counted_now(session: Session) -> None:
    """PostgreSQL reports a session's changed rows at the end of its transaction,
    at most once a second; this makes it report them at this one's end."""
    session.execute(text("SELECT pg_stat_force_next_flush()"))


def record(factory: sessionmaker[Session], run_id: int, ids: list[str]) -> None:
    for start in range(0, len(ids), 1_000):
        with session_scope(factory) as session:
            chunk = ids[start : start + 1_000]
            outcomes.save(
                session, run_id, [OutcomeRow(source_id=i, outcome=Outcome.CREATED) for i in chunk]
            )
            counted_now(session)


def nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from nodes(child)


def explained(factory: sessionmaker[Session], call: Callable[[Session], Any]) -> dict[str, Any]:
    """EXPLAIN ANALYZE of the first statement ``call`` runs, with its parameters."""
    found: list[tuple[Any, Any]] = []

    def keep(stmt: Any, params: Any = None, *_a: Any, **_k: Any) -> Any:
        found.append((stmt, params))
        raise LookupError  # the statement is all this needs

    with factory() as session:
        session.execute = keep  # type: ignore[method-assign]
        with pytest.raises(LookupError):
            call(session)
    stmt, params = found[0]
    with factory() as session:
        if isinstance(stmt, TextualSelect):
            sql = stmt.element.text
        else:
            compiled = stmt.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
            sql, params = str(compiled), {}
        result = session.execute(text(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}"), params or {})
        plan = result.scalar()
    return (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]


def rows_read(factory: sessionmaker[Session], run_id: int, ids: list[str]) -> int:
    """The most rows any step of the page's lookup read, by EXPLAIN ANALYZE."""
    return most_rows(explained(factory, lambda session: outcomes.recorded(session, run_id, ids)))


def most_rows(plan: dict[str, Any]) -> int:
    """The most rows any step of a plan read."""
    return max(
        int(node.get("Actual Rows", 0) * node.get("Actual Loops", 1))
        + int(node.get("Rows Removed by Filter", 0))
        + int(node.get("Rows Removed by Index Recheck", 0))
        for node in nodes(plan)
    )


def reltuples(factory: sessionmaker[Session], table: str) -> float:
    with factory() as session:
        return session.execute(
            text("SELECT reltuples FROM pg_class WHERE oid = CAST(:t AS regclass)"), {"t": table}
        ).scalar_one()


@pytest.mark.fresh_schema  # statistics of an earlier test's rows would stay
def test_postgresql_statistics_follow_each_table_the_run_fills(
    session_factory: sessionmaker[Session],
) -> None:
    statistics = PlannerStatistics(session_factory, first_after=50_000)
    if not statistics.enabled:
        pytest.skip("PostgreSQL only: SQLite's planner needs no statistics")
    run_id = add_run(session_factory)
    ids = [f"{n:07d}" for n in range(2 * RECORDED)]

    record(session_factory, run_id, ids[:40_000])
    statistics.after_page()
    assert statistics.analyses == 0
    assert reltuples(session_factory, "record_outcome") < 0  # never analysed

    record(session_factory, run_id, ids[40_000:RECORDED])
    statistics.after_page()
    assert statistics.analyses == 1  # record_outcome, the one table that grew
    assert reltuples(session_factory, "record_outcome") == RECORDED
    # The last page's lookup seeks its own ids instead of walking the run.
    assert rows_read(session_factory, run_id, ids[RECORDED - PAGE : RECORDED]) <= PAGE

    # The next ANALYZE waits until as many rows changed as the table held.
    record(session_factory, run_id, ids[RECORDED : 2 * RECORDED - 1])
    statistics.after_page()
    assert statistics.analyses == 1
    record(session_factory, run_id, ids[2 * RECORDED - 1 : 2 * RECORDED])
    statistics.after_page()
    assert statistics.analyses == 2
    assert reltuples(session_factory, "record_outcome") == 2 * RECORDED


def test_sqlite_runs_no_analyze(session_factory: sessionmaker[Session]) -> None:
    statistics = PlannerStatistics(session_factory, first_after=10)
    if statistics.enabled:
        pytest.skip("SQLite only")
    run_id = add_run(session_factory)
    with session_scope(session_factory) as session:
        outcomes.save(session, run_id, [OutcomeRow(f"{n}", Outcome.CREATED) for n in range(100)])
    statistics.after_page()
    assert statistics.analyses == 0
    with session_factory() as session:
        stat_tables = text("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
        assert session.execute(stat_tables).all() == []


SCOPE = 3_000


def fill_scope(factory: sessionmaker[Session], run_id: int) -> None:
    """A first full pass of SCOPE records, each also in E-Planning, none analysed."""
    keys = [(f"1.02.0.00.0.00.01.{n % 50:04d}", f"1.02.01.2.01.{n:04d}") for n in range(SCOPE)]
    now = datetime(2026, 12, 1, tzinfo=UTC)
    with session_scope(factory) as session:
        session.execute(insert(SourceRecord), [
            {"tahun_anggaran": 2027, "tahap": "renja", "source_id": f"src-{n}",
             "kode_sub_skpd": s, "kode_sub_kegiatan": k, "aktif": True,
             "source_updated_at": now, "body": "{}", "run_id": run_id}
            for n, (s, k) in enumerate(keys)
        ])  # fmt: skip
        session.execute(insert(EPlanningMirror), [
            {"tahun_anggaran": 2027, "tahap": "renja", "kode_sub_skpd": s,
             "kode_sub_kegiatan": k, "versi": 1, "diperbarui_oleh": "sinkron", "aktif": True,
             "sync_hash": "h", "body": "{}", "read_run_id": run_id}
            for s, k in keys
        ])  # fmt: skip
    record(factory, run_id, [f"src-{n}" for n in range(SCOPE)])


def rows_walked(factory: sessionmaker[Session], run_id: int) -> int:
    """The rows the end of the pass's anti-join went through, by EXPLAIN ANALYZE."""
    plan = explained(factory, lambda session: next(mirror.not_in_eprogram(
        session, tahun_anggaran=2027, tahap="renja", run_ids=[run_id])))  # fmt: skip
    return sum(
        int(node.get("Actual Rows", 0) * node.get("Actual Loops", 1))
        + int(node.get("Rows Removed by Filter", 0))
        + int(node.get("Rows Removed by Join Filter", 0))
        for node in nodes(plan)
    )


@pytest.mark.fresh_schema
def test_the_end_of_a_full_pass_reads_the_scope_once_not_once_per_copy(
    session_factory: sessionmaker[Session],
) -> None:
    """Every copy is spoken for, so nothing is only in E-Planning; what matters is
    how many rows the anti-join walked to find that out."""
    statistics = PlannerStatistics(session_factory)
    if not statistics.enabled:
        pytest.skip("PostgreSQL only: SQLite's planner needs no statistics")
    run_id = add_run(session_factory)
    fill_scope(session_factory, run_id)
    assert reltuples(session_factory, "source_record") < 0  # never analysed

    statistics.before_scope_read()

    assert reltuples(session_factory, "source_record") == SCOPE
    # Each table read about once (a hash anti-join), not the pass's rows for
    # every copy (SCOPE * SCOPE / 2 with an empty table's statistics).
    assert rows_walked(session_factory, run_id) <= 10 * SCOPE


def test_the_apply_stage_lets_the_statistics_follow_each_page_it_records(
    session_factory: sessionmaker[Session],
) -> None:
    """The outcomes of what a run pushes are written at its apply stage, into a
    table the pull left nearly empty: each page recorded there is followed by
    the statistics' check, as each page of the pull is."""
    checked: list[int] = []
    run_id = add_run(session_factory)
    job = apply.Applying(
        run_id=run_id, scope=Scope(2027, "renja", (), True), sessions=session_factory,
        eplanning=cast(Any, None), outage=cast(Any, None), rules=cast(Any, None),
        nomenklatur=None, page_size=1_000, fence=lambda _session: None,
        check_stop=lambda: None, after_page=lambda: checked.append(run_id),
    )  # fmt: skip
    page = apply._Page(rows=[], writes=[], by_source={}, known=cast(Any, None), book=Ledger())
    apply._record(job, page, True, {})
    apply._record(job, page, True, {})
    assert checked == [run_id, run_id]
