"""Which runs wait for an admin (app.repositories.runs.waiting_for_approval),
on SQLite and PostgreSQL: exactly the runs approval itself would take
(app.runs.persetujuan.waits) that no admin has decided on, over every
combination of kind, status, held OPDs and decision. A run stopped after the
guard held its writes is among them: /api/v1/status lists it, and the pages
say its OPDs wait."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from app.db import session_scope
from app.models import RunStatus, SyncRun, Trigger, utcnow
from app.repositories import runs
from app.runs import persetujuan
from app.web import tindak_lanjut

TAHUN, TAHAP = 2026, "renja"
HELD = {"1.02.0.00.0.00.01.0000": "8 dari 18 data dinonaktifkan (44,4%), ambang 10%"}
VALID = timedelta(hours=24)


def grid(sessions: sessionmaker[Session]) -> dict[int, dict[str, Any]]:
    """One run per combination; returns id → what it was made as."""
    made: dict[int, dict[str, Any]] = {}
    now = utcnow()
    combinations = itertools.product(
        (False, True),  # pratinjau
        list(RunStatus),
        (None, {}, HELD),  # ditahan: never set, set to nothing, holding one OPD
        (None, "ditolak"),  # keputusan
        (timedelta(hours=1), timedelta(hours=30)),  # how long ago it finished
        (TAHAP, "rkpd"),
    )
    with session_scope(sessions) as session:
        for pratinjau, status, ditahan, keputusan, ago, tahap in combinations:
            run = runs.create(session, tahun_anggaran=TAHUN, tahap=tahap, full=True,
                              trigger=Trigger.API, pratinjau=pratinjau)  # fmt: skip
            run.status = status
            run.ditahan = ditahan
            run.keputusan = keputusan
            run.finished_at = now - ago
            session.flush()
            made[run.id] = {"pratinjau": pratinjau, "tahap": tahap, "ago": ago}
    return made


def expected(session: Session, made: dict[int, dict[str, Any]], **only: Any) -> list[int]:
    """By the rule: approval takes it, nobody decided, a preview still valid."""
    ids = []
    for run_id, how in sorted(made.items(), reverse=True):
        run = session.get(SyncRun, run_id)
        assert run is not None
        if only.get("tahap") not in (None, how["tahap"]):
            continue
        if run.pratinjau and (only.get("no_previews") or how["ago"] > VALID):
            continue
        if persetujuan.waits(run) and run.keputusan is None:
            ids.append(run_id)
    return ids


def test_the_runs_that_wait_are_the_ones_approval_takes(
    session_factory: sessionmaker[Session],
) -> None:
    made = grid(session_factory)
    since = utcnow() - VALID
    with session_scope(session_factory) as session:
        found = [r.id for r in runs.waiting_for_approval(session, previews_since=since)]
        rule = expected(session, made)
        in_scope = [
            r.id
            for r in runs.waiting_for_approval(
                session, previews_since=None, tahun_anggaran=TAHUN, tahap=TAHAP
            )
        ]
        rule_in_scope = expected(session, made, tahap=TAHAP, no_previews=True)
    assert found == rule
    assert in_scope == rule_in_scope
    # The rule is not empty on any side: held, stopped after holding, previews.
    with session_scope(session_factory) as session:
        kinds = {
            (run.pratinjau, run.status) for run in (session.get_one(SyncRun, i) for i in found)
        }
    assert (False, RunStatus.HELD) in kinds
    assert (False, RunStatus.INTERRUPTED) in kinds and (False, RunStatus.FAILED) in kinds
    assert (True, RunStatus.SUCCEEDED) in kinds


def test_the_pages_name_the_opds_of_a_run_stopped_after_the_guard_held_them(
    session_factory: sessionmaker[Session],
) -> None:
    with session_scope(session_factory) as session:
        run = runs.create(session, tahun_anggaran=TAHUN, tahap=TAHAP, full=True,
                          trigger=Trigger.SCHEDULE)  # fmt: skip
        run.status, run.ditahan, run.finished_at = RunStatus.INTERRUPTED, HELD, utcnow()
        session.flush()
        run_id = run.id
    with session_scope(session_factory) as session:
        scope = {"tahun_anggaran": TAHUN, "tahap": TAHAP, "berlaku_jam": 24}
        shown = tindak_lanjut.ditahan(session, opd=None, **scope)
        other_opd = tindak_lanjut.ditahan(
            session, opd=frozenset({"2.07.0.00.0.00.01.0000"}), **scope
        )
    assert [(d.run_id, d.kode_skpd, d.penghalang) for d in shown] == [(run_id, tuple(HELD), None)]
    assert other_opd == []
