"""Raw E-Program sub kegiatan → E-Planning record, or the reasons it cannot be."""

import copy
import itertools
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.sync.copies import rank
from mappings.eplanning import NaturalKey, StoredRenjaSubKegiatan, changed_fields, content_hash
from mappings.normalise import WIB
from mappings.subkegiatan import Mapped, MappingProblem, Unmappable, map_sub_kegiatan

NAMA = (
    "Koordinasi/Sinergi Perencanaan dan Pelaksanaan Kegiatan Pemerintahan dengan Perangkat "
    "Daerah dan Instansi Vertikal Terkait"
)

# The example RECORD of the E-Program contract, verbatim.
RECORD: dict[str, Any] = {
    "id": "8156",
    "kode_sbl": "529.529.797.3705.13480",
    "tahun_anggaran": "2026",
    "tahap": "renja",
    "id_skpd": "529",
    "kode_skpd": "7.01.0.00.0.00.06.0000",
    "nama_skpd": "Kecamatan Tebing Tinggi",
    "id_sub_skpd": "529",
    "kode_sub_skpd": "7.01.0.00.0.00.06.0000",
    "nama_sub_skpd": "Kecamatan Tebing Tinggi",
    "kode_urusan": "7",
    "nama_urusan": "UNSUR KEWILAYAHAN",
    "kode_bidang_urusan": "7.01",
    "nama_bidang_urusan": "KECAMATAN",
    "kode_program": "7.01.02",
    "nama_program": "PROGRAM PENYELENGGARAAN PEMERINTAHAN DAN PELAYANAN PUBLIK",
    "kode_giat": "7.01.02.2.01",
    "nama_giat": "Koordinasi Penyelenggaraan Kegiatan\n\nPemerintahan di Tingkat Kecamatan",
    "kode_sub_giat": "7.01.02.2.01.01",
    "nama_sub_giat": f"7.01.02.2.01.01 {NAMA}",
    "pagu": "296187500",
    "pagu_n_depan": "1.176.533.636,00",
    "waktu_awal": "1",
    "waktu_akhir": "12",
    "sasaran": "Aparatur Kecamatan, Kelurahan, Desa dan Masyarakat",
    "sub_keg_indikator": [
        {
            "outputteks": "Jumlah Laporan Koordinasi ...",
            "targetoutput": "1",
            "satuanoutput": "Laporan",
            "targetoutputteks": "1 Laporan",
        }
    ],
    "sub_keg_indikator_hasil": [
        {
            "hasilteks": "Indeks kepuasan layanan",
            "targethasil": "8.3",
            "satuanhasil": "Nilai",
            "targethasilteks": "8.3 Nilai",
        }
    ],
    "capaian_prog_sub_keg": [
        {
            "capaianteks": "Persentase desa yang mendapat pembinaan",
            "targetcapaian": "100",
            "satuancapaian": "%",
            "targetcapaianteks": "100 %",
        }
    ],
    "output_giat": [
        {
            "outputteks": "Jumlah laporan hasil koordinasi",
            "targetoutput": "17",
            "satuanoutput": "Laporan",
            "targetoutputteks": "17 Laporan",
        }
    ],
    "sumber_dana": [
        {
            "kode_dana": "1.1",
            "nama_dana": "[DANA UMUM] - PENDAPATAN ASLI DAERAH (PAD)",
            "pagu_dana": "296187500",
        }
    ],
    "lokasi_sub_keg": [
        {
            "daerahteks": "Kab. Kepulauan Meranti",
            "camatteks": "Tebing Tinggi",
            "lurahteks": "Semua Kelurahan",
        }
    ],
    "active": "1",
    "update_at": "2026-01-05 10:22:33",
}

