"""Issue 19's scenario over simulated weeks: a fake clock, real runs against
the stand-ins, the follow-up read over real HTTP. OPD A acknowledges and
fixes, B only acknowledges, C does nothing: after 15 days C is
belum_menindaklanjuti and ranked first, B sedang, A tuntas. On SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from tests.e2e.tindak_lanjut_skenario import MULAI, TEMUAN_PER_OPD, Skenario, skenario


@pytest.fixture
def s(
    session_factory: sessionmaker[Session],
    database_url: str,
    engine: Engine,
    sample_items: list[dict[str, Any]],
) -> Iterator[Skenario]:
    with skenario(session_factory, database_url, engine, sample_items) as found:
        yield found


def test_after_fifteen_days_the_opd_that_did_nothing_is_first(s: Skenario) -> None:
    s.mulai()
    assert {label: len(s.temuan(label)) for label in s.opd} == dict.fromkeys(s.opd, TEMUAN_PER_OPD)
    # Nobody has answered yet, and no finding is older than the limit.
    assert {v[0] for v in s.status().values()} == {"sedang_menindaklanjuti"}

    s.maju(hari=2)
    assert (s.akui("A"), s.akui("B")) == (TEMUAN_PER_OPD, TEMUAN_PER_OPD)
    s.maju(hari=3)
    s.perbaiki("A")
    s.sync()
    s.maju(hari=10)
    s.sync()

    answer = s.tindak_lanjut()
    statuses = s.status()
    assert statuses["C"] == ("belum_menindaklanjuti", 1)
    assert statuses["B"][0] == "sedang_menindaklanjuti"
    assert statuses["A"][0] == "tuntas"
    # The OPDs with nothing to follow up on are tuntas too; B ranks right after C.
    assert statuses["B"][1] == 2
    by_kode = {o["kode_skpd"]: o for o in answer["opd"]}
    a, b, c = (by_kode[s.opd[label]] for label in ("A", "B", "C"))
    assert (c["belum_ditanggapi"], c["belum_ditanggapi_tertua_hari"]) == (TEMUAN_PER_OPD, 15)
    assert c["aktivitas_terakhir"] is None
    assert (b["belum_ditanggapi"], b["diakui_terbuka"], b["diakui_tertua_hari"]) == (
        0,
        TEMUAN_PER_OPD,
        15,
    )
    assert b["aktivitas_terakhir"]["oleh"] == "perencana-B"
    assert (a["terbuka"], a["selesai_sejak"], a["median_hari_selesai"]) == (0, TEMUAN_PER_OPD, 5.0)
    assert a["terbuka_per_100"] == 0.0
    assert c["terbuka_per_100"] == round(TEMUAN_PER_OPD * 100 / c["jumlah_sub_kegiatan"], 1)
    # The last run was just now: fresh.
    assert answer["sinkron_terakhir"]["basi"] is False
    assert answer["total"]["belum_ditanggapi"] == TEMUAN_PER_OPD
    assert answer["total"]["status_tindak_lanjut"] == "belum_menindaklanjuti"


def test_a_scoped_key_sees_its_opd_and_the_figures_go_stale(s: Skenario) -> None:
    s.mulai()
    s.maju(hari=15)
    mine = s.tindak_lanjut(siapa="B")
    assert [o["kode_skpd"] for o in mine["opd"]] == [s.opd["B"]]
    assert mine["opd"][0]["status_tindak_lanjut"] == "belum_menindaklanjuti"
    # Fifteen days without a run: the answer says when, and that it is stale.
    assert mine["sinkron_terakhir"]["berhasil_pada"] == MULAI.isoformat().replace("+00:00", "Z")
    assert mine["sinkron_terakhir"]["basi"] is True
    assert "jam yang lalu" in mine["sinkron_terakhir"]["peringatan"]
    # A meeting date chooses the period; a date that does not exist is a 422.
    assert s.tindak_lanjut(sejak="2026-11-10")["sejak"].startswith("2026-11-09T17:00:00")
    refused = s.get("/api/v1/tindak-lanjut", tahun_anggaran=2026, tahap="renja", sejak="2026-02-30")
    assert refused.status_code == 422
    assert "tidak ada" in refused.json()["detail"]
