"""One run at a time, across processes and replicas (docs/design.md, promise 4).

A row of ``lease`` names the process holding an exclusive job ("sync") and until
when. Taking the lease is one atomic ``UPDATE … WHERE <free>``, so of two
processes racing for it exactly one wins, on SQLite as on PostgreSQL. Every
acquisition increments ``token``: the fencing token. The holder calls
:func:`renew` inside each transaction that writes on the lease's behalf; when
another process has taken the lease meanwhile, the token no longer matches,
:func:`renew` raises :class:`LeaseLost` and the whole transaction rolls back, so
a stale holder's writes change nothing.

All times are aware datetimes (UTC); the caller passes ``now`` so tests control
the clock.
"""

from __future__ import annotations

import os
import secrets
import socket
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from app.models import Lease, RunStatus, Stage, SyncRun
from app.repositories import runs
from app.repositories.upsert import affected, insert_missing
from app.sync.progress import Superseded

SYNC = "sync"
INTERRUPTED_MESSAGE = (
    "proses yang menjalankan run ini berhenti; run berikutnya melanjutkan dari checkpoint"
)


class LeaseLost(Superseded):
    """Our token is no longer the current one: stop writing."""


# Drawn once per process: a container restarted with the same hostname and pid
# is still a different holder, and sees its predecessor as dead at once.
_INCARNATION = secrets.token_hex(4)


