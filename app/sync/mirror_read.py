"""Reading E-Planning's copies of a scope into the mirror (table eplanning_mirror),
and what the database knows of a page's keys when the page is decided.

A full run compares everything, so it reads the whole scope first; an
incremental run reads it only while no full read has filled the mirror (a
planner's edit since is answered by 409 versi_berubah at push time). The read
goes a page at a time, each in its own short transaction under the run's lease.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session, sessionmaker

from app.db import session_scope
from app.models import Outcome
from app.repositories import mirror, outcomes, push_state, rencana, source_records
from app.sync.decisions import Known
from app.sync.reconcile import LastWrite, RemoteEntry, compact_json, remote_entry
from app.sync.scope import Scope
from connectors.eplanning import EPlanningClient
from mappings.eplanning import NaturalKey
from mappings.subkegiatan import Mapped, Unmappable

log = logging.getLogger(__name__)


def must_read(sessions: sessionmaker[Session], scope: Scope) -> bool:
    """A full run reads E-Planning's whole scope; an incremental one only an empty mirror."""
    if scope.full:
        return True
    with session_scope(sessions) as session:
        return not mirror.is_filled(session, tahun_anggaran=scope.tahun_anggaran, tahap=scope.tahap)


async def read(
    eplanning: EPlanningClient,
    sessions: sessionmaker[Session],
    *,
    run_id: int,
    scope: Scope,
    fence: Callable[[Session], None],
    check_stop: Callable[[], None],
) -> None:
    """Read E-Planning's copies of the scope into the mirror, a page at a time;
    what the mirror held of the scope and this read did not see is forgotten.

    A copy found exactly as the mirror holds it is not written at all. Every
    copy read is in the mirror after its page, so when the mirror then holds as
    many copies of the scope as were read, it holds just those, and there is
    nothing to forget. Otherwise E-Planning no longer holds some (rare: it
    keeps inactive records): the scope is read once more, each copy marked as
    read by this run, and the rest forgotten."""

    async def read_scope(*, mark: bool) -> int:
        """One read of the scope into the mirror; the copies it put or found there."""
        read_now = 0
        for kode_skpd in scope.kode_skpd or (None,):
            async for items in eplanning.current_pages(
                tahun_anggaran=scope.tahun_anggaran, tahap=scope.tahap, kode_skpd=kode_skpd
            ):
                check_stop()
                with session_scope(sessions) as session:
                    fence(session)
                    read_now += save_page(session, run_id, items, mark=mark)
        return read_now

    read_now = await read_scope(mark=False)
    with session_scope(sessions) as session:
        fence(session)
        held = mirror.count(session, tahun_anggaran=scope.tahun_anggaran, tahap=scope.tahap,
                            kode_skpd=scope.kode_skpd)  # fmt: skip
        if held == read_now:
            mirror.record_read(session, tahun_anggaran=scope.tahun_anggaran, tahap=scope.tahap,
                               kode_skpd=scope.kode_skpd, run_id=run_id)  # fmt: skip
            return
    log.info(
        "mirror E-Planning memuat %s data, pembacaan menemukan %s: dibaca sekali lagi untuk "
        "melupakan yang tidak lagi ada di E-Planning",
        held,
        read_now,
    )
    await read_scope(mark=True)
    with session_scope(sessions) as session:
        fence(session)
        mirror.forget_unread(
            session,
            tahun_anggaran=scope.tahun_anggaran,
            tahap=scope.tahap,
            kode_skpd=scope.kode_skpd,
            run_id=run_id,
        )


