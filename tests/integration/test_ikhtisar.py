"""The overview kept until its data changes (app.mismatches.ikhtisar): a
person's decision and a run's end show at once, a running run's pages within
JEDA without a reader waiting, anything else within UMUR_MAKS. On SQLite and
PostgreSQL, against the real figures."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from app import clock
from app.access.keys import Principal, Role
from app.db import session_scope
from app.mismatches import ditemukan, ikhtisar, keputusan, riwayat
from app.mismatches.ikhtisar import Ikhtisar, Lingkup, Simpanan
from app.mismatches.keputusan import Pemutus
from app.mismatches.siklus import Keputusan
from app.models import Mismatch, RunStatus, SyncRun
from app.repositories import versi_data
from tests.integration.test_tindak_lanjut_baca import A, B, records, row, run

START = datetime(2026, 11, 2, 18, 0, tzinfo=UTC)
LINGKUP = Lingkup(tahun_anggaran=2026, tahap="renja", opd=None)
PLANNER = Principal("perencana-a", Role.PLANNER)


class Counting:
    """ikhtisar.hitung, counted."""

    def __init__(self) -> None:
        self.times = 0

    def __call__(
        self, session: Session, lingkup: Lingkup, sekarang: datetime, **rules: Any
    ) -> Ikhtisar:
        self.times += 1
        return ikhtisar.hitung(session, lingkup, sekarang, **rules)


def open_per_opd(found: Ikhtisar) -> dict[str | None, int]:
    return {o.kode_skpd: o.terbuka for o in found.tindak.opd if o.terbuka}


def kept_counted(factory: sessionmaker[Session]) -> tuple[Simpanan, Counting]:
    counting = Counting()
    return Simpanan(factory, batas_hari=14, jadwal="0 1 * * *", menghitung=counting), counting


def read(kept: Simpanan, factory: sessionmaker[Session]) -> Ikhtisar:
    with session_scope(factory) as session:
        return kept.baca(session, LINGKUP)


def decide(factory: sessionmaker[Session], source_id: str, opd: str) -> None:
    with session_scope(factory) as session:
        mismatch_id = session.scalar(select(Mismatch.id).where(Mismatch.source_id == source_id))
        assert mismatch_id is not None
        keputusan.decide_one(
            session,
            mismatch_id,
            Keputusan.KECUALIKAN,
            "bukan kesalahan OPD",
            pemutus=Pemutus(PLANNER, frozenset({opd}), None, 200),
        )


def refreshed() -> None:
    """Wait for the threads that compute the figures again to end."""
    for thread in threading.enumerate():
        if thread.name == "ikhtisar":
            thread.join(timeout=30)
            assert not thread.is_alive()


def test_kept_until_a_person_decides_or_a_run_ends(session_factory: sessionmaker[Session]) -> None:
    kept, counting = kept_counted(session_factory)
    jam = clock.JamPalsu(START)
    with clock.using(jam):
        with session_scope(session_factory) as session:
            records(session)
            ditemukan.record(session, run(session), [row("a1", A), row("a2", A)])
        first = read(kept, session_factory)
        assert open_per_opd(first) == {A: 2}
        jam.maju(menit=1)
        assert read(kept, session_factory).per_opd is first.per_opd
        assert counting.times == 1

        decide(session_factory, "a1", A)
        after_decision = read(kept, session_factory)
        assert counting.times == 2
        assert open_per_opd(after_decision) == {A: 1}

        with session_scope(session_factory) as session:
            ditemukan.record(session, run(session), [row("a2", A), row("b1", B)])
        after_run = read(kept, session_factory)
        assert counting.times == 3
        assert open_per_opd(after_run) == {B: 1, A: 1}


def test_writes_the_version_does_not_see_show_within_the_maximum_age(
    session_factory: sessionmaker[Session],
) -> None:
    kept, counting = kept_counted(session_factory)
    jam = clock.JamPalsu(START)
    with clock.using(jam):
        with session_scope(session_factory) as session:
            records(session)
            finished = run(session)
            ditemukan.record(session, finished, [row("a1", A)])
        assert open_per_opd(read(kept, session_factory)) == {A: 1}
        # A finding written under a run that had already ended (as a restore or
        # a hand edit would): no decision, no run ending, nothing running.
        with session_scope(session_factory) as session:
            ditemukan.record(session, finished, [row("a1", A), row("b1", B)])
        jam.maju(menit=4)
        assert open_per_opd(read(kept, session_factory)) == {A: 1}
        jam.maju(menit=2)
        assert open_per_opd(read(kept, session_factory)) == {A: 1, B: 1}
        assert counting.times == 2


def test_a_running_run_is_followed_within_jeda_and_no_reader_waits_for_it(
    session_factory: sessionmaker[Session],
) -> None:
    kept, counting = kept_counted(session_factory)
    jam = clock.JamPalsu(START)
    with clock.using(jam):
        with session_scope(session_factory) as session:
            records(session)
            ditemukan.record(session, run(session), [row("a1", A)])
            running = SyncRun(
                tahun_anggaran=2026,
                tahap="renja",
                full=True,
                trigger="schedule",
                status=RunStatus.RUNNING,
                started_at=clock.now(),
            )
            session.add(running)
            session.flush()
            running_id = running.id
        before = read(kept, session_factory)
        assert open_per_opd(before) == {A: 1}

        # The run's page: a finding of B, a finding of A settled.
        with session_scope(session_factory) as session:
            ditemukan.record(session, running_id, [row("b1", B)])
        jam.maju(detik=5)
        assert read(kept, session_factory).per_opd is before.per_opd
        jam.maju(detik=6)
        # Past JEDA: the reader gets the kept figures at once; a thread computes.
        assert read(kept, session_factory).per_opd is before.per_opd
        refreshed()
        assert counting.times == 2
        assert open_per_opd(read(kept, session_factory)) == {A: 1, B: 1}
        assert counting.times == 2

        # The run ends: shown at once.
        with session_scope(session_factory) as session:
            ditemukan.resolve_unseen(
                session, tahun_anggaran=2026, tahap="renja", kategori="nama_berbeda",
                run_id=running_id,
            )  # fmt: skip
            session.execute(
                update(SyncRun)
                .where(SyncRun.id == running_id)
                .values(status=RunStatus.SUCCEEDED, finished_at=clock.now())
            )
        ended = read(kept, session_factory)
        assert counting.times == 3
        assert open_per_opd(ended) == {B: 1}


def test_whether_kept_figures_are_stale_is_read_for_every_request(
    session_factory: sessionmaker[Session],
) -> None:
    kept, counting = kept_counted(session_factory)
    jam = clock.JamPalsu(START)
    with clock.using(jam):
        with session_scope(session_factory) as session:
            records(session)
            ditemukan.record(session, run(session), [row("a1", A)])
        assert read(kept, session_factory).tindak.sinkron_terakhir.basi is False
        # The last success two days old, the version none the wiser.
        with session_scope(session_factory) as session:
            session.execute(update(SyncRun).values(finished_at=START - timedelta(hours=50)))
        again = read(kept, session_factory)
    assert counting.times == 1
    assert again.tindak.sinkron_terakhir.basi is True


def test_a_clock_set_back_computes_again(session_factory: sessionmaker[Session]) -> None:
    kept, counting = kept_counted(session_factory)
    with clock.using(clock.JamPalsu(START)):
        read(kept, session_factory)
    with clock.using(clock.JamPalsu(START - timedelta(seconds=1))):
        read(kept, session_factory)
    assert counting.times == 2


def test_a_decision_counts_for_this_process_when_committed_only(
    session_factory: sessionmaker[Session],
) -> None:
    with session_scope(session_factory) as session:
        records(session)
        ditemukan.record(session, run(session), [row("a1", A), row("a2", A)])
    before = riwayat.generasi()
    with pytest.raises(RuntimeError), session_scope(session_factory) as session:
        mismatch_id = session.scalar(select(Mismatch.id).where(Mismatch.source_id == "a1"))
        assert mismatch_id is not None
        keputusan.decide_one(
            session,
            mismatch_id,
            Keputusan.AKUI,
            None,
            pemutus=Pemutus(PLANNER, frozenset({A}), None, 200),
        )
        raise RuntimeError("rolled back")
    assert riwayat.generasi() == before
    decide(session_factory, "a2", A)
    assert riwayat.generasi() > before


def test_the_newest_decision_is_read_from_its_index_on_sqlite(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the plan checked is SQLite's")
    sql = str(versi_data.KEPUTUSAN_TERAKHIR.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as connection:
        plan = " ".join(str(r[-1]) for r in connection.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
    assert "ix_mismatch_event_orang" in plan, plan
    assert "SCAN" not in plan.replace("COVERING INDEX", ""), plan
