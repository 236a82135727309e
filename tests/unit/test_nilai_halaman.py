"""How values read on the pages (app/web/nilai.py): tables of cases."""

from __future__ import annotations

import json

import pytest

from app.web.nilai import Dana, Indikator, kalimat, label_isian, tampilan, tandai_beda


@pytest.mark.parametrize(
    ("field", "label"),
    [
        ("capaian_prog_sub_keg[0].targetcapaian", "Target capaian program (indikator ke-1)"),
        ("capaian_prog_sub_keg[2].satuancapaian", "Satuan capaian program (indikator ke-3)"),
        ("output_giat[0].outputteks", "Indikator keluaran kegiatan (indikator ke-1)"),
        (
            "sub_keg_indikator[1].targetoutputteks",
            "Target (teks) keluaran sub kegiatan (indikator ke-2)",
        ),
        ("sub_keg_indikator_hasil[0].targethasil", "Target hasil kegiatan (indikator ke-1)"),
        ("sumber_dana[1].pagu_dana", "Pagu sumber dana ke-2"),
        ("sumber_dana[0]", "Sumber dana ke-1"),
        ("indikator[0].target", "Target indikator ke-1"),
        ("pagu", "Pagu"),
        ("nama_sub_kegiatan", "Nama sub kegiatan"),
        ("kode_sub_giat", "Kode sub kegiatan"),
        ("", "Seluruh data"),
        (None, "-"),
        ("isian_baru[0].entah", "isian_baru[0].entah"),  # unknown: as it is
    ],
)
def test_field_paths_read_as_labels(field: str | None, label: str) -> None:
    assert label_isian(field) == label


def test_indicators_of_either_system_become_rows() -> None:
    eplanning = [{"jenis": "capaian_program", "tolok_ukur": "Persentase", "target": None,
                  "target_teks": "80 %", "satuan": "%"}]  # fmt: skip
    eprogram = [{"outputteks": "Jumlah Dokumen", "targetoutput": "3", "satuanoutput": "Dokumen"}]
    assert tampilan(json.dumps(eplanning), "indikator").indikator == (
        Indikator("Capaian program", "Persentase", "80 %", "%"),
    )
    assert tampilan(json.dumps(eprogram), "sub_keg_indikator").indikator == (
        Indikator("Keluaran", "Jumlah Dokumen", "3", "Dokumen"),
    )


@pytest.mark.parametrize(
    ("value", "field", "bentuk", "teks"),
    [
        (None, "pagu", "kosong", "-"),
        ("", "pagu", "kosong", "-"),
        ("1250000000.00", "pagu", "uang", "Rp 1.250.000.000"),
        ("1250000000.50", "sumber_dana[0].pagu_dana", "uang", "Rp 1.250.000.000,50"),
        ("12O.000.000", "pagu", "teks", "12O.000.000"),  # unreadable money: as written
        ("1250000000", "kode_sub_kegiatan", "teks", "1250000000"),  # not a money field
        ('[{"broken": ', "indikator", "teks", '[{"broken": '),
        ("[1, 2", "indikator", "teks", "[1, 2"),
    ],
)
def test_plain_values(value: str | None, field: str, bentuk: str, teks: str) -> None:
    shown = tampilan(value, field)
    assert (shown.bentuk, shown.teks) == (bentuk, teks)


def test_sumber_dana_as_rupiah_lines_with_a_total() -> None:
    value = json.dumps([
        {"kode": "DAU", "nama": "Dana Alokasi Umum", "pagu": "600000000.00"},
        {"kode": "DAK", "nama": "DAK Fisik", "pagu": "300000000.00"},
    ])  # fmt: skip
    shown = tampilan(value, "sumber_dana")
    assert shown.dana == (
        Dana("DAU", "Dana Alokasi Umum", "Rp 600.000.000"),
        Dana("DAK", "DAK Fisik", "Rp 300.000.000"),
    )
    assert shown.total == "Rp 900.000.000"
    unreadable = json.dumps([{"kode_dana": "X", "nama_dana": "Y", "pagu_dana": "satu juta"}])
    assert tampilan(unreadable, "sumber_dana").total == ""  # no wrong total


@pytest.mark.parametrize(
    ("keterangan", "dibaca"),
    [
        ("Ditolak E-Planning (indikator_wajib): target kosong",
         "Ditolak E-Planning (indikator wajib belum lengkap): target kosong"),
        ("Ditolak E-Planning (skpd_tidak_dikenal): sub unit X",
         "Ditolak E-Planning (perangkat daerah atau sub unit tidak dikenal): sub unit X"),
        ("Ditolak E-Planning (None): E-Planning menjawab 422",
         "Ditolak E-Planning (tanpa kode alasan): E-Planning menjawab 422"),
        ("pagu (bukan kode) tetap", "pagu (bukan kode) tetap"),
        (None, ""),
    ],
)  # fmt: skip
def test_reason_codes_read_as_words(keterangan: str | None, dibaca: str) -> None:
    assert kalimat(keterangan) == dibaca


@pytest.mark.parametrize(
    ("a", "b", "marked_a", "marked_b"),
    [
        ("Rehab Jembatan", "Rehabilitasi Jembatan",
         "<mark>Rehab</mark> Jembatan", "<mark>Rehabilitasi</mark> Jembatan"),
        ("Jasa Gedung Kantor", "Jasa Sarana Gedung Kantor",
         "Jasa Gedung Kantor", "Jasa <mark>Sarana</mark> Gedung Kantor"),
        ("<b>", "<i>", "<mark>&lt;b&gt;</mark>", "<mark>&lt;i&gt;</mark>"),  # escaped
    ],
)  # fmt: skip
def test_the_differing_words_are_marked(a: str, b: str, marked_a: str, marked_b: str) -> None:
    assert tandai_beda(a, b) == (marked_a, marked_b)
