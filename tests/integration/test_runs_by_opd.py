"""Which runs a key limited to OPDs reads: the ones that covered one of its OPDs,
found by the database the way OpdScope decides it for one run. On SQLite and
PostgreSQL."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from app.access.opd_scope import OpdScope
from app.db import session_scope
from app.models import RunStatus, SyncRun, Trigger
from app.repositories import runs

A, B, C = "1.02.0.00.0.00.01.0000", "2.07.0.00.0.00.01.0000", "1.02.0.00.0.00.01.0001"
# kode_skpd of each run, in the order they are made (None: every OPD).
RUNS: list[tuple[str, ...] | None] = [None, (A,), (B,), (B, A), (C,), ("1.02.0.00.0.00.01.000",)]


def _make(sessions: sessionmaker[Session]) -> dict[int, tuple[str, ...] | None]:
    made = {}
    with session_scope(sessions) as session:
        for kode in RUNS:
            run = runs.create(
                session,
                tahun_anggaran=2026,
                tahap="renja",
                kode_skpd=kode or (),
                full=True,
                trigger=Trigger.API,
            )
            made[run.id] = kode
        session.execute(update(SyncRun).values(status=RunStatus.SUCCEEDED))
    return made


def test_the_database_finds_the_runs_that_covered_a_keys_opds(
    session_factory: sessionmaker[Session],
) -> None:
    made = _make(session_factory)
    for opd in ({A}, {B}, {A, C}, {"1.02.0.00.0.00.01"}, {"1_02.0.00.0.00.01.0000"}, set()):
        scope = OpdScope(frozenset(opd))
        expected = sorted((i for i, kode in made.items() if scope.shows_run(kode)), reverse=True)
        with session_scope(session_factory) as session:
            found = [r.id for r in runs.page(session, limit=50, opd=scope.opd)]
            last = [r.id for r in runs.last_per_scope(session, opd=scope.opd)]
        assert found == expected, opd
        assert last == expected[:1], opd
    # Only the run of every OPD for a code no run names (nor a LIKE wildcard matches).
    assert OpdScope(frozenset({"1_02.0.00.0.00.01.0000"})).shows_run(None)
    with session_scope(session_factory) as session:
        assert len(runs.page(session, limit=50)) == len(RUNS)


def test_a_runs_opd_list_is_cut_to_the_keys_opds() -> None:
    scope = OpdScope(frozenset({A, C}))
    assert scope.cut([B, A]) == [A]
    assert scope.cut(None) is None
    assert OpdScope(None).cut([B, A]) == [B, A]
    assert not scope.shows_run([B]) and scope.shows_run([B, C]) and scope.shows_run(None)
    assert not scope.shows(None) and OpdScope(None).shows(None)