# What E-Planning must receive for RECORD, written out by hand from both contracts.
EXPECTED_BODY: dict[str, Any] = {
    "tahun_anggaran": 2026,
    "tahap": "renja",
    "kode_skpd": "7.01.0.00.0.00.06.0000",
    "kode_sub_skpd": "7.01.0.00.0.00.06.0000",
    "nama_sub_skpd": "Kecamatan Tebing Tinggi",
    "kode_sub_kegiatan": "7.01.02.2.01.0001",
    "nama_sub_kegiatan": NAMA,
    "pagu": "296187500.00",
    "pagu_tahun_depan": "1176533636.00",
    "bulan_mulai": 1,
    "bulan_selesai": 12,
    "indikator": [
        {
            "jenis": "capaian_program",
            "tolok_ukur": "Persentase desa yang mendapat pembinaan",
            "target": "100",
            "target_teks": "100 %",
            "satuan": "%",
        },
        {
            "jenis": "keluaran_kegiatan",
            "tolok_ukur": "Jumlah laporan hasil koordinasi",
            "target": "17",
            "target_teks": "17 Laporan",
            "satuan": "Laporan",
        },
        {
            "jenis": "hasil_kegiatan",
            "tolok_ukur": "Indeks kepuasan layanan",
            "target": "8.3",
            "target_teks": "8.3 Nilai",
            "satuan": "Nilai",
        },
        {
            "jenis": "keluaran_sub_kegiatan",
            "tolok_ukur": "Jumlah Laporan Koordinasi ...",
            "target": "1",
            "target_teks": "1 Laporan",
            "satuan": "Laporan",
        },
    ],
    "sumber_dana": [
        {"kode": "1.1", "nama": "PENDAPATAN ASLI DAERAH (PAD)", "pagu": "296187500.00"}
    ],
    "lokasi": ["Kab. Kepulauan Meranti, Tebing Tinggi, Semua Kelurahan"],
    "aktif": True,
    "sumber": {"sistem": "e-program", "id": "8156", "diperbarui_pada": "2026-01-05T10:22:33+07:00"},
}


def raw(**changes: Any) -> dict[str, Any]:
    result = copy.deepcopy(RECORD)
    result.update(changes)
    return result


def mapped(**changes: Any) -> Mapped:
    result = map_sub_kegiatan(raw(**changes))
    assert isinstance(result, Mapped), result
    return result


def body(**changes: Any) -> dict[str, Any]:
    return mapped(**changes).record.to_api()


def unmappable(data: Any, **kwargs: Any) -> Unmappable:
    result = map_sub_kegiatan(data, **kwargs)
    assert isinstance(result, Unmappable), result
    assert result.problems, "an unmappable record must say why"
    return result


def problems(data: Any, **kwargs: Any) -> list[tuple[str, str, str | None, str]]:
    return [(p.kategori, p.field, p.nilai, p.alasan) for p in unmappable(data, **kwargs).problems]


CONTRACT = Path(__file__).parents[3] / "shared" / "contracts" / "eprogram-api.md"


def test_record_fixture_is_the_contract_example() -> None:
    if not CONTRACT.exists():
        pytest.skip(f"{CONTRACT} is absent")
    text = CONTRACT.read_text(encoding="utf-8").split("A RECORD", 1)[1]
    example = text.split("```json", 1)[1].split("```", 1)[0]
    assert json.loads(example) == RECORD


def test_the_contract_record_maps_to_the_e_planning_body() -> None:
    result = mapped()
    assert result.record.to_api() == EXPECTED_BODY
    assert result.source_id == "8156"
    assert result.updated_at == datetime(2026, 1, 5, 10, 22, 33, tzinfo=WIB)
    assert result.record.natural_key() == NaturalKey(
        2026, "renja", "7.01.0.00.0.00.06.0000", "7.01.02.2.01.0001"
    )


def test_mapped_record_round_trips_through_e_planning_unchanged() -> None:
    record = mapped().record
    answer = record.to_api() | {
        "versi": 1,
        "diperbarui_oleh": "integrasi-eprogram",
        "diperbarui_pada": "2026-01-06T01:00:09+07:00",
        "berubah": True,
    }
    stored = StoredRenjaSubKegiatan.from_api(answer)
    assert stored.to_api() == record.to_api()
    assert content_hash(stored) == content_hash(record)
    assert changed_fields(record, stored) == []


def test_a_change_in_e_program_changes_the_hash() -> None:
    assert content_hash(mapped(pagu="296187501").record) != content_hash(mapped().record)


