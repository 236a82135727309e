"""The decide service both the API and the pages call: within the caller's
OPDs, as the life cycle says, kept in the history and the audit log. On SQLite
and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.access.keys import Principal, Role
from app.db import session_scope
from app.mismatches import ditemukan, keputusan
from app.mismatches.daftar import MismatchFilter
from app.mismatches.keputusan import Pemutus, TerlaluBanyak, TidakAda
from app.mismatches.siklus import DecisionRefused, Keputusan
from app.mismatches.temuan import MismatchRow
from app.models import AuditEvent, Mismatch, MismatchEvent

OPD_A, OPD_B = "1.02.0.00.0.00.01.0000", "2.07.0.00.0.00.01.0000"
PLANNER = Principal("perencana", Role.PLANNER)


def seed(sessions: sessionmaker[Session]) -> dict[str, int]:
    """Three problems of OPD A and one of OPD B, by source id."""
    rows = [
        MismatchRow(2026, "renja", sid, "nama_berbeda", "nama", "a", "b", "k", kode_skpd=opd)
        for sid, opd in (("1", OPD_A), ("2", OPD_A), ("3", OPD_A), ("4", OPD_B))
    ]
    with session_scope(sessions) as session:
        ditemukan.record(session, 1, rows)
    with session_scope(sessions) as session:
        return {m.source_id or "": m.id for m in session.scalars(select(Mismatch))}


def pemutus(opd: frozenset[str] | None = None, **jejak: object) -> Pemutus:
    return Pemutus(PLANNER, opd, "10.0.0.9", 303, jejak)


def test_one_decision_is_kept_in_the_history_and_the_audit_log(
    session_factory: sessionmaker[Session],
) -> None:
    ids = seed(session_factory)
    with session_scope(session_factory) as session:
        decided = keputusan.decide_one(
            session, ids["1"], Keputusan.AKUI, " rapat ", pemutus=pemutus(lewat="laporan")
        )
        assert (decided.status, decided.catatan, decided.diputuskan_oleh) == (
            "diakui",
            "rapat",
            "perencana",
        )

    with session_scope(session_factory) as session:
        event = session.scalars(select(MismatchEvent)).one()
        audit = session.scalars(select(AuditEvent)).one()
        assert (event.dari, event.ke, event.oleh, event.catatan) == (
            "baru",
            "diakui",
            "perencana",
            "rapat",
        )
        assert (audit.action, audit.target, audit.status_code, audit.client) == (
            "mismatch.akui",
            f"mismatch {ids['1']}",
            303,
            "10.0.0.9",
        )
        assert audit.detail == {
            "dari": "baru",
            "ke": "diakui",
            "catatan": "rapat",
            "lewat": "laporan",
        }


def test_another_opds_mismatch_does_not_exist_for_the_caller(
    session_factory: sessionmaker[Session],
) -> None:
    ids = seed(session_factory)
    with session_scope(session_factory) as session, pytest.raises(TidakAda) as missing:
        keputusan.decide_one(
            session, ids["4"], Keputusan.AKUI, None, pemutus=pemutus(frozenset({OPD_A}))
        )
    assert missing.value.ids == [ids["4"]]


def test_a_decision_that_does_not_apply_says_why_and_changes_nothing(
    session_factory: sessionmaker[Session],
) -> None:
    ids = seed(session_factory)
    with session_scope(session_factory) as session, pytest.raises(DecisionRefused) as refused:
        keputusan.decide_one(session, ids["1"], Keputusan.BUKA_KEMBALI, None, pemutus=pemutus())

    assert str(refused.value) == (
        f"mismatch {ids['1']} berstatus 'baru'; 'buka-kembali' hanya untuk status diakui, "
        "dikecualikan"
    )
    with session_scope(session_factory) as session:
        assert session.scalars(select(MismatchEvent)).all() == []
        assert session.scalars(select(AuditEvent)).all() == []


def test_a_decision_on_many_skips_what_it_does_not_apply_to(
    session_factory: sessionmaker[Session],
) -> None:
    ids = seed(session_factory)
    with session_scope(session_factory) as session:
        keputusan.decide_one(session, ids["1"], Keputusan.AKUI, None, pemutus=pemutus())
    with session_scope(session_factory) as session:
        hasil = keputusan.decide_many(
            session,
            MismatchFilter(tahun_anggaran=2026, tahap="renja", opd=frozenset({OPD_A})),
            Keputusan.AKUI,
            None,
            pemutus=pemutus(frozenset({OPD_A})),
            batas=3,
        )

    assert (hasil.cocok, hasil.diubah, hasil.dilewati) == (3, 2, {"diakui": 1})
    with session_scope(session_factory) as session:
        statuses = {m.source_id: m.status for m in session.scalars(select(Mismatch))}
        audit = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert statuses == {"1": "diakui", "2": "diakui", "3": "diakui", "4": "baru"}
    assert audit is not None and audit.target == "3 mismatch"
    assert audit.detail is not None and audit.detail["dilewati"] == 1


def test_a_decision_on_many_is_bounded_and_names_every_id_it_lacks(
    session_factory: sessionmaker[Session],
) -> None:
    ids = seed(session_factory)
    everything = MismatchFilter(tahun_anggaran=2026, tahap="renja")
    with session_scope(session_factory) as session:
        with pytest.raises(TerlaluBanyak) as too_many:
            keputusan.decide_many(
                session, everything, Keputusan.AKUI, None, pemutus=pemutus(), batas=3
            )
        with pytest.raises(TidakAda) as missing:
            keputusan.decide_many(
                session,
                [ids["1"], ids["4"], 999],
                Keputusan.AKUI,
                None,
                pemutus=pemutus(frozenset({OPD_A})),
                batas=3,
            )

    assert (too_many.value.cocok, too_many.value.batas) == (4, 3)
    assert missing.value.ids == [ids["4"], 999]
    with session_scope(session_factory) as session:
        assert {m.status for m in session.scalars(select(Mismatch))} == {"baru"}
