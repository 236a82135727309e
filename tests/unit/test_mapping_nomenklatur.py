"""A mapped record against the imported nomenclature: names, satuan, keluaran,
successors. Pure: no database, no network."""

from __future__ import annotations

from typing import Any

import pytest

from mappings.eplanning import RenjaSubKegiatan
from mappings.nomenklatur import (
    TINGKAT_SAKIP,
    Nomenklatur,
    Referensi,
    check,
    same_name,
    siap_per_tingkat,
    siap_sakip,
)
from tests.unit.test_reconcile import record as reconcile_record

NAMA = "Penyusunan Dokumen Perencanaan Perangkat Daerah"


@pytest.mark.parametrize(
    "eprogram",
    [
        NAMA,
        NAMA.upper(),
        f"  {NAMA}  ",
        "Penyusunan  Dokumen\n\nPerencanaan Perangkat   Daerah",
        f"1.02.01.2.01.0001 {NAMA}",
        f"1.02.01.2.01.01 - {NAMA}",
        f"X.XX.01.2.01.0001: {NAMA}",
        f"{NAMA}.",
        "Penyusunan Dokumen Perencanaan Perangkat\tDaerah",
    ],
    ids=[
        "same",
        "case",
        "outer-spaces",
        "line-breaks-and-doubled-spaces",
        "code-in-front",
        "two-digit-code-and-dash",
        "support-code-and-colon",
        "trailing-full-stop",
        "tab",
    ],
)
def test_cosmetic_differences_are_the_same_name(eprogram: str) -> None:
    assert same_name(eprogram, NAMA)


@pytest.mark.parametrize(
    ("eprogram", "nomenklatur"),
    [
        ("Koordinasi dan Penyusunan DPA- SKPD", "Koordinasi dan Penyusunan DPA-SKPD"),
        ("Penyediaan Jasa Surat Menyurat", "Penyediaan Jasa Surat  Menyurat"),
        (
            "Koordinasi dan Penyusunan Laporan Keuangan Bulanan/ Triwulanan",
            "Koordinasi dan Penyusunan Laporan Keuangan Bulanan/Triwulanan",
        ),
        ("Pembangunan Jalan (Lanjutan )", "Pembangunan Jalan (Lanjutan)"),
        ("Pembangunan Jalan – Lingkungan", "Pembangunan Jalan - Lingkungan"),
    ],
    ids=["space-after-dash", "doubled-space", "space-after-slash", "space-in-brackets", "en-dash"],
)
def test_spacing_around_punctuation_is_cosmetic(eprogram: str, nomenklatur: str) -> None:
    assert same_name(eprogram, nomenklatur)


@pytest.mark.parametrize(
    ("eprogram", "nomenklatur"),
    [
        ("Penyusunan Dokumen Perencanaan", NAMA),
        ("Penyusunan Dokumen Perencanaan Perangkat Desa", NAMA),
        ("Penggantian Jembatan", "Pembangunan Jembatan"),
        ("Pembangunan Jalan dan Jembatan", "Pembangunan Jalan"),
        ("Penyusunan Dokumen Perencanaan PerangkatDaerah", NAMA),
    ],
    ids=["words-missing", "word-changed", "other-activity", "words-added", "words-run-together"],
)
def test_different_words_are_a_different_name(eprogram: str, nomenklatur: str) -> None:
    assert not same_name(eprogram, nomenklatur)


def record(**changes: Any) -> RenjaSubKegiatan:
    """The reconcile tests' record, as a support sub kegiatan counted in Dokumen."""
    keluaran = {
        "jenis": "keluaran_sub_kegiatan",
        "tolok_ukur": "Jumlah Dokumen Perencanaan Perangkat Daerah",
        "target": "1",
        "target_teks": "1 Dokumen",
        "satuan": "Dokumen",
    }
    mine = {"kode_sub_kegiatan": "1.02.01.2.01.0001", "nama_sub_kegiatan": NAMA}
    return reconcile_record(**{**mine, "indikator": [keluaran], **changes})


NOMENKLATUR = Nomenklatur.of(
    "TA 2027",
    [
        Referensi("X.XX.01.2.01.0001", NAMA, "Dokumen", None),
        Referensi(
            "1.02.02.2.01.0003",
            "Pengelolaan Pelayanan Kesehatan Ibu Hamil",
            "Orang",
            "1.02.02.2.01.0009",
        ),
        Referensi(
            "X.XX.01.2.02.0005", "Koordinasi Laporan Keuangan", "Laporan", "X.XX.01.2.02.0004"
        ),
        Referensi("1.02.02.2.01.0004", "Tanpa satuan", None, None),
    ],
)