def test_reformatted_but_equal_source_values_hash_equal() -> None:
    reformatted = mapped(pagu="296.187.500,00", nama_sub_giat=f"  {NAMA}\n", waktu_awal=1)
    assert content_hash(reformatted.record) == content_hash(mapped().record)


# --- money ---------------------------------------------------------------


@pytest.mark.parametrize(
    "pagu",
    ["296187500", "296187500.00", "296.187.500,00", "296.187.500", "296,187,500.00", 296187500],
)
def test_every_money_format_gives_the_same_pagu(pagu: object) -> None:
    assert body(pagu=pagu)["pagu"] == "296187500.00"


def test_pagu_with_cents_keeps_them() -> None:
    assert body(pagu="1.176.533.636,50")["pagu"] == "1176533636.50"


@pytest.mark.parametrize("empty", ["", None, "  "])
def test_empty_pagu_tahun_depan_means_none(empty: object) -> None:
    assert body(pagu_n_depan=empty)["pagu_tahun_depan"] is None


def test_missing_pagu_tahun_depan_means_none() -> None:
    data = raw()
    del data["pagu_n_depan"]
    result = map_sub_kegiatan(data)
    assert isinstance(result, Mapped)
    assert result.record.pagu_tahun_depan is None


def test_json_float_pagu_is_read_through_its_text() -> None:
    assert body(pagu=296187500.1)["pagu"] == "296187500.10"


# --- codes ---------------------------------------------------------------


def test_two_digit_code_is_widened_and_noted() -> None:
    result = mapped(kode_sub_giat="7.01.02.2.01.01")
    assert result.record.kode_sub_kegiatan == "7.01.02.2.01.0001"
    assert result.notes == (
        MappingProblem(
            "catatan",
            "kode_sub_giat",
            "7.01.02.2.01.01",
            "Nomor sub kegiatan dua digit diperluas menjadi 7.01.02.2.01.0001",
        ),
    )


def test_four_digit_code_passes_without_a_note() -> None:
    result = mapped(kode_sub_giat="7.01.02.2.01.0001")
    assert result.record.kode_sub_kegiatan == "7.01.02.2.01.0001"
    assert result.notes == ()


def test_placeholder_bidang_is_resolved_from_the_opds_kode_skpd() -> None:
    result = mapped(
        kode_skpd="1.02.0.00.0.00.01.0000",
        nama_skpd="Dinas Kesehatan",
        kode_sub_skpd="1.02.0.00.0.00.01.0000",
        kode_sub_giat="X.XX.01.2.01.0001",
        nama_sub_giat="X.XX.01.2.01.0001 Penyusunan Dokumen Perencanaan Perangkat Daerah",
    )
    assert result.record.kode_sub_kegiatan == "1.02.01.2.01.0001"
    assert result.record.nama_sub_kegiatan == "Penyusunan Dokumen Perencanaan Perangkat Daerah"
    assert [note.alasan for note in result.notes] == [
        "Bidang X.XX diganti dengan 1.02 dari kode SKPD"
    ]


def test_placeholder_with_a_two_digit_number_is_resolved_and_widened() -> None:
    result = mapped(kode_sub_giat="x.xx.01.2.01.01")
    assert result.record.kode_sub_kegiatan == "7.01.01.2.01.0001"
    assert len(result.notes) == 2


def test_placeholder_under_a_malformed_kode_skpd_is_a_format_problem() -> None:
    assert problems(raw(kode_skpd="7.01", kode_sub_giat="X.XX.01.2.01.0001")) == [
        (
            "format_kode",
            "kode_sub_giat",
            "X.XX.01.2.01.0001",
            "Kode sub kegiatan memakai bidang X.XX, tetapi kode SKPD kosong atau salah format",
        )
    ]


@pytest.mark.parametrize("kode", ["1.01.02.1.01.0001", "1.02.02.6.01.01", "2.09.02.8.01.0003"])
def test_provincial_code_is_refused_for_a_kabupaten(kode: str) -> None:
    result = unmappable(raw(kode_sub_giat=kode))
    assert [(p.kategori, p.field, p.nilai) for p in result.problems] == [
        ("format_kode", "kode_sub_giat", kode)
    ]
    assert "kode provinsi" in result.problems[0].alasan
    assert result.natural_key is not None  # still worked out, for the report