def _started(pid: int) -> str | None:
    """When the kernel started ``pid`` (clock ticks since boot: the 22nd field of
    /proc/<pid>/stat), or None where /proc cannot tell."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: count after its ")".
    fields = stat.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else None


def holder_id() -> str:
    """This process as a lease holder: ``"<hostname>:<pid>:<random>@<start time>"``.

    The start time tells a dead holder from another process that was given its
    pid since: with pids up to 32,768 and every thread taking one, a busy host
    hands out a dead holder's pid again within minutes.
    """
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_INCARNATION}@{_started(pid) or '-'}"


def _parse_holder(holder: str) -> tuple[str, int, str | None] | None:
    """(host, pid, incarnation) of ``host:pid[:incarnation]``; None when unparsable."""
    head, sep, last = holder.rpartition(":")
    if not sep:
        return None
    if last.isdigit():
        return head, int(last), None
    host, sep, pid_text = head.rpartition(":")
    if not sep or not pid_text.isdigit():
        return None
    return host, int(pid_text), last


def _dead_local_holder(holder: str | None) -> bool:
    """True when ``holder`` is a process of this host that no longer exists.

    Holders on other hosts, unparsable holders and processes we may not signal
    count as alive: only the lease's expiry frees those. A holder with our own
    pid but another incarnation is an earlier process that had our pid.
    """
    parsed = _parse_holder(holder) if holder else None
    if parsed is None:
        return False
    host, pid, incarnation = parsed
    if host != socket.gethostname() or pid <= 0:
        # pid 0 would signal our whole process group.
        return False
    drawn, _, started = (incarnation or "").partition("@")
    if pid == os.getpid():
        return incarnation is not None and drawn != _INCARNATION
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        # PermissionError: the pid exists and belongs to someone else.
        return False
    # The pid is in use: by the holder, or by a process (or thread) given it since.
    now_started = _started(pid)
    return started not in ("", "-") and now_started is not None and now_started != started


def is_stale(lease: Lease | None, now: datetime) -> bool:
    """Nobody holds ``lease`` any more: no holder, expired, or a dead pid on this host."""
    if lease is None or lease.holder is None or lease.expires_at is None:
        return True
    if lease.expires_at < now:
        return True
    return _dead_local_holder(lease.holder)


def current(session: Session, name: str = SYNC) -> Lease | None:
    """The lease row as the database has it now (not a cached copy)."""
    return session.scalars(
        select(Lease).where(Lease.name == name).execution_options(populate_existing=True)
    ).one_or_none()


def ensure_row(session: Session, name: str) -> None:
    """Insert the lease row if it is missing; a concurrent insert of it is fine."""
    insert_missing(
        session,
        Lease,
        {"name": name, "holder": None, "token": 0, "acquired_at": None, "expires_at": None},
        keys=["name"],
    )


def acquire(
    session: Session,
    *,
    name: str = SYNC,
    holder: str,
    ttl: timedelta,
    now: datetime,
) -> int | None:
    """Take the lease for ``holder`` and return the new fencing token, or None when
    someone else holds it (a live holder whose lease has not expired).

    The caller commits; until then (PostgreSQL) the row stays locked, and a
    racing acquirer re-checks the condition against our committed row.
    """
    ensure_row(session, name)
    free = [Lease.holder.is_(None), Lease.expires_at.is_(None), Lease.expires_at < now]
    row = current(session, name)
    if row is not None and _dead_local_holder(row.holder):
        # Take it over only if that dead holder is still the one recorded: the
        # UPDATE stays atomic even when a third process got there first.
        free.append(Lease.holder == row.holder)
    result = session.execute(
        update(Lease)
        .where(Lease.name == name, or_(*free))
        .values(
            holder=holder,
            token=Lease.token + 1,
            acquired_at=now,
            expires_at=now + ttl,
        )
        .returning(Lease.token),
        execution_options={"synchronize_session": False},
    )
    if row is not None:
        session.expire(row)
    return result.scalar_one_or_none()


def renew(
    session: Session,
    *,
    name: str = SYNC,
    token: int,
    ttl: timedelta,
    now: datetime,
) -> None:
    """Extend our lease; raise :class:`LeaseLost` when ``token`` is no longer current.

    Also the fence: call it inside every transaction that writes for the lease,
    so the writes commit only while the token is still ours. On PostgreSQL the
    lease row then stays locked until that transaction ends, so nobody can take
    the lease between the check and the commit.
    """
    result = session.execute(
        update(Lease)
        .where(Lease.name == name, Lease.token == token, Lease.holder.is_not(None))
        .values(expires_at=now + ttl),
        execution_options={"synchronize_session": False},
    )
    if affected(result) != 1:
        raise LeaseLost(f"lease {name!r}: token {token} bukan lagi pemegang yang sah")


def release(session: Session, *, name: str = SYNC, token: int) -> None:
    """Give the lease up; nothing happens when it was already lost."""
    session.execute(
        update(Lease)
        .where(Lease.name == name, Lease.token == token)
        .values(holder=None, expires_at=None),
        execution_options={"synchronize_session": False},
    )


def mark_interrupted(session: Session, *, now: datetime, name: str = SYNC) -> list[int]:
    """Runs left ``running`` by a process that no longer holds the lease become
    ``interrupted``; the next run resumes from the checkpoint. Returns their ids.

    A run keeps running while the lease is live and carries its token. Pending
    runs are left alone.
    """
    # Runs first, lease second: a run is claimed in the same transaction that
    # takes the lease, so a run seen `running` here has its lease visible to the
    # later read (PostgreSQL reads each statement at a fresh snapshot).
    candidates = session.execute(
        select(SyncRun.id, SyncRun.lease_token).where(SyncRun.status == RunStatus.RUNNING)
    ).all()
    if not candidates:
        return []
    lease = current(session, name)
    stale = is_stale(lease, now)
    live_token = None if lease is None else lease.token
    interrupted: list[int] = []
    for run_id, run_token in candidates:
        if not stale and run_token is not None and run_token == live_token:
            continue
        # What the run recorded before its process died is its real outcome.
        counts = runs.outcome_counts(session, run_id)
        result = session.execute(
            update(SyncRun)
            .where(
                SyncRun.id == run_id,
                SyncRun.status == RunStatus.RUNNING,
                SyncRun.lease_token.is_not_distinct_from(run_token),
            )
            .values(
                status=RunStatus.INTERRUPTED,
                finished_at=now,
                stage=Stage.SELESAI,
                error=INTERRUPTED_MESSAGE,
                outcome_counts=counts,
                records_pulled=sum(counts.values()),
            ),
            execution_options={"synchronize_session": False},
        )
        if affected(result) == 1:
            interrupted.append(run_id)
    return interrupted