def test_a_record_like_the_nomenclature_has_no_findings() -> None:
    assert check(record(nama_sub_kegiatan=NAMA.upper()), NOMENKLATUR) == []


def test_a_support_code_is_found_under_x_xx() -> None:
    item = NOMENKLATUR.find("1.02.01.2.01.0001")
    assert item is not None and item.kode == "X.XX.01.2.01.0001"


def test_another_name_is_nama_berbeda_with_both_names() -> None:
    [temuan] = check(record(nama_sub_kegiatan="Penyusunan Renstra"), NOMENKLATUR)
    assert temuan.kategori == "nama_berbeda"
    assert temuan.field == "nama_sub_giat"
    assert (temuan.nilai_eprogram, temuan.nilai_nomenklatur) == ("Penyusunan Renstra", NAMA)
    assert "TA 2027" in temuan.keterangan


def test_another_satuan_is_indikator_tidak_lengkap() -> None:
    indikator = [{**record().indikator[0].model_dump(), "satuan": "Laporan"}]
    [temuan] = check(record(indikator=indikator), NOMENKLATUR)
    assert temuan.kategori == "indikator_tidak_lengkap"
    assert (temuan.nilai_eprogram, temuan.nilai_nomenklatur) == ("Laporan", "Dokumen")


def test_satuan_differing_only_in_case_and_spaces_is_the_same() -> None:
    indikator = [{**record().indikator[0].model_dump(), "satuan": " dokumen "}]
    assert check(record(indikator=indikator), NOMENKLATUR) == []


def test_no_keluaran_indicator_is_found_even_without_a_nomenclature() -> None:
    for nomenklatur in (NOMENKLATUR, None):
        [temuan] = check(record(indikator=[]), nomenklatur)
        assert (temuan.kategori, temuan.field) == ("indikator_tidak_lengkap", "indikator")


def test_without_a_nomenclature_names_and_satuan_are_not_judged() -> None:
    assert check(record(nama_sub_kegiatan="Apa saja"), None) == []


def test_a_code_the_nomenclature_lacks_is_not_judged_by_name() -> None:
    assert (
        check(record(kode_sub_kegiatan="1.02.02.2.01.0009", nama_sub_kegiatan="X"), NOMENKLATUR)
        == []
    )


def test_a_nomenclature_item_without_satuan_does_not_judge_satuan() -> None:
    indikator = [{**record().indikator[0].model_dump(), "satuan": "Paket"}]
    found = check(
        record(
            kode_sub_kegiatan="1.02.02.2.01.0004",
            nama_sub_kegiatan="Tanpa satuan",
            indikator=indikator,
        ),
        NOMENKLATUR,
    )
    assert found == []


def test_successor_through_kode_sebelumnya() -> None:
    assert NOMENKLATUR.successor("1.02.02.2.01.0009") == "1.02.02.2.01.0003"
    assert NOMENKLATUR.successor("1.02.02.2.01.0008") is None


def test_a_support_successor_takes_the_records_bidang() -> None:
    assert NOMENKLATUR.successor("1.03.01.2.02.0004") == "1.03.01.2.02.0005"


def four_levels(**changes: Any) -> list[dict[str, Any]]:
    """One complete indicator at each of the four levels; ``changes`` spoil the
    keluaran sub kegiatan one."""
    base = record().indikator[0].model_dump()
    return [
        {**base, "jenis": tingkat, **(changes if tingkat == "keluaran_sub_kegiatan" else {})}
        for tingkat in TINGKAT_SAKIP
    ]


@pytest.mark.parametrize(
    ("indikator", "ready"),
    [
        (four_levels(), True),
        (four_levels(target=None, target_teks="Ada"), False),
        (four_levels(satuan=""), False),
        (four_levels(tolok_ukur=" "), False),
        (four_levels(jenis="hasil_kegiatan"), False),  # two hasil, no keluaran
        (four_levels()[1:], False),  # no capaian program
        (four_levels() + four_levels(satuan=""), True),  # one complete per level is enough
    ],
    ids=[
        "all-four",
        "text-target",
        "no-satuan",
        "no-name",
        "keluaran-missing",
        "capaian-missing",
        "one-complete-each",
    ],
)
def test_siap_sakip(indikator: list[dict[str, Any]], ready: bool) -> None:
    assert siap_sakip(record(indikator=indikator)) is ready


def test_readiness_per_level_names_the_level_that_lacks() -> None:
    indikator = [i for i in four_levels() if i["jenis"] != "hasil_kegiatan"]
    assert siap_per_tingkat(record(indikator=indikator)) == {
        "capaian_program": True,
        "keluaran_kegiatan": True,
        "hasil_kegiatan": False,
        "keluaran_sub_kegiatan": True,
    }