def test_provincial_code_is_fine_for_a_province() -> None:
    result = map_sub_kegiatan(raw(kode_sub_giat="1.01.02.1.01.0001"), jenis_pemda="PROV")
    assert isinstance(result, Mapped)
    assert result.record.kode_sub_kegiatan == "1.01.02.1.01.0001"


@pytest.mark.parametrize("kode", ["7.01.02.2.01", "7.01.02.2.01.001", "tujuh"])
def test_code_of_the_wrong_shape_is_a_format_problem(kode: str) -> None:
    assert [p[:3] for p in problems(raw(kode_sub_giat=kode))] == [
        ("format_kode", "kode_sub_giat", kode)
    ]


# --- names ---------------------------------------------------------------


@pytest.mark.parametrize(
    "nama",
    [
        f"7.01.02.2.01.01 {NAMA}",  # the code as a prefix
        f"7.01.02.2.01.0001 {NAMA}",  # the code, four-digit, as a prefix
        NAMA.replace(" dengan ", "\ndengan\n"),  # line breaks
        NAMA.replace(" ", "  "),  # doubled spaces
        f"{NAMA}   ",  # stray trailing spaces
        f"\t{NAMA}",
    ],
)
def test_names_are_cleaned(nama: str) -> None:
    assert body(nama_sub_giat=nama)["nama_sub_kegiatan"] == NAMA


def test_sub_unit_name_is_cleaned_too() -> None:
    assert body(nama_sub_skpd=" Kecamatan  Tebing\nTinggi ")["nama_sub_skpd"] == (
        "Kecamatan Tebing Tinggi"
    )


def test_empty_sub_unit_falls_back_to_the_opd() -> None:
    result = body(kode_sub_skpd="", nama_sub_skpd=None)
    assert result["kode_sub_skpd"] == "7.01.0.00.0.00.06.0000"
    assert result["nama_sub_skpd"] == "Kecamatan Tebing Tinggi"


def test_a_real_sub_unit_is_kept() -> None:
    result = body(kode_sub_skpd="7.01.0.00.0.00.06.0001", nama_sub_skpd="Kelurahan Alah Air")
    assert (result["kode_skpd"], result["kode_sub_skpd"], result["nama_sub_skpd"]) == (
        "7.01.0.00.0.00.06.0000",
        "7.01.0.00.0.00.06.0001",
        "Kelurahan Alah Air",
    )


def test_empty_name_is_a_problem() -> None:
    assert problems(raw(nama_sub_giat="7.01.02.2.01.01 ")) == [
        (
            "data_tidak_valid",
            "nama_sub_giat",
            "7.01.02.2.01.01 ",
            "Nama sub kegiatan wajib diisi",
        )
    ]


# --- indicators ------------------------------------------------------------


def _keluaran(target: object, satuan: str = "Laporan", teks: str = "") -> dict[str, Any]:
    return {
        "outputteks": "Jumlah Laporan",
        "targetoutput": target,
        "satuanoutput": satuan,
        "targetoutputteks": teks,
    }


@pytest.mark.parametrize(
    ("target", "satuan", "expected_target", "expected_teks"),
    [
        ("100", "%", "100", "100 %"),
        ("8,5", "Nilai", "8.5", "8,5 Nilai"),
        ("8.30", "Nilai", "8.3", "8.30 Nilai"),
        ("100 %", "%", "100", "100 %"),
        ("12 Bulan", "Bulan", "12", "12 Bulan"),
        (12, "Bulan", "12", "12 Bulan"),
        ("", "Laporan", None, ""),
        ("Ada", "", None, "Ada"),
    ],
)
def test_each_target_form(
    target: object, satuan: str, expected_target: str | None, expected_teks: str
) -> None:
    indikator = body(sub_keg_indikator=[_keluaran(target, satuan)])["indikator"][-1]
    assert indikator["jenis"] == "keluaran_sub_kegiatan"
    assert (indikator["target"], indikator["target_teks"]) == (expected_target, expected_teks)


