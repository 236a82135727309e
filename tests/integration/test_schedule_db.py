"""The scheduler against a real database, with a clock the test moves by hand."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import datetime, timedelta
from itertools import chain
from pathlib import Path
from textwrap import dedent
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from app.db import session_scope
from app.models import RunStatus, SyncRun
from app.runs import schedule as schedule_module
from app.runs.schedule import WIB, Schedule, Scheduler, create_scheduled_run

ROOT = Path(__file__).resolve().parents[2]
SCOPES = "2026:renja,2026:apbd"


def wib(*args: int) -> datetime:
    return datetime(*args, tzinfo=WIB)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def make_scheduler(
    factory: sessionmaker[Session],
    clock: Clock,
    *,
    scopes: str = SCOPES,
    on_created: list[list[int]] | None = None,
) -> Scheduler:
    return Scheduler(
        schedule=Schedule.from_text("0 1 * * *", scopes),
        session_factory=factory,
        clock=clock,
        on_created=None if on_created is None else on_created.append,
    )


def scheduled_runs(factory: sessionmaker[Session]) -> list[tuple[int, str, datetime | None]]:
    with session_scope(factory) as session:
        rows = session.execute(
            select(SyncRun.tahun_anggaran, SyncRun.tahap, SyncRun.scheduled_for)
            .where(SyncRun.trigger == "schedule")
            .order_by(SyncRun.scheduled_for, SyncRun.id)
        )
        return [(row.tahun_anggaran, row.tahap, row.scheduled_for) for row in rows]


def seed_fire(factory: sessionmaker[Session], due: datetime, scopes: str = SCOPES) -> None:
    """What an earlier process left behind after firing ``due``."""
    for scope in Schedule.from_text("0 1 * * *", scopes).scopes:
        with session_scope(factory) as session:
            create_scheduled_run(session, scope, scheduled_for=due)


def fire_of(due: datetime, scopes: str = SCOPES) -> list[tuple[int, str, datetime]]:
    return [(tahun, tahap, due) for tahun, tahap in Schedule.from_text("* * * * *", scopes).scopes]


# -- one process --------------------------------------------------------------------------


def test_fires_at_the_cron_time_once_per_scope(session_factory: sessionmaker[Session]) -> None:
    clock = Clock(wib(2026, 11, 29, 0, 30))
    calls: list[list[int]] = []
    scheduler = make_scheduler(session_factory, clock, on_created=calls)
    assert scheduler.tick() == []  # first tick of a new install: the baseline

    clock.now = wib(2026, 11, 29, 0, 59, 59)
    assert scheduler.tick() == []
    assert scheduled_runs(session_factory) == []

    clock.now = wib(2026, 11, 29, 1, 0)
    ids = scheduler.tick()
    assert len(ids) == 2
    assert calls == [ids]
    due = wib(2026, 11, 29, 1, 0)
    assert scheduled_runs(session_factory) == fire_of(due)
    with session_scope(session_factory) as session:
        for run_id in ids:
            run = session.get(SyncRun, run_id)
            assert run is not None
            assert run.status == RunStatus.PENDING
            # Full: only a full comparison sees what planners did in E-Planning
            # (docs/design.md, promise 10).
            assert (run.trigger, run.triggered_by, run.full) == (
                "schedule",
                "sistem-terjadwal",
                True,
            )
            assert run.kode_skpd is None
            assert run.scheduled_for == due
            assert run.scheduled_for is not None and run.scheduled_for.utcoffset() == timedelta(0)

    for later in (wib(2026, 11, 29, 1, 0, 30), wib(2026, 11, 29, 13, 0), wib(2026, 11, 30, 0, 59)):
        clock.now = later
        assert scheduler.tick() == []
    assert calls == [ids]
    assert len(scheduled_runs(session_factory)) == 2

    clock.now = wib(2026, 11, 30, 1, 0, 7)  # a tick a few seconds late still fires
    assert len(scheduler.tick()) == 2
    assert scheduled_runs(session_factory) == fire_of(due) + fire_of(wib(2026, 11, 30, 1, 0))


def test_a_missed_schedule_runs_once_when_the_service_comes_back(
    session_factory: sessionmaker[Session],
) -> None:
    seed_fire(session_factory, wib(2026, 11, 29, 1, 0))
    # Down for three days: 30 Nov, 1 Dec and 2 Dec 01:00 were missed.
    clock = Clock(wib(2026, 12, 2, 9, 15))
    scheduler = make_scheduler(session_factory, clock)
    ids = scheduler.tick()
    assert len(ids) == 2
    assert scheduled_runs(session_factory) == fire_of(wib(2026, 11, 29, 1, 0)) + fire_of(
        wib(2026, 12, 2, 1, 0)
    )
    clock.now += timedelta(minutes=1)
    assert scheduler.tick() == []
    clock.now = wib(2026, 12, 3, 1, 0)
    assert len(scheduler.tick()) == 2
    assert len(scheduled_runs(session_factory)) == 6


def test_back_before_the_next_cron_time_fires_nothing(
    session_factory: sessionmaker[Session],
) -> None:
    seed_fire(session_factory, wib(2026, 11, 29, 1, 0))
    scheduler = make_scheduler(session_factory, Clock(wib(2026, 11, 29, 14, 0)))
    assert scheduler.tick() == []
    assert len(scheduled_runs(session_factory)) == 2


def test_a_brand_new_install_waits_for_the_next_cron_time(
    session_factory: sessionmaker[Session],
) -> None:
    # Installed at 09:00 WIB: today's 01:00 is before the install and does not run.
    clock = Clock(wib(2026, 11, 29, 9, 0))
    scheduler = make_scheduler(session_factory, clock)
    assert scheduler.tick() == []
    clock.now = wib(2026, 11, 30, 0, 59, 59)
    assert scheduler.tick() == []
    assert scheduled_runs(session_factory) == []
    clock.now = wib(2026, 11, 30, 1, 0)
    assert len(scheduler.tick()) == 2
    assert scheduled_runs(session_factory) == fire_of(wib(2026, 11, 30, 1, 0))


def test_manual_runs_do_not_count_as_a_firing(session_factory: sessionmaker[Session]) -> None:
    with session_scope(session_factory) as session:
        session.add(
            SyncRun(
                tahun_anggaran=2026,
                tahap="renja",
                full=True,
                trigger="api",
                status=RunStatus.SUCCEEDED,
                outcome_counts={},
                stage_seconds={},
            )
        )
    clock = Clock(wib(2026, 11, 29, 9, 0))
    scheduler = make_scheduler(session_factory, clock)
    assert scheduler.tick() == []  # still a new install as far as the schedule goes
    clock.now = wib(2026, 11, 30, 1, 0)
    assert len(scheduler.tick()) == 2


def test_a_scope_missing_from_the_latest_firing_is_filled_in(
    session_factory: sessionmaker[Session],
) -> None:
    """A process that died between two scopes' transactions, or a scope added to
    SINKRON_SYNC_SCOPES since: the latest firing is completed, once."""
    due = wib(2026, 11, 29, 1, 0)
    seed_fire(session_factory, due, scopes="2026:renja")
    clock = Clock(wib(2026, 11, 29, 9, 0))
    scheduler = make_scheduler(session_factory, clock)
    assert len(scheduler.tick()) == 1
    assert scheduler.tick() == []
    assert scheduled_runs(session_factory) == fire_of(due)


def test_no_scopes_means_no_runs(session_factory: sessionmaker[Session]) -> None:
    seed_fire(session_factory, wib(2026, 11, 28, 1, 0))
    scheduler = make_scheduler(session_factory, Clock(wib(2026, 11, 29, 1, 0)), scopes="")
    assert scheduler.tick() == []
    assert len(scheduled_runs(session_factory)) == 2


def test_next_fire_for_status(session_factory: sessionmaker[Session]) -> None:
    clock = Clock(datetime.fromisoformat("2026-11-28T17:30:00+00:00"))  # 00:30 WIB on the 29th
    scheduler = make_scheduler(session_factory, clock)
    assert scheduler.next_fire() == wib(2026, 11, 29, 1, 0)
    assert scheduler.next_fire().tzinfo is WIB
    assert scheduler.seconds_until_next() == 1800.0
    clock.now = wib(2026, 11, 29, 1, 0)
    assert scheduler.next_fire() == wib(2026, 11, 30, 1, 0)
    assert scheduler.seconds_until_next() == 24 * 3600.0


# -- several processes ---------------------------------------------------------------------


def test_two_schedulers_on_one_database_fire_once(
    session_factory: sessionmaker[Session],
) -> None:
    seed_fire(session_factory, wib(2026, 11, 28, 1, 0))
    clock = Clock(wib(2026, 11, 29, 1, 0))
    first = make_scheduler(session_factory, clock)
    second = make_scheduler(session_factory, clock)
    assert len(first.tick()) == 2
    assert second.tick() == []
    assert first.tick() == [] and second.tick() == []
    assert len(scheduled_runs(session_factory)) == 4


def tick_together(schedulers: list[Scheduler]) -> list[list[int]]:
    barrier = threading.Barrier(len(schedulers))
    results: list[list[int]] = [[] for _ in schedulers]
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = schedulers[index].tick()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(schedulers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


@pytest.mark.parametrize("attempt", range(3))
def test_schedulers_ticking_at_once_from_threads_fire_once(
    session_factory: sessionmaker[Session], attempt: int
) -> None:
    seed_fire(session_factory, wib(2026, 11, 28, 1, 0))
    clock = Clock(wib(2026, 11, 29, 1, 0))
    schedulers = [make_scheduler(session_factory, clock) for _ in range(4)]
    results = tick_together(schedulers)
    assert sum(len(ids) for ids in results) == 2
    assert scheduled_runs(session_factory)[2:] == fire_of(wib(2026, 11, 29, 1, 0))


def test_both_insert_and_the_loser_skips_silently(
    session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Force the worst interleaving: both processes check, both see nothing, both
    insert. The unique (tahun, tahap, scheduled_for) lets one through per scope."""
    seed_fire(session_factory, wib(2026, 11, 28, 1, 0))
    real = schedule_module.scopes_scheduled_at
    barrier = threading.Barrier(2)
    checked: set[int] = set()

    def check_then_wait(session: Session, moment: datetime) -> set[tuple[int, str]]:
        found = real(session, moment)
        if threading.get_ident() not in checked:  # only the check before inserting
            checked.add(threading.get_ident())
            barrier.wait(timeout=10)
        return found

    real_create = schedule_module.create_scheduled_run
    refused: list[IntegrityError] = []

    def create_or_record(session: Session, scope: tuple[int, str], **kwargs: Any) -> SyncRun:
        try:
            return real_create(session, scope, **kwargs)
        except IntegrityError as exc:
            refused.append(exc)
            raise

    monkeypatch.setattr(schedule_module, "scopes_scheduled_at", check_then_wait)
    monkeypatch.setattr(schedule_module, "create_scheduled_run", create_or_record)
    clock = Clock(wib(2026, 11, 29, 1, 0))
    calls: list[list[int]] = []
    first = make_scheduler(session_factory, clock, on_created=calls)
    second = make_scheduler(session_factory, clock, on_created=calls)
    results = tick_together([first, second])

    assert sum(len(ids) for ids in results) == 2
    assert len(refused) == 2  # the losing inserts really happened, and were skipped
    assert sorted(chain.from_iterable(calls)) == sorted(chain.from_iterable(results))
    assert scheduled_runs(session_factory)[2:] == fire_of(wib(2026, 11, 29, 1, 0))


