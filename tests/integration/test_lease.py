"""The sync lease and its fencing token (docs/design.md, promise 4), on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.db import session_scope
from app.models import Lease, Outcome, RunStatus, SyncRun
from app.repositories import outcomes
from app.repositories.outcomes import OutcomeRow
from app.runs import lease
from app.runs.lease import LeaseLost

T0 = datetime(2026, 11, 29, 18, 0, tzinfo=UTC)
TTL = timedelta(minutes=2)
# Holders on another host: only expiry frees their lease, whatever their pid.
A = "replika-a:101"
B = "replika-b:202"


def acquire(factory: sessionmaker[Session], holder: str, now: datetime = T0) -> int | None:
    with session_scope(factory) as session:
        return lease.acquire(session, holder=holder, ttl=TTL, now=now)


def current(factory: sessionmaker[Session]) -> Lease | None:
    with session_scope(factory) as session:
        return lease.current(session)


def dead_local_holder() -> str:
    child = subprocess.Popen(["true"])
    child.wait()
    return f"{socket.gethostname()}:{child.pid}"


def add_run(
    factory: sessionmaker[Session], *, status: str, token: int | None, holder: str | None = None
) -> int:
    with session_scope(factory) as session:
        run = SyncRun(
            tahun_anggaran=2026,
            tahap="renja",
            full=False,
            trigger="api",
            status=status,
            holder=holder,
            lease_token=token,
            outcome_counts={},
            stage_seconds={},
        )
        session.add(run)
        session.flush()
        return run.id


def running_run() -> SyncRun:
    """What a holder writes while it believes it holds the lease."""
    return SyncRun(
        tahun_anggaran=2026,
        tahap="renja",
        full=False,
        trigger="api",
        status=RunStatus.RUNNING,
        outcome_counts={},
        stage_seconds={},
    )


def run_count(factory: sessionmaker[Session]) -> int:
    with session_scope(factory) as session:
        return session.scalar(select(func.count()).select_from(SyncRun)) or 0


def race(n: int, action: Callable[[], object]) -> list[object]:
    """Run ``action`` from ``n`` threads released at the same instant."""
    barrier = threading.Barrier(n)
    results: list[object] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(action())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert len(results) == n
    return results


# -- acquire / renew / release ---------------------------------------------------------


def test_acquire_gives_a_token_and_records_the_holder(
    session_factory: sessionmaker[Session],
) -> None:
    assert current(session_factory) is None
    token = acquire(session_factory, A)
    assert token == 1
    row = current(session_factory)
    assert row is not None
    assert (row.holder, row.token) == (A, 1)
    assert row.acquired_at == T0
    assert row.expires_at == T0 + TTL
    assert not lease.is_stale(row, T0 + TTL - timedelta(seconds=1))


def test_nobody_else_acquires_a_valid_lease(session_factory: sessionmaker[Session]) -> None:
    assert acquire(session_factory, A) == 1
    assert acquire(session_factory, B, T0 + TTL - timedelta(seconds=1)) is None
    assert acquire(session_factory, B, T0 + TTL) is None  # expires_at itself is still valid
    # Not re-entrant either: a holder that wants more time renews.
    assert acquire(session_factory, A, T0 + timedelta(seconds=1)) is None
    row = current(session_factory)
    assert row is not None
    assert (row.holder, row.token, row.expires_at) == (A, 1, T0 + TTL)


def test_an_expired_lease_goes_to_the_next_holder_with_a_larger_token(
    session_factory: sessionmaker[Session],
) -> None:
    assert acquire(session_factory, A) == 1
    later = T0 + TTL + timedelta(seconds=1)
    assert lease.is_stale(current(session_factory), later)
    assert acquire(session_factory, B, later) == 2
    row = current(session_factory)
    assert row is not None
    assert (row.holder, row.token, row.acquired_at, row.expires_at) == (B, 2, later, later + TTL)


def test_renew_extends_the_lease_of_the_current_token(
    session_factory: sessionmaker[Session],
) -> None:
    token = acquire(session_factory, A)
    assert token is not None
    later = T0 + timedelta(minutes=1)
    with session_scope(session_factory) as session:
        lease.renew(session, token=token, ttl=TTL, now=later)
    row = current(session_factory)
    assert row is not None
    assert (row.holder, row.token, row.expires_at) == (A, token, later + TTL)
    # So B, arriving after the original expiry, still finds it taken.
    assert acquire(session_factory, B, T0 + TTL + timedelta(seconds=1)) is None


def test_a_stale_holders_writes_roll_back_when_renew_fences_them(
    session_factory: sessionmaker[Session],
) -> None:
    old = acquire(session_factory, A)
    assert old == 1
    later = T0 + TTL + timedelta(seconds=1)
    assert acquire(session_factory, B, later) == 2

    with pytest.raises(LeaseLost), session_scope(session_factory) as session:
        # A page of the stale holder: its writes and the fence in one transaction.
        session.add(running_run())
        session.flush()
        lease.renew(session, token=old, ttl=TTL, now=later)

    assert run_count(session_factory) == 0  # the stale write changed nothing
    row = current(session_factory)
    assert row is not None
    assert (row.holder, row.token, row.expires_at) == (B, 2, later + TTL)


def test_renew_after_release_is_lost(session_factory: sessionmaker[Session]) -> None:
    token = acquire(session_factory, A)
    assert token is not None
    with session_scope(session_factory) as session:
        lease.release(session, token=token)
    with pytest.raises(LeaseLost), session_scope(session_factory) as session:
        lease.renew(session, token=token, ttl=TTL, now=T0)


def test_renew_holds_off_a_new_holder_until_the_page_commits(
    session_factory: sessionmaker[Session],
) -> None:
    """The fence serialises: a page that renewed in time commits before anyone
    else can take the lease, and the would-be taker then finds it still held."""
    token = acquire(session_factory, A)
    assert token is not None
    renewed = threading.Event()
    taken: list[int | None] = []

    def taker() -> None:
        renewed.wait(10)
        # By the committed row, A's lease expired a second ago.
        taken.append(acquire(session_factory, B, T0 + TTL + timedelta(seconds=1)))

    thread = threading.Thread(target=taker)
    thread.start()
    with session_scope(session_factory) as session:
        lease.renew(session, token=token, ttl=TTL, now=T0 + TTL - timedelta(seconds=1))
        session.add(running_run())
        session.flush()
        renewed.set()
        time.sleep(0.15)  # B is now waiting on the lease row (or the SQLite write lock)
    thread.join(30)

    assert taken == [None]
    assert run_count(session_factory) == 1
    row = current(session_factory)
    assert row is not None
    assert (row.holder, row.token) == (A, token)


def test_release_frees_the_lease_for_the_next_acquire(
    session_factory: sessionmaker[Session],
) -> None:
    token = acquire(session_factory, A)
    assert token == 1
    with session_scope(session_factory) as session:
        lease.release(session, token=token)
    row = current(session_factory)
    assert row is not None
    assert (row.holder, row.expires_at, row.token) == (None, None, 1)
    assert lease.is_stale(row, T0)
    assert acquire(session_factory, B, T0 + timedelta(seconds=1)) == 2


def test_release_with_an_old_token_leaves_the_new_holder_alone(
    session_factory: sessionmaker[Session],
) -> None:
    old = acquire(session_factory, A)
    assert old == 1
    later = T0 + TTL + timedelta(seconds=1)
    assert acquire(session_factory, B, later) == 2
    with session_scope(session_factory) as session:
        lease.release(session, token=old)  # no error: it was already lost
    row = current(session_factory)
    assert row is not None
    assert (row.holder, row.token, row.expires_at) == (B, 2, later + TTL)


# -- dead holders on this host ------------------------------------------------------------


def test_a_dead_pid_on_this_host_is_stale_at_once(session_factory: sessionmaker[Session]) -> None:
    dead = dead_local_holder()
    assert acquire(session_factory, dead) == 1
    row = current(session_factory)
    assert row is not None
    assert row.expires_at is not None and row.expires_at > T0
    assert lease.is_stale(row, T0)
    # The lease has not expired, yet the next holder takes it straight away.
    assert acquire(session_factory, A, T0 + timedelta(seconds=1)) == 2
    row = current(session_factory)
    assert row is not None
    assert (row.holder, row.token) == (A, 2)


def test_live_or_foreign_holders_are_not_stale(session_factory: sessionmaker[Session]) -> None:
    me = lease.holder_id()
    assert me.startswith(f"{socket.gethostname()}:{os.getpid()}:")
    assert acquire(session_factory, me) == 1
    assert not lease.is_stale(current(session_factory), T0)
    assert acquire(session_factory, A, T0 + timedelta(seconds=1)) is None

    # A dead pid, but on another host: we cannot tell, so only expiry frees it.
    foreign = "host-lain:" + dead_local_holder().rpartition(":")[2]
    foreign_lease = Lease(name="sync", holder=foreign, token=1, expires_at=T0 + TTL)
    assert not lease.is_stale(foreign_lease, T0)
    assert lease.is_stale(foreign_lease, T0 + TTL + timedelta(seconds=1))
    assert lease.is_stale(None, T0)


def test_a_restarted_process_with_the_same_host_and_pid_is_another_holder(
    session_factory: sessionmaker[Session],
) -> None:
    # A container restarted with the same hostname and pid: its predecessor's
    # lease is free at once, not after the TTL.
    me = lease.holder_id()
    before_restart = f"{socket.gethostname()}:{os.getpid()}:0123abcd"
    assert me != before_restart
    assert acquire(session_factory, before_restart) == 1
    assert lease.is_stale(current(session_factory), T0)
    assert acquire(session_factory, me, T0 + timedelta(seconds=1)) == 2
    assert not lease.is_stale(current(session_factory), T0 + timedelta(seconds=1))


def test_a_dead_holders_pid_given_to_another_process_is_still_a_dead_holder(
    session_factory: sessionmaker[Session],
) -> None:
    # pids are reused (32,768 of them, threads included): a process alive under
    # the holder's pid but started at another time is not the holder.
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        host = socket.gethostname()
        started = Path(f"/proc/{other.pid}/stat").read_text().rpartition(")")[2].split()[19]
        alive = f"{host}:{other.pid}:0123abcd@{started}"
        reused = f"{host}:{other.pid}:0123abcd@{int(started) - 1}"
        assert not lease.is_stale(Lease(name="sync", holder=alive, expires_at=T0 + TTL), T0)
        assert lease.is_stale(Lease(name="sync", holder=reused, expires_at=T0 + TTL), T0)
        assert acquire(session_factory, reused) == 1
        assert acquire(session_factory, A, T0 + timedelta(seconds=1)) == 2
    finally:
        other.kill()
        other.wait()
    assert lease.is_stale(Lease(name="sync", holder=alive, expires_at=T0 + TTL), T0)


# -- interrupted runs -----------------------------------------------------------------------


def test_mark_interrupted_only_touches_runs_whose_holder_lost_the_lease(
    session_factory: sessionmaker[Session],
) -> None:
    old = acquire(session_factory, A)
    assert old == 1
    later = T0 + TTL + timedelta(seconds=1)
    live = acquire(session_factory, B, later)
    assert live == 2
    orphan = add_run(session_factory, status=RunStatus.RUNNING, token=old, holder=A)
    carried = add_run(session_factory, status=RunStatus.RUNNING, token=live, holder=B)
    tokenless = add_run(session_factory, status=RunStatus.RUNNING, token=None)
    waiting = add_run(session_factory, status=RunStatus.PENDING, token=None)
    done = add_run(session_factory, status=RunStatus.SUCCEEDED, token=old)

    now = later + timedelta(seconds=5)
    with session_scope(session_factory) as session:
        ids = lease.mark_interrupted(session, now=now)
    assert sorted(ids) == sorted([orphan, tokenless])

    with session_scope(session_factory) as session:
        statuses = {
            row.id: row.status for row in session.execute(select(SyncRun.id, SyncRun.status))
        }
        interrupted = session.get(SyncRun, orphan)
        assert interrupted is not None
        assert interrupted.finished_at == now
        assert interrupted.stage == "selesai"
        assert interrupted.error == lease.INTERRUPTED_MESSAGE
        assert "checkpoint" in (interrupted.error or "")
    assert statuses == {
        orphan: RunStatus.INTERRUPTED,
        carried: RunStatus.RUNNING,
        tokenless: RunStatus.INTERRUPTED,
        waiting: RunStatus.PENDING,
        done: RunStatus.SUCCEEDED,
    }
    # Nothing more to do the second time.
    with session_scope(session_factory) as session:
        assert lease.mark_interrupted(session, now=now) == []


def test_an_interrupted_run_reports_the_outcomes_it_recorded(
    session_factory: sessionmaker[Session],
) -> None:
    old = acquire(session_factory, A)
    orphan = add_run(session_factory, status=RunStatus.RUNNING, token=old, holder=A)
    with session_scope(session_factory) as session:
        outcomes.save(
            session,
            orphan,
            [
                OutcomeRow(str(i), Outcome.CREATED if i < 28 else Outcome.REJECTED)
                for i in range(30)
            ],
        )

    with session_scope(session_factory) as session:
        assert lease.mark_interrupted(session, now=T0 + TTL + timedelta(seconds=1)) == [orphan]

    with session_scope(session_factory) as session:
        run = session.get(SyncRun, orphan)
        assert run is not None
        assert run.outcome_counts == {"created": 28, "rejected": 2}
        assert run.records_pulled == 30


def test_mark_interrupted_when_the_holder_process_died(
    session_factory: sessionmaker[Session],
) -> None:
    dead = dead_local_holder()
    token = acquire(session_factory, dead)
    assert token == 1
    run_id = add_run(session_factory, status=RunStatus.RUNNING, token=token, holder=dead)
    # The lease would still be valid for two minutes, but its process is gone.
    with session_scope(session_factory) as session:
        assert lease.mark_interrupted(session, now=T0 + timedelta(seconds=1)) == [run_id]


def test_mark_interrupted_when_the_lease_expired_or_was_released(
    session_factory: sessionmaker[Session],
) -> None:
    token = acquire(session_factory, A)
    assert token == 1
    run_id = add_run(session_factory, status=RunStatus.RUNNING, token=token, holder=A)
    with session_scope(session_factory) as session:
        assert lease.mark_interrupted(session, now=T0 + timedelta(seconds=1)) == []
    with session_scope(session_factory) as session:
        assert lease.mark_interrupted(session, now=T0 + TTL + timedelta(seconds=1)) == [run_id]

    released = add_run(session_factory, status=RunStatus.RUNNING, token=token, holder=A)
    with session_scope(session_factory) as session:
        lease.release(session, token=token)
    with session_scope(session_factory) as session:
        assert lease.mark_interrupted(session, now=T0) == [released]


def test_mark_interrupted_without_any_lease_row(session_factory: sessionmaker[Session]) -> None:
    run_id = add_run(session_factory, status=RunStatus.RUNNING, token=3, holder=A)
    with session_scope(session_factory) as session:
        assert lease.mark_interrupted(session, now=T0) == [run_id]


# -- races ------------------------------------------------------------------------------------


@pytest.mark.parametrize("before", ["fresh", "released", "dead-holder"])
def test_racing_threads_get_exactly_one_token(
    session_factory: sessionmaker[Session], before: str
) -> None:
    """No row yet (everyone inserts it), a free row, or a row held by a dead process."""
    if before == "released":
        with session_scope(session_factory) as session:
            session.add(Lease(name="sync", token=7))
    elif before == "dead-holder":
        assert acquire(session_factory, dead_local_holder()) == 1
    holders = iter(f"replika-{i}:{i}" for i in range(8))
    lock = threading.Lock()

    def take() -> int | None:
        with lock:
            holder = next(holders)
        return acquire(session_factory, holder, T0 + timedelta(seconds=1))

    results = race(8, take)
    tokens = [token for token in results if token is not None]
    expected = {"fresh": 1, "released": 8, "dead-holder": 2}[before]
    assert tokens == [expected]
    row = current(session_factory)
    assert row is not None
    assert row.token == expected
    assert row.holder is not None and row.holder.startswith("replika-")
