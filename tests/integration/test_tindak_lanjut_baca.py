"""The follow-up as the database holds it (app.mismatches.tindak_lanjut_baca):
runs' writes and people's decisions on a moving clock, within the caller's
OPDs; the migration's backfill from the history. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import Engine, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

from app import clock, migrate
from app.access.keys import Principal, Role
from app.db import session_scope
from app.mismatches import ditemukan, keputusan
from app.mismatches.keputusan import Pemutus
from app.mismatches.siklus import Keputusan
from app.mismatches.temuan import MismatchRow
from app.mismatches.tindak_lanjut import StatusTindakLanjut, TindakLanjut
from app.mismatches.tindak_lanjut_baca import baca_tindak_lanjut
from app.models import Mismatch, RecordState, RunStatus, SyncRun

START = datetime(2026, 11, 2, 18, 0, tzinfo=UTC)  # 01:00 WIB
A, B, C = "1.01.0.00.0.00.01.0000", "1.03.0.00.0.00.01.0000", "2.07.0.00.0.00.01.0000"
PLANNER = Principal("perencana-b", Role.PLANNER)


def row(source_id: str, opd: str, kategori: str = "nama_berbeda") -> MismatchRow:
    return MismatchRow(2026, "renja", source_id, kategori, "nama", "a", "b", "k", kode_skpd=opd)


def records(session: Session) -> None:
    """Ten sub kegiatan for each OPD, half of A's ready for SAKIP."""
    session.execute(
        insert(RecordState),
        [
            {
                "tahun_anggaran": 2026,
                "tahap": "renja",
                "source_id": f"{opd}-{i}",
                "kode_skpd": opd,
                "nama_skpd": f"Dinas {opd[:4]}",
                "dalam_lingkup": True,
                "tepat": True,
                "siap_sakip": opd == A and i < 5,
                "outcome": "unchanged",
            }
            for opd in (A, B, C)
            for i in range(10)
        ],
    )


def run(session: Session, status: RunStatus = RunStatus.SUCCEEDED) -> int:
    finished = clock.now()
    found = SyncRun(
        tahun_anggaran=2026,
        tahap="renja",
        kode_skpd=None,
        full=True,
        trigger="schedule",
        status=status,
        started_at=finished,
        finished_at=finished,
    )
    session.add(found)
    session.flush()
    return found.id


def read(session: Session, *, opd: frozenset[str] | None = None, tahun: int = 2026) -> TindakLanjut:
    now = clock.now()
    return baca_tindak_lanjut(
        session,
        tahun_anggaran=tahun,
        tahap="renja",
        sejak=now - timedelta(days=30),
        sekarang=now,
        batas_hari=14,
        kode_skpd=opd,
    )


def test_acknowledge_fix_or_nothing_over_fifteen_days(
    session_factory: sessionmaker[Session],
) -> None:
    jam = clock.JamPalsu(START)
    with clock.using(jam):
        with session_scope(session_factory) as session:
            records(session)
            first = run(session)
            ditemukan.record(
                session,
                first,
                [row("a1", A), row("a2", A), row("b1", B), row("c1", C), row("c2", C)],
            )
        jam.maju(hari=2)
        with session_scope(session_factory) as session:
            ids = {m.source_id: m.id for m in session.scalars(select(Mismatch))}
            for sid, opd in (("a1", A), ("a2", A), ("b1", B)):
                keputusan.decide_one(
                    session,
                    ids[sid],
                    Keputusan.AKUI,
                    None,
                    pemutus=Pemutus(PLANNER, frozenset({opd}), None, 200),
                )
        jam.maju(hari=3)
        with session_scope(session_factory) as session:
            # A fixed its records: a full run no longer finds them.
            fix = run(session)
            ditemukan.record(session, fix, [row("b1", B), row("c1", C), row("c2", C)])
            ditemukan.resolve_unseen(
                session, tahun_anggaran=2026, tahap="renja", kategori="nama_berbeda", run_id=fix
            )
        jam.maju(hari=10)
        with session_scope(session_factory) as session:
            run(session)
            whole = read(session)

    by_opd = {o.kode_skpd: o for o in whole.opd}
    a, b, c = by_opd[A], by_opd[B], by_opd[C]
    assert [(o.kode_skpd, o.status, o.peringkat) for o in whole.opd] == [
        (C, StatusTindakLanjut.BELUM_MENINDAKLANJUTI, 1),
        (B, StatusTindakLanjut.SEDANG_MENINDAKLANJUTI, 2),
        (A, StatusTindakLanjut.TUNTAS, 3),
    ]
    assert (c.belum_ditanggapi, c.belum_ditanggapi_tertua_hari, c.terbuka_per_100) == (2, 15, 20.0)
    assert (b.belum_ditanggapi, b.diakui_terbuka, b.diakui_tertua_hari) == (0, 1, 15)
    assert (a.selesai_sejak, a.median_hari_selesai, a.kesiapan_sakip) == (2, 5.0, 0.5)
    assert a.aktivitas_terakhir is not None and a.aktivitas_terakhir.oleh == "sistem"
    assert b.aktivitas_terakhir is not None
    assert (b.aktivitas_terakhir.oleh, b.aktivitas_terakhir.pada) == (
        "perencana-b",
        START + timedelta(days=2),
    )
    assert c.aktivitas_terakhir is None
    assert (whole.pemda.terbuka, whole.pemda.jumlah_sub_kegiatan) == (3, 30)
    assert whole.sinkron_terakhir.basi is False