def test_non_numeric_or_empty_target_is_kept_and_noted_for_the_planners() -> None:
    result = mapped(sub_keg_indikator=[_keluaran("Ada"), _keluaran("")])
    assert [(n.kategori, n.field, n.nilai, n.alasan) for n in result.notes[1:]] == [
        (
            "indikator_tidak_lengkap",
            "sub_keg_indikator[0].targetoutput",
            "Ada",
            "Target bukan angka",
        ),
        ("indikator_tidak_lengkap", "sub_keg_indikator[1].targetoutput", "", "Target kosong"),
    ]


def test_indicator_rows_without_a_tolok_ukur_are_dropped() -> None:
    empty_row = {"outputteks": " ", "targetoutput": "", "satuanoutput": "", "targetoutputteks": ""}
    result = body(
        sub_keg_indikator=[empty_row, _keluaran("3")],
        sub_keg_indikator_hasil=[{"hasilteks": None}],
        capaian_prog_sub_keg=[],
        output_giat=None,
    )
    assert [(i["jenis"], i["target"]) for i in result["indikator"]] == [
        ("keluaran_sub_kegiatan", "3")
    ]


def test_empty_indicator_lists_may_come_as_null_or_empty_text() -> None:
    result = body(sub_keg_indikator=None, sub_keg_indikator_hasil="", capaian_prog_sub_keg=[])
    assert [i["jenis"] for i in result["indikator"]] == ["keluaran_kegiatan"]


def test_indicator_text_is_cleaned() -> None:
    row = {
        "outputteks": " Jumlah\nLaporan  Koordinasi ",
        "targetoutput": " 1 ",
        "satuanoutput": "Laporan ",
    }
    indikator = body(sub_keg_indikator=[row])["indikator"][-1]
    assert (indikator["tolok_ukur"], indikator["satuan"], indikator["target_teks"]) == (
        "Jumlah Laporan Koordinasi",
        "Laporan",
        "1 Laporan",
    )


# --- sumber dana, lokasi, months, active, time ------------------------------


def test_sumber_dana_tag_is_stripped_and_blank_rows_dropped() -> None:
    rows = [
        {"kode_dana": "", "nama_dana": "", "pagu_dana": ""},
        {"kode_dana": "1.2", "nama_dana": "[DAK FISIK] - DAK Fisik Jalan", "pagu_dana": "1.000,50"},
        {"kode_dana": "1.1", "nama_dana": "PAD", "pagu_dana": 5},
    ]
    assert body(sumber_dana=rows)["sumber_dana"] == [
        {"kode": "1.2", "nama": "DAK Fisik Jalan", "pagu": "1000.50"},
        {"kode": "1.1", "nama": "PAD", "pagu": "5.00"},
    ]


def test_lokasi_joins_the_non_empty_parts() -> None:
    rows = [
        {"daerahteks": "Kab. Kepulauan Meranti", "camatteks": "", "lurahteks": None},
        {
            "daerahteks": "Kab. Kepulauan Meranti",
            "camatteks": " Rangsang\n",
            "lurahteks": "Tanjung Samak",
        },
        {"daerahteks": "", "camatteks": "", "lurahteks": ""},
    ]
    assert body(lokasi_sub_keg=rows)["lokasi"] == [
        "Kab. Kepulauan Meranti",
        "Kab. Kepulauan Meranti, Rangsang, Tanjung Samak",
    ]


def test_months_come_from_waktu_awal_and_waktu_akhir() -> None:
    result = body(waktu_awal=3, waktu_akhir=" 09 ")
    assert (result["bulan_mulai"], result["bulan_selesai"]) == (3, 9)


@pytest.mark.parametrize(
    ("active", "aktif"),
    [
        ("1", True),
        ("0", False),
        (1, True),
        (0, False),
        (True, True),
        ("true", True),
        (False, False),
    ],
)
def test_each_active_spelling(active: object, aktif: bool) -> None:
    assert body(active=active)["aktif"] is aktif


def test_update_at_is_local_wib_time() -> None:
    result = mapped(update_at="2026-01-05 23:59:59")
    assert result.updated_at.utcoffset() == timedelta(hours=7)
    assert result.updated_at.isoformat() == "2026-01-05T23:59:59+07:00"
    assert result.record.to_api()["sumber"]["diperbarui_pada"] == "2026-01-05T23:59:59+07:00"