PROCESS = dedent(
    """
    import json, sys
    from datetime import datetime
    from app.db import make_engine, make_session_factory
    from app.runs.schedule import Schedule, Scheduler

    url, scopes, now = sys.argv[1], sys.argv[2], datetime.fromisoformat(sys.argv[3])
    engine = make_engine(url)
    factory = make_session_factory(engine)
    scheduler = Scheduler(
        schedule=Schedule.from_text("0 1 * * *", scopes),
        session_factory=factory,
        clock=lambda: now,
    )
    with engine.connect():
        pass  # connected before the start signal
    print("siap", flush=True)
    sys.stdin.readline()
    print(json.dumps(scheduler.tick()), flush=True)
    engine.dispose()
    """
)


def test_two_service_processes_on_one_database_fire_once(
    database_url: str, session_factory: sessionmaker[Session]
) -> None:
    seed_fire(session_factory, wib(2026, 11, 28, 1, 0))
    now = wib(2026, 11, 29, 1, 0, 2).isoformat()
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", PROCESS, database_url, SCOPES, now],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for process in processes:
            assert process.stdout is not None
            assert process.stdout.readline().strip() == "siap"
        for process in processes:  # start both ticks at once
            assert process.stdin is not None
            process.stdin.write("mulai\n")
            process.stdin.flush()
        outputs = [process.communicate(timeout=60)[0] for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert [process.returncode for process in processes] == [0, 0]
    created = [json.loads(output.strip().splitlines()[-1]) for output in outputs]
    assert sum(len(ids) for ids in created) == 2
    assert scheduled_runs(session_factory)[2:] == fire_of(wib(2026, 11, 29, 1, 0))
