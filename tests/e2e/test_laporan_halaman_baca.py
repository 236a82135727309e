"""The report pages read as planners read: indicator lists as tables and whole
on a finding's page, sumber dana in Rupiah, field paths as labels, reason codes
as words, the differing part of two names marked; and a decision on many rows,
confirmed first and undone after."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html import unescape

import pytest
from sqlalchemy import Engine, func, select

from app.db import session_scope
from app.models import AuditEvent, Mismatch, MismatchEvent
from mappings.problems import as_nilai
from tests.e2e.laporan_halaman_data import PU
from tests.e2e.test_laporan_pages import Site, make_site, token_in


@pytest.fixture
def site(engine: Engine, database_url: str) -> Iterator[Site]:
    yield from make_site(engine, database_url)


def indikator(n: int) -> list[dict[str, str]]:
    return [
        {
            "jenis": "keluaran_sub_kegiatan",
            "tolok_ukur": f"Jumlah Dokumen Perencanaan Pembangunan Daerah nomor {i:03d}",
            "target": str(i),
            "target_teks": f"{i} Dokumen",
            "satuan": "Dokumen",
        }
        for i in range(1, n + 1)
    ]


def test_a_long_indicator_list_is_stored_and_shown_whole(site: Site) -> None:
    value = json.dumps(indikator(40), ensure_ascii=False)
    assert len(value) > 5_000
    stored = as_nilai(indikator(40))
    assert stored == value  # kept whole, not cut at 500 characters
    site.found(
        {
            "source_id": "panjang-1",
            "kategori": "diubah_manual",
            "field": "indikator",
            "nilai_eprogram": stored,
            "nilai_eplanning": json.dumps(indikator(39), ensure_ascii=False),
            "keterangan": "diubah langsung di E-Planning",
            "kode_skpd": PU,
        }
    )
    site.sign_in()
    with session_scope(site.sessions) as session:
        found = session.scalars(select(Mismatch).where(Mismatch.source_id == "panjang-1")).one()
        assert found.nilai_eprogram == value
        mismatch_id = found.id
    html = site.client.get(f"/laporan/mismatch/{mismatch_id}").text
    # Every one of the 40 indicators, as a table row with its target and satuan.
    for i in range(1, 41):
        assert f"nomor {i:03d}</td>" in html
    assert html.count("<td>Dokumen</td>") == 40 + 39
    assert "&#34;tolok_ukur&#34;" not in html and '"tolok_ukur"' not in html  # no raw JSON
    # In the OPD's table: the first rows and how many more.
    table = site.client.get(f"/laporan/opd/{PU}").text
    assert "… dan 37 indikator lagi" in table


def test_a_value_past_the_cap_says_what_was_left_out() -> None:
    stored = as_nilai("x" * 100_250)
    assert stored is not None and stored.startswith("x" * 100_000)
    assert stored.endswith("… (250 karakter berikutnya tidak disimpan)")


def test_sumber_dana_paths_reasons_and_names_read_as_words(site: Site) -> None:
    dana = [
        {"kode_dana": "DAU", "nama_dana": "Dana Alokasi Umum", "pagu_dana": "600000000.00"},
        {"kode_dana": "DAK", "nama_dana": "DAK Fisik", "pagu_dana": "300000000.00"},
    ]
    site.found(
        {
            "source_id": "dana-1",
            "kategori": "sumber_dana_tidak_sama",
            "field": "sumber_dana",
            "nilai_eprogram": as_nilai(dana),
            "keterangan": "Ditolak E-Planning (sumber_dana_tidak_sama): jumlah ≠ pagu",
            "kode_skpd": PU,
        },
        {
            "source_id": "capaian-1",
            "kategori": "indikator_tidak_lengkap",
            "field": "capaian_prog_sub_keg[0].targetcapaian",
            "nilai_eprogram": "delapan puluh",
            "keterangan": "Ditolak E-Planning (indikator_wajib): target bukan angka",
            "kode_skpd": PU,
        },
        {
            "source_id": "nama-1",
            "kategori": "nama_berbeda",
            "field": "nama_sub_kegiatan",
            "nilai_eprogram": "Penyediaan Jasa Pemeliharaan Gedung Kantor",
            "nilai_eplanning": "Penyediaan Jasa Pemeliharaan Sarana Gedung Kantor",
            "keterangan": "nama berbeda dengan nomenklatur",
            "kode_skpd": PU,
        },
    )
    site.sign_in()
    html = unescape(site.client.get(f"/laporan/opd/{PU}").text)
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert "Dana Alokasi Umum Rp 600.000.000 DAK Fisik Rp 300.000.000" in text
    assert "Jumlah Rp 900.000.000" in text
    assert "Target capaian program (indikator ke-1)" in html
    assert "capaian_prog_sub_keg[0].targetcapaian" not in html
    assert "(indikator wajib belum lengkap): target bukan angka" in html
    assert "(indikator_wajib)" not in html
    assert "Pemeliharaan <mark>Sarana</mark> Gedung" in html
    # A finding's own page: the path is said in words, the code kept beside it.
    with session_scope(site.sessions) as session:
        capaian = session.scalars(select(Mismatch.id).where(Mismatch.source_id == "capaian-1"))
        one = site.client.get(f"/laporan/mismatch/{capaian.one()}").text
    assert "Target capaian program (indikator ke-1)" in one


def test_akui_semua_yang_tersaring_asks_first_then_saves_and_can_be_undone(site: Site) -> None:
    site.found(
        *(
            {
                "source_id": f"indikator-{i}",
                "kategori": "indikator_tidak_lengkap",
                "field": "sub_keg_indikator[0].satuanoutput",
                "keterangan": "satuan kosong",
                "kode_skpd": PU,
            }
            for i in range(64)
        )
    )
    site.sign_in("planner")
    listed = site.client.get(f"/laporan/opd/{PU}", params={"kategori": "indikator_tidak_lengkap"})
    assert "Akui semua yang tersaring (65)" in listed.text  # 64 and the seeded one
    action = re.search(r'<form method="post" action="([^"]+/keputusan[^"]*)"', listed.text)
    assert action
    target = unescape(action.group(1))
    fields = {
        "csrf": token_in(listed.text),
        "keputusan": "akui",
        "semua": "1",
        "kembali": f"/laporan/opd/{PU}?kategori=indikator_tidak_lengkap",
    }
    asked = site.client.post(target, data=fields, follow_redirects=False)
    assert asked.status_code == 200
    assert "Akui 65 ketidaksesuaian?" in asked.text
    assert _count(site, "diakui") == 0  # nothing saved before the confirmation
    confirmed = {
        name: unescape(value)
        for name, value in re.findall(r'name="(\w+)" value="([^"]*)"', asked.text)
    }
    done = site.client.post(target, data=confirmed, follow_redirects=False)
    assert done.status_code == 303
    assert _count(site, "diakui") == 65
    told = site.client.get(done.headers["location"]).text
    assert "Tersimpan: 65 ketidaksesuaian diakui." in told
    with session_scope(site.sessions) as session:
        audited = session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "mismatch.keputusan_massal")
        )
    assert audited == 1

    undo = re.search(
        r'<form method="post" action="([^"]+)" class="sebaris urungkan">(.*?)</form>', told, re.S
    )
    assert undo
    undo_fields = {
        name: unescape(value)
        for name, value in re.findall(r'name="(\w+)" value="([^"]*)"', undo.group(2))
    }
    undone = site.client.post(unescape(undo.group(1)), data=undo_fields, follow_redirects=False)
    assert undone.status_code == 303
    assert _count(site, "diakui") == 0
    assert "65 ketidaksesuaian dibuka kembali" in site.client.get(undone.headers["location"]).text


def test_ticked_rows_are_decided_and_another_opds_rows_refused(site: Site) -> None:
    site.sign_in("pu")
    page = site.client.get(f"/laporan/opd/{PU}").text
    ids = [int(i) for i in re.findall(r'<tr id="m-(\d+)"', page)][:2]
    fields = {"csrf": token_in(page), "keputusan": "kecualikan", "ids": ",".join(map(str, ids))}
    target = f"/laporan/opd/{PU}/keputusan"
    # An exception needs a reason, on many as on one.
    assert site.client.post(target, data=fields).status_code == 400
    fields |= {"alasan": "dibahas di rapat", "yakin": "1"}
    assert site.client.post(target, data=fields, follow_redirects=False).status_code == 303
    with session_scope(site.sessions) as session:
        kept = session.scalars(
            select(MismatchEvent.catatan).where(MismatchEvent.mismatch_id.in_(ids))
        ).all()
    assert kept == ["dibahas di rapat"] * 2
    # A row of another OPD is not this key's to decide.
    with session_scope(site.sessions) as session:
        other = session.scalars(select(Mismatch.id).where(Mismatch.kode_skpd != PU)).first()
    fields["ids"] = str(other)
    assert site.client.post(target, data=fields).status_code == 404


def _count(site: Site, status: str) -> int:
    with session_scope(site.sessions) as session:
        return int(
            session.scalar(
                select(func.count()).select_from(Mismatch).where(Mismatch.status == status)
            )
            or 0
        )


def test_a_refused_decision_is_said_in_bahasa_indonesia(site: Site) -> None:
    site.sign_in("planner")
    pagu = site.mismatch("pagu_berbeda")
    assert site.decide(pagu.id, "akui").status_code == 303
    again = site.decide(pagu.id, "akui")
    assert again.status_code == 409
    assert f"ketidaksesuaian #{pagu.id} berstatus &#39;diakui&#39;" in again.text
    assert "mismatch" not in re.sub(r"<[^>]+>", " ", again.text).replace("/mismatch/", "")