@pytest.mark.parametrize(
    ("tahap", "expected"),
    [("APBD Perubahan", "apbd_perubahan"), ("KUA-PPAS", "kua_ppas"), (" rkpd ", "rkpd")],
)
def test_tahap_spellings(tahap: str, expected: str) -> None:
    assert body(tahap=tahap)["tahap"] == expected


def test_unknown_fields_are_ignored() -> None:
    result = body(
        kolom_baru="apa saja", ids={"x": 1}, sub_keg_indikator=[_keluaran("1") | {"extra": [1]}]
    )
    assert result["indikator"][-1]["tolok_ukur"] == "Jumlah Laporan"
    assert "kolom_baru" not in result


# --- unmappable --------------------------------------------------------------


def test_garbage_pagu_is_a_problem_with_the_field_the_value_and_a_reason() -> None:
    result = unmappable(raw(pagu="12abc"))
    assert result.problems == (
        MappingProblem(
            "data_tidak_valid", "pagu", "12abc", "Pagu tidak dapat dibaca sebagai angka"
        ),
    )
    assert result.source_id == "8156"
    assert result.updated_at == datetime(2026, 1, 5, 10, 22, 33, tzinfo=WIB)
    assert result.natural_key == NaturalKey(
        2026, "renja", "7.01.0.00.0.00.06.0000", "7.01.02.2.01.0001"
    )


def test_negative_pagu_is_a_problem() -> None:
    assert problems(raw(pagu="-5")) == [
        ("data_tidak_valid", "pagu", "-5", "Pagu tidak boleh negatif")
    ]


def test_months_out_of_order_are_a_problem_on_waktu_akhir() -> None:
    assert problems(raw(waktu_awal="7", waktu_akhir="3")) == [
        ("data_tidak_valid", "waktu_akhir", "3", "Bulan selesai lebih awal dari bulan mulai")
    ]


def test_all_problems_of_a_record_are_collected_at_once() -> None:
    data = raw(
        pagu="banyak",
        pagu_n_depan="-",
        waktu_awal="13",
        active="ya",
        tahap="final",
        tahun_anggaran="26",
        kode_sub_giat="1.01.02.1.01.0001",
        update_at="kemarin",
        sumber_dana=[{"kode_dana": "1.1", "nama_dana": "PAD", "pagu_dana": "n/a"}],
    )
    found = {(p.field, p.kategori) for p in unmappable(data).problems}
    assert found == {
        ("pagu", "data_tidak_valid"),
        ("pagu_n_depan", "data_tidak_valid"),
        ("waktu_awal", "data_tidak_valid"),
        ("active", "data_tidak_valid"),
        ("tahap", "data_tidak_valid"),
        ("tahun_anggaran", "data_tidak_valid"),
        ("kode_sub_giat", "format_kode"),
        ("update_at", "data_tidak_valid"),
        ("sumber_dana[0].pagu_dana", "data_tidak_valid"),
    }


def test_year_out_of_range_is_a_problem() -> None:
    assert problems(raw(tahun_anggaran="1926")) == [
        (
            "data_tidak_valid",
            "tahun_anggaran",
            "1926",
            "Tahun anggaran di luar rentang 2000 sampai 2100",
        )
    ]


def test_non_dict_list_items_are_problems_not_crashes() -> None:
    result = unmappable(raw(sumber_dana=["1.1", {"kode_dana": "1.2"}], output_giat=[None]))
    assert [(p.field, p.nilai, p.alasan) for p in result.problems] == [
        ("output_giat[0]", None, "Indikator keluaran kegiatan: output_giat[0] harus berupa objek"),
        ("sumber_dana[0]", "1.1", "Sumber dana: sumber_dana[0] harus berupa objek"),
    ]


def test_a_list_sent_as_text_or_a_scalar_sent_as_an_object_is_a_problem() -> None:
    assert problems(raw(lokasi_sub_keg="Tebing Tinggi", pagu={"nilai": 1})) == [
        ("data_tidak_valid", "pagu", '{"nilai": 1}', "Pagu harus berupa teks atau angka"),
        ("data_tidak_valid", "lokasi_sub_keg", "Tebing Tinggi", "Lokasi harus berupa daftar"),
    ]