def save_page(session: Session, run_id: int, items: list[dict[str, Any]], *, mark: bool) -> int:
    """One page of E-Planning's copies into the mirror. A copy exactly as the
    mirror holds it (E-Planning sent the same JSON) is left as it is (with
    ``mark``, only marked as read by this run): validating and hashing it again
    would give what the row already says. Returns how many copies of the page
    the mirror now holds as read (an unreadable one is not among them)."""
    sent: dict[NaturalKey, tuple[dict[str, Any], str]] = {}
    for item in items:
        try:
            sent[NaturalKey.of(item)] = (item, compact_json(item))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            log.warning("data E-Planning tanpa kunci yang terbaca, dilewati: %r", exc)
    held = mirror.load(session, sent)
    entries: dict[NaturalKey, RemoteEntry] = {}
    same: list[NaturalKey] = []
    for key, (item, raw) in sent.items():
        old = held.get(key)
        if old is not None and old.raw == raw:
            same.append(key)
            continue
        try:
            entries[key] = remote_entry(item)
        except ValueError as exc:
            log.warning("data E-Planning tidak terbaca, dilewati: %s", exc)
    mirror.save_read(session, entries, run_id=run_id)
    if mark:
        mirror.mark_read(session, same, run_id=run_id)
    return len(same) + len(entries)


def known(
    sessions: sessionmaker[Session],
    run_id: int,
    results: list[Mapped | Unmappable],
    *,
    preview: bool = False,
) -> tuple[Known, list[Row[Any]]]:
    """What the database knows of a page's keys, in one short transaction:
    E-Planning's copies (the mirror), what the service last wrote, and the
    E-Program copies kept under each key (this run's earlier pages included),
    which come back as they are for the copies earlier runs kept. A preview
    keeps no source records: its earlier pages' copies are in its plan."""
    keys = {r.record.natural_key() if isinstance(r, Mapped) else r.natural_key for r in results}
    present = [k for k in keys if k is not None]
    with session_scope(sessions) as session:
        remote, last = _copies(session, present)
        kept = source_records.for_keys(session, present)
        if preview:
            own = rencana.copies_for_keys(session, run_id, present)
            seen = {row.source_id for row in own}
            kept = [row for row in kept if row.source_id not in seen] + own
        else:
            seen = _seen_in_run(session, run_id, kept, results)
    earlier = source_records.winners_of_run(kept, seen)
    return Known(remote=remote, last=last, earlier=earlier), kept


def _seen_in_run(
    session: Session, run_id: int, kept: list[Row[Any]], results: list[Mapped | Unmappable]
) -> set[str]:
    """Which of the kept copies this run saw on an earlier page: its outcome
    recorded then, or the plan row of a write that waits (its outcome comes
    when it is pushed). A kept row is then what the run saw, as a record seen
    as it was kept is not written again (source_records.save). Asked only for
    the keys where a copy other than the page's own is kept: a record's own
    earlier sighting contests nothing, and most pages have no other copy."""
    on_page: dict[tuple[Any, ...], set[str | None]] = {}
    for r in results:
        key = r.record.natural_key() if isinstance(r, Mapped) else r.natural_key
        if key is not None:
            on_page.setdefault(key, set()).add(r.source_id)
    # A NaturalKey is a tuple: a row's four columns compare and hash as its key.
    keyed = [
        ((row.tahun_anggaran, row.tahap, row.kode_sub_skpd, row.kode_sub_kegiatan), row)
        for row in kept
    ]
    contested = {key for key, row in keyed if row.source_id not in on_page.get(key, ())}
    if not contested:
        return set()
    ids = [row.source_id for key, row in keyed if key in contested]
    keys = [NaturalKey(*key) for key in contested]
    seen = {row.source_id for row in rencana.copies_for_keys(session, run_id, keys)}
    recorded = outcomes.recorded(session, run_id, ids)
    return seen | {i for i, outcome in recorded.items() if outcome != Outcome.UNMAPPABLE}


def known_for_push(sessions: sessionmaker[Session], keys: Iterable[NaturalKey]) -> Known:
    """What a page of the plan is pushed against: E-Planning's copies and what
    the service last wrote. The copies were chosen when the plan was made, so
    the E-Program copies kept under each key are not read again."""
    with session_scope(sessions) as session:
        remote, last = _copies(session, list(keys))
    return Known(remote=remote, last=last, earlier={})


def _copies(
    session: Session, keys: list[NaturalKey]
) -> tuple[dict[NaturalKey, RemoteEntry], dict[NaturalKey, LastWrite]]:
    remote = mirror.load(session, keys)
    last = {
        k: LastWrite(versi=row.versi, sync_hash=row.content_hash)
        for k, row in push_state.load(session, keys).items()
    }
    return remote, last
