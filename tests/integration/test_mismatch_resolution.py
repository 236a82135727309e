"""Which problems a page settles: only its own records', and only what it did not
find again. On SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.db import session_scope
from app.mismatches import ditemukan
from app.mismatches.temuan import MismatchRow
from app.models import Mismatch


def row(source_id: str, kategori: str) -> MismatchRow:
    return MismatchRow(2026, "renja", source_id, kategori, "f", "a", None, "keterangan")


def page(
    sessions: sessionmaker[Session], run_id: int, source_ids: list[str], rows: list[MismatchRow]
) -> None:
    with session_scope(sessions) as session:
        ditemukan.record(session, run_id, rows)
        ditemukan.resolve_for_sources(
            session,
            tahun_anggaran=2026,
            tahap="renja",
            source_ids=source_ids,
            run_id=run_id,
            found={r.identitas for r in rows},
        )


def statuses(sessions: sessionmaker[Session]) -> dict[tuple[str | None, str], str]:
    with session_scope(sessions) as session:
        return {(m.source_id, m.kategori): m.status for m in session.scalars(select(Mismatch))}


def test_a_record_sent_twice_in_one_run_keeps_only_what_its_latest_copy_has(
    session_factory: sessionmaker[Session],
) -> None:
    page(
        session_factory, 1, ["8001", "8002"], [row("8001", "a"), row("8001", "b"), row("8002", "a")]
    )
    # Later in the same run the feed sends 8001 again, without problem b.
    page(session_factory, 1, ["8001"], [row("8001", "a")])

    assert statuses(session_factory) == {
        ("8001", "a"): "baru",
        ("8001", "b"): "selesai",
        ("8002", "a"): "baru",  # not on that page: not judged
    }


def test_a_later_run_settles_what_it_no_longer_finds_whatever_the_outcome(
    session_factory: sessionmaker[Session],
) -> None:
    page(session_factory, 1, ["8001"], [row("8001", "a"), row("8001", "b")])
    page(session_factory, 2, ["8001"], [row("8001", "b")])
    page(session_factory, 3, ["8001"], [row("8001", "a")])

    assert statuses(session_factory) == {("8001", "a"): "baru", ("8001", "b"): "selesai"}