def test_an_empty_record_lists_every_missing_field() -> None:
    result = unmappable({})
    assert result.source_id is None
    assert result.natural_key is None
    assert {p.field for p in result.problems} == {
        "id",
        "update_at",
        "tahun_anggaran",
        "tahap",
        "kode_skpd",
        "kode_sub_giat",
        "nama_sub_giat",
        "pagu",
        "waktu_awal",
        "waktu_akhir",
        "active",
    }
    assert all(p.alasan for p in result.problems)


def test_something_that_is_not_a_record_is_unmappable() -> None:
    assert problems(["8156"]) == [("data_tidak_valid", "", '["8156"]', "Rekaman bukan objek JSON")]


def test_a_bug_in_the_mapping_still_gives_an_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: object) -> None:
        raise KeyError("oops")

    monkeypatch.setattr("mappings.subkegiatan._map", broken)
    result = unmappable(raw())
    assert [(p.field, p.alasan) for p in result.problems] == [
        ("", "Kesalahan tak terduga saat memetakan (KeyError('oops'))")
    ]


_ODD_VALUES: list[object] = [None, "", " ", "abc", "-1", 0, 1.5, True, [], [None], {}, {"a": 1}]


@pytest.mark.parametrize("field", sorted(RECORD))
def test_any_odd_value_in_any_field_gives_an_answer_not_an_exception(field: str) -> None:
    for value in _ODD_VALUES:
        result = map_sub_kegiatan(raw(**{field: value}))
        assert isinstance(result, Mapped | Unmappable)
        if isinstance(result, Unmappable):
            assert result.problems
            # Bad data must be explained by a rule, not caught by the safety net.
            assert not any("tak terduga" in p.alasan for p in result.problems), result


# --- duplicates --------------------------------------------------------------


def latest(*copies: Mapped) -> Mapped:
    """The copy that supersedes the others, by the rule the sync applies."""
    return max(copies, key=lambda c: rank(c.record.aktif, c.updated_at, c.source_id))


def test_later_copy_wins() -> None:
    early = mapped(id="9000", update_at="2026-01-05 10:22:33")
    late = mapped(id="8156", update_at="2026-01-05 10:22:34", pagu="1")
    assert latest(early, late) is late
    assert latest(late, early) is late


def test_a_tie_is_broken_by_the_larger_numeric_id_in_either_order() -> None:
    small, large = mapped(id="999"), mapped(id="1000")  # "999" > "1000" as text
    assert latest(small, large) is large
    assert latest(large, small) is large


def test_duplicates_share_a_natural_key() -> None:
    copies = [mapped(id=str(i), update_at=f"2026-01-05 10:22:3{i}") for i in (3, 5, 4)]
    assert len({copy.record.natural_key() for copy in copies}) == 1
    assert latest(*copies).source_id == "5"


# --- the real nomenclature -----------------------------------------------------

NOMENKLATUR = Path(__file__).parents[3] / "shared" / "data" / "nomenklatur-subkegiatan-ta2027.xlsx"


def test_every_real_kabkot_code_passes_and_every_province_only_level_is_refused() -> None:
    if not NOMENKLATUR.exists():
        pytest.skip(f"{NOMENKLATUR} is absent")
    openpyxl = pytest.importorskip("openpyxl")
    sheet = openpyxl.load_workbook(NOMENKLATUR, read_only=True).worksheets[0]
    rows = itertools.islice(sheet.iter_rows(values_only=True), 1, None)
    codes = {(str(row[0]), str(row[4]).split()[0]) for row in rows if row[4]}
    outcomes = {
        (jenis, kode.split(".")[3], isinstance(map_sub_kegiatan(raw(kode_sub_giat=kode)), Mapped))
        for jenis, kode in codes
    }
    assert {o for o in outcomes if o[0] == "KABKOT"} == {
        ("KABKOT", level, True) for level in "23457"
    }
    assert {o for o in outcomes if o[1] in "168"} == {("PROV", level, False) for level in "168"}
    assert len(codes) > 7000