def test_a_scoped_reader_sees_only_its_opds_and_stale_figures_say_so(
    session_factory: sessionmaker[Session],
) -> None:
    jam = clock.JamPalsu(START)
    with clock.using(jam):
        with session_scope(session_factory) as session:
            records(session)
            ditemukan.record(session, run(session), [row("b1", B), row("c1", C)])
        jam.maju(jam=30)
        with session_scope(session_factory) as session:
            run(session, RunStatus.FAILED)
            answer = read(session, opd=frozenset({B}))
            empty = read(session, tahun=2031)
    assert [o.kode_skpd for o in answer.opd] == [B]
    assert answer.pemda.terbuka == 1
    assert answer.sinkron_terakhir.berhasil_pada == START
    assert answer.sinkron_terakhir.gagal_terakhir == START + timedelta(hours=30)
    assert answer.sinkron_terakhir.basi is True
    assert (empty.ada_data, empty.opd, empty.sinkron_terakhir.basi) == (False, [], True)


def test_a_finding_a_run_opens_again_waits_for_a_new_answer(
    session_factory: sessionmaker[Session],
) -> None:
    jam = clock.JamPalsu(START)
    with clock.using(jam):
        with session_scope(session_factory) as session:
            ditemukan.record(session, run(session), [row("b1", B)])
            keputusan.decide_many(
                session,
                [session.scalars(select(Mismatch.id)).one()],
                Keputusan.AKUI,
                None,
                pemutus=Pemutus(PLANNER, None, None, 200),
                batas=10,
            )
        jam.maju(hari=1)
        with session_scope(session_factory) as session:
            gone = run(session)
            ditemukan.resolve_unseen(
                session, tahun_anggaran=2026, tahap="renja", kategori="nama_berbeda", run_id=gone
            )
            settled = session.scalars(select(Mismatch)).one()
            assert (settled.status, settled.selesai_pada) == ("selesai", jam())
            assert settled.ditanggapi_pada == START
        jam.maju(hari=1)
        with session_scope(session_factory) as session:
            ditemukan.record(session, run(session), [row("b1", B)])
        with session_scope(session_factory) as session:
            again = session.scalars(select(Mismatch)).one()
            assert (again.status, again.ditanggapi_pada, again.selesai_pada) == ("baru", None, None)


def test_the_migration_reads_answers_and_fixes_back_from_the_history(
    database_url: str, engine: Engine
) -> None:
    config = migrate.alembic_config(database_url)
    command.downgrade(config, "3f6d2a9c81e4")
    at = "2026-11-0{} 00:00:00+00:00"
    with engine.begin() as conn:
        for i, status in ((1, "diakui"), (2, "selesai"), (3, "baru"), (4, "baru")):
            conn.execute(
                text(
                    "INSERT INTO mismatch (id, tahun_anggaran, tahap, identitas, kategori, status,"
                    " first_seen_at, last_seen_at) VALUES (:i, 2026, 'renja', :ident,"
                    " 'nama_berbeda', :status, :at, :at)"
                ),
                {"i": i, "ident": f"x{i}", "status": status, "at": at.format(1)},
            )
        events = [
            (1, "perencana", "baru", "diakui", None, 2),
            (2, "perencana", "baru", "diakui", None, 2),
            (2, "sistem", "diakui", "selesai", 7, 3),
            # acknowledged, fixed, found again by a run: waiting again
            (3, "perencana", "baru", "diakui", None, 2),
            (3, "sistem", "diakui", "selesai", 7, 3),
            (3, "sistem", "selesai", "baru", 8, 4),
        ]
        for mismatch_id, oleh, dari, ke, run_id, day in events:
            conn.execute(
                text(
                    "INSERT INTO mismatch_event (mismatch_id, at, oleh, dari, ke, run_id)"
                    " VALUES (:m, :at, :oleh, :dari, :ke, :run)"
                ),
                {"m": mismatch_id, "at": at.format(day), "oleh": oleh, "dari": dari, "ke": ke}
                | {"run": run_id},
            )
    migrate.upgrade(database_url)
    with Session(engine) as session:
        got = {
            m.id: (m.ditanggapi_pada, m.selesai_pada, m.penyebab_id)
            for m in session.scalars(select(Mismatch))
        }
    day = [None] + [datetime(2026, 11, d, tzinfo=UTC) for d in range(1, 5)]
    assert got == {
        1: (day[2], None, None),
        2: (day[2], day[3], None),
        3: (None, None, None),
        4: (None, None, None),
    }
    command.downgrade(config, "3f6d2a9c81e4")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM mismatch_event")).scalar_one() == len(events)
