"""The digests' words and checks (pure): addresses and codes, what an OPD's digest
and the pemda's summary say, in Bahasa Indonesia with Rupiah and WIB."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.digests import alamat
from app.digests.susun import (
    DAFTAR_MAKS,
    BarisPeringkat,
    IsiOpd,
    IsiPemda,
    Jenis,
    Temuan,
    nilai,
    surat_opd,
    surat_pemda,
    tautan_opd,
)

KODE = "1.02.0.00.0.00.01.0000"
SEKARANG = datetime(2026, 12, 7, 1, 15, tzinfo=UTC)  # 08.15 WIB


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("perencanaan@dinkes.meranti.go.id", "perencanaan@dinkes.meranti.go.id"),
        ("  Kepala.Bappeda@Meranti.GO.ID ", "Kepala.Bappeda@meranti.go.id"),
        ("a+ringkasan@x.id", "a+ringkasan@x.id"),
    ],
)
def test_a_good_address_is_kept_with_its_domain_in_lower_case(given: str, stored: str) -> None:
    assert alamat.email(given) == stored


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ("", "kosong"),
        ("dinkes.meranti.go.id", "bukan alamat surel yang sah"),
        ("a@b", "bukan alamat surel yang sah"),
        ("a b@meranti.go.id", "bukan alamat surel yang sah"),
        ("a@meranti..go.id", "bukan alamat surel yang sah"),
        (".a@meranti.go.id", "bukan alamat surel yang sah"),
        ("a..b@meranti.go.id", "bukan alamat surel yang sah"),
        ("a@-meranti.go.id", "bukan alamat surel yang sah"),
        ("a@meranti.go.id\nBcc: x@y.id", "bukan alamat surel yang sah"),
        ("x" * 250 + "@a.id", "lebih dari 254 karakter"),
    ],
)
def test_a_bad_address_is_refused_saying_why(given: str, said: str) -> None:
    with pytest.raises(alamat.AlamatSalah, match=said):
        alamat.email(given)


def test_a_list_keeps_each_address_once_in_order() -> None:
    assert alamat.daftar(["b@x.id", "a@x.id", "b@X.ID"]) == ["b@x.id", "a@x.id"]


@pytest.mark.parametrize("kode", ["1.02", "1.02.0.00.0.00.01", "pemda", "1.02.0.00.0.00.01.000"])
def test_a_bad_opd_code_is_refused_pointing_at_the_pemda_list(kode: str) -> None:
    with pytest.raises(alamat.AlamatSalah, match=r"bukan kode_skpd.*--pemda"):
        alamat.kode_skpd(kode)
    assert alamat.kode_skpd(f" {KODE} ") == KODE


@pytest.mark.parametrize(
    ("value", "field", "shown"),
    [
        ("1250000000.00", "pagu", "Rp 1.250.000.000"),
        ("1250000000.50", "sumber_dana.0.pagu_dana", "Rp 1.250.000.000,50"),
        ("12O.000.000", "pagu", "12O.000.000"),
        ("1250000000", "nama", "1250000000"),
        (None, "pagu", "-"),
    ],
)
def test_values_read_as_the_pages_write_them(value: str | None, field: str, shown: str) -> None:
    assert nilai(value, field) == shown


def isi_opd(**changes: object) -> IsiOpd:
    base: dict[str, object] = {
        "jenis": Jenis.HARIAN,
        "pemda": "Kabupaten Kepulauan Meranti",
        "tahun_anggaran": 2027,
        "tahap": "renja",
        "kode_skpd": KODE,
        "nama_skpd": "Dinas Kesehatan",
        "dibuat": SEKARANG,
        "sejak": datetime(2026, 11, 30, 0, 0, tzinfo=UTC),
        "baru": (
            Temuan(
                7,
                "pagu_berbeda",
                "1.02.02.2.01.0001",
                "Puskesmas",
                "pagu",
                "1250000000.00",
                "1200000000.00",
            ),
        ),
        "baru_jumlah": 1,
        "lewat_batas": 3,
        "lewat_batas_tertua_hari": 21,
        "batas_hari": 14,
        "belum_ditanggapi": 5,
        "diakui_terbuka": 2,
        "status": "belum_menindaklanjuti",
        "peringkat": 1,
        "jumlah_opd": 38,
        "tautan": tautan_opd("https://sinkron.meranti.go.id", KODE, 2027, "renja"),
    }
    base.update(changes)
    return IsiOpd(**base)  # type: ignore[arg-type]


def test_an_opd_digest_says_its_counts_status_rank_and_link() -> None:
    surat = surat_opd(isi_opd())
    link = f"https://sinkron.meranti.go.id/laporan/opd/{KODE}?tahun_anggaran=2027&tahap=renja"
    assert surat.subjek == (
        "[Sinkron] Ringkasan Dinas Kesehatan: 1 temuan baru, 3 belum ditanggapi > 14 hari "
        "(Renja TA 2027)"
    )
    for text in (surat.teks, surat.html):
        assert "Belum menindaklanjuti" in text
        assert "1 dari 38 OPD" in text
        assert "per 7 Desember 2026 08.15 WIB" in text
        assert "sejak ringkasan terakhir (30 November 2026 07.00 WIB)" in text
        assert "3 (tertua 21 hari)" in text
        assert "E-Program Rp 1.250.000.000, E-Planning Rp 1.200.000.000" in text
    assert f"Lihat dan tanggapi: {link}" in surat.teks
    assert f'href="{link}"' in surat.html.replace("&amp;", "&")
    assert surat.data["temuan_baru"] == 1
    assert surat.data["belum_ditanggapi_lewat_batas"] == 3
    assert surat.data["status_tindak_lanjut"] == "belum_menindaklanjuti"
    assert surat.data["peringkat"] == 1
    assert surat.data["tautan"] == link


@pytest.mark.parametrize(
    ("changes", "subject_end"),
    [
        ({"baru": (), "baru_jumlah": 0, "lewat_batas": 0, "status": "tuntas"}, "tuntas"),
        ({"jenis": Jenis.MINGGUAN, "baru": (), "baru_jumlah": 0}, "3 belum ditanggapi > 14 hari"),
        ({"lewat_batas": 0}, ": 1 temuan baru"),
    ],
)  # fmt: skip
def test_the_subject_says_what_waits(changes: dict[str, object], subject_end: str) -> None:
    subject = surat_opd(isi_opd(**changes)).subjek
    assert subject.endswith(f"{subject_end} (Renja TA 2027)")
    assert subject.startswith(
        "[Sinkron] Ringkasan mingguan" if changes.get("jenis") else "[Sinkron] Ringkasan Dinas"
    )


def test_a_first_digest_counts_every_open_finding_and_a_long_list_is_cut() -> None:
    many = tuple(
        Temuan(i, "nama_berbeda", f"1.02.02.2.01.{i:04d}", None, "nama", "a", "b")
        for i in range(DAFTAR_MAKS)
    )
    surat = surat_opd(isi_opd(sejak=None, baru=many, baru_jumlah=DAFTAR_MAKS + 15))
    assert "Temuan terbuka (ringkasan pertama)" in surat.teks
    assert "\nTemuan terbuka:\n" in surat.teks and "<h3>Temuan terbuka</h3>" in surat.html
    assert ": 35 temuan terbuka, " in surat.subjek
    # only a pagu finding carries its two values; the rest are on the OPD's page
    assert "(E-Program " not in surat.teks
    assert surat.teks.count("\n- #") == DAFTAR_MAKS
    assert "… dan 15 lainnya" in surat.teks


def test_names_are_escaped_in_the_html() -> None:
    surat = surat_opd(isi_opd(nama_skpd="Dinas <b>&</b>"))
    assert "Dinas <b>" not in surat.html
    assert "Dinas &lt;b&gt;&amp;&lt;/b&gt;" in surat.html


def test_the_pemda_summary_lists_who_has_not_followed_up_and_the_ranking() -> None:
    c, b, a = (f"{n}.00.0.00.0.00.0{n}.0000" for n in (3, 2, 1))
    rows = (
        BarisPeringkat(1, c, "Dinas C", "belum_menindaklanjuti", 4, 15, 0),
        BarisPeringkat(2, b, "Dinas B", "sedang_menindaklanjuti", 0, None, 3),
        BarisPeringkat(3, a, "Dinas A", "tuntas", 0, None, 0),
    )
    isi = IsiPemda(Jenis.MINGGUAN, "Kabupaten Kepulauan Meranti", 2027, "renja", SEKARANG, 14, rows,
                   "https://s.id/laporan?tahun_anggaran=2027&tahap=renja")  # fmt: skip
    surat = surat_pemda(isi)
    assert surat.subjek == (
        "[Sinkron] Ringkasan mingguan pemda: 1 OPD belum menindaklanjuti (Renja TA 2027)"
    )
    belum = surat.teks.split("Peringkat tindak lanjut:")[0]
    assert "Dinas C (3.00.0.00.0.00.03.0000)" in belum
    assert "Dinas B" not in belum and "Dinas A" not in belum
    assert (
        "1 | Dinas C (3.00.0.00.0.00.03.0000) | Belum menindaklanjuti | 4 | 15 hari | 0"
        in surat.teks
    )
    assert surat.html.index("Dinas C") < surat.html.index("Dinas B") < surat.html.index("Dinas A")
    assert surat.data["belum_menindaklanjuti"] == ["3.00.0.00.0.00.03.0000"]
    assert [r["peringkat"] for r in surat.data["peringkat"]] == [1, 2, 3]


def test_a_pemda_where_everyone_followed_up_says_so() -> None:
    isi = IsiPemda(
        Jenis.SEKARANG, "Kabupaten Kepulauan Meranti", 2027, "renja", SEKARANG, 14, (), "/laporan"
    )
    surat = surat_pemda(isi)
    assert surat.subjek.startswith("[Sinkron] Ringkasan pemda: 0 OPD")
    assert "Tidak ada OPD dengan temuan yang belum ditanggapi lebih dari 14 hari." in surat.teks
