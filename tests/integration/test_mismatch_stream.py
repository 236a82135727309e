"""daftar.stream: every match exactly once, grouped by OPD, kategori and
status, across chunk boundaries and with rows that have no OPD."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from app.db import session_scope
from app.mismatches import daftar, ditemukan
from app.mismatches.daftar import MismatchFilter
from app.mismatches.temuan import MismatchRow
from app.models import SyncRun


def test_stream_walks_every_match_once_in_report_order(
    session_factory: sessionmaker[Session],
) -> None:
    opds = (None, "2.07.0.00.0.00.01.0000", "1.02.0.00.0.00.01.0000")
    rows = [
        MismatchRow(2026, "renja", f"s{i}", kategori, "pagu", "1", "2", None, kode_skpd=opds[i % 3])
        for i in range(17)
        for kategori in ("pagu_berbeda", "duplikat")
    ]
    with session_scope(session_factory) as session:
        run = SyncRun(tahun_anggaran=2026, tahap="renja", full=True, trigger="t", status="x")
        session.add(run)
        session.flush()
        ditemukan.record(session, run.id, rows)
        ditemukan.record(
            session,
            run.id,
            [MismatchRow(2027, "renja", "lain", "duplikat", None, None, None, None)],
        )

    with session_scope(session_factory) as session:
        f = MismatchFilter(tahun_anggaran=2026, tahap="renja")
        walked = [
            (m.kode_skpd, m.kategori, m.status, m.id) for m in daftar.stream(session, f, chunk=4)
        ]
        only = [
            m.kategori
            for m in daftar.stream(
                session, f.__class__(kategori="duplikat", tahun_anggaran=2026), chunk=3
            )
        ]

    assert len(walked) == len({w[3] for w in walked}) == 34
    no_opd = [w for w in walked if w[0] is None]
    assert walked[: len(no_opd)] == sorted(no_opd, key=lambda w: (w[1], w[2], w[3]))
    with_opd = walked[len(no_opd) :]
    assert with_opd == sorted(with_opd, key=lambda w: (w[0] or "", w[1], w[2], w[3]))
    assert only == ["duplikat"] * 17
