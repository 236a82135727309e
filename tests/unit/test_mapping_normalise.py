"""The pure helpers that read E-Program's untidy text."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from mappings.normalise import (
    WIB,
    clean_name,
    parse_active,
    parse_money,
    parse_money_optional,
    parse_month,
    parse_target,
    parse_wib,
    resolve_bidang_placeholder,
    strip_tag,
    widen_kode_sub_kegiatan,
)

# --- money ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("296187500", Decimal("296187500")),
        ("296187500.00", Decimal("296187500.00")),
        ("1.176.533.636,00", Decimal("1176533636.00")),
        ("1.176.533.636", Decimal("1176533636")),
        ("296,187,500.00", Decimal("296187500.00")),
        ("296,187,500", Decimal("296187500")),
        ("296187500,50", Decimal("296187500.50")),
        ("1.200", Decimal("1200")),  # dot before three digits groups thousands
        ("0.125", Decimal("0.125")),  # ... but not after a leading zero
        (" 296187500 ", Decimal("296187500")),
        ("Rp 1.500.000,-", Decimal("1500000")),
        ("-5", Decimal("-5")),
        (296187500, Decimal("296187500")),
        (Decimal("12.50"), Decimal("12.50")),
    ],
)
def test_parse_money_reads_every_format_e_program_sends(raw: object, expected: Decimal) -> None:
    result = parse_money(raw)
    assert result == expected
    assert str(result) == str(expected)  # exact digits, not merely equal


def test_parse_money_reads_a_json_float_through_its_text_not_its_binary_value() -> None:
    assert parse_money(0.1) == Decimal("0.1")
    assert parse_money(296187500.5) == Decimal("296187500.5")


@pytest.mark.parametrize(
    "raw",
    ["12abc", "1.2.3", "1,176.533,636", "1.176.533.636.00", "Rp", "-", "1e5", True, [1], "١٢٣"],
)
def test_parse_money_refuses_what_it_cannot_read_with_an_indonesian_reason(raw: object) -> None:
    with pytest.raises(ValueError, match="tidak dapat dibaca sebagai angka"):
        parse_money(raw)


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_empty_money_is_an_error_for_parse_money_and_none_for_the_optional_form(
    raw: object,
) -> None:
    with pytest.raises(ValueError, match="kosong"):
        parse_money(raw)
    assert parse_money_optional(raw) is None


def test_parse_money_optional_reads_a_value_like_parse_money() -> None:
    assert parse_money_optional("1.176.533.636,00") == Decimal("1176533636.00")


# --- codes ---------------------------------------------------------------


def test_two_digit_sub_kegiatan_number_is_widened() -> None:
    assert widen_kode_sub_kegiatan("7.01.02.2.01.01") == "7.01.02.2.01.0001"
    assert widen_kode_sub_kegiatan("1.02.02.2.01.17") == "1.02.02.2.01.0017"


def test_four_digit_code_is_unchanged() -> None:
    assert widen_kode_sub_kegiatan("1.02.02.2.01.0001") == "1.02.02.2.01.0001"


@pytest.mark.parametrize(
    "kode", ["X.XX.01.2.01.0001", "7.01.02.2.01", "7.01.02.2.01.001", "7.1.02.2.01.0001", "abc"]
)
def test_widening_refuses_a_code_of_the_wrong_shape(kode: str) -> None:
    with pytest.raises(ValueError, match="tidak berbentuk kode sub kegiatan"):
        widen_kode_sub_kegiatan(kode)


def test_placeholder_bidang_takes_the_opds_main_bidang_from_kode_skpd() -> None:
    kode = resolve_bidang_placeholder("X.XX.01.2.01.0001", "1.02.0.00.0.00.01.0000")
    assert kode == "1.02.01.2.01.0001"


def test_code_without_placeholder_is_returned_as_is() -> None:
    assert resolve_bidang_placeholder("7.01.02.2.01.01", None) == "7.01.02.2.01.01"


@pytest.mark.parametrize("kode_skpd", [None, "", "1.02", "Dinas Kesehatan"])
def test_placeholder_cannot_be_resolved_without_a_well_formed_kode_skpd(
    kode_skpd: str | None,
) -> None:
    with pytest.raises(ValueError, match=r"X\.XX"):
        resolve_bidang_placeholder("X.XX.01.2.01.0001", kode_skpd)


# --- names ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "kode", "expected"),
    [
        ("7.01.02.2.01.01 Koordinasi/Sinergi Perencanaan", None, "Koordinasi/Sinergi Perencanaan"),
        ("7.01.02.2.01.0001 Koordinasi", "7.01.02.2.01.01", "Koordinasi"),
        ("X.XX.01.2.01.0001 - Penyusunan Dokumen", None, "Penyusunan Dokumen"),
        ("A-01 Belanja Rutin", "A-01", "Belanja Rutin"),
        (
            "Koordinasi Penyelenggaraan Kegiatan\n\nPemerintahan",
            None,
            "Koordinasi Penyelenggaraan Kegiatan Pemerintahan",
        ),
        ("Penyusunan  Dokumen\tPerencanaan ", None, "Penyusunan Dokumen Perencanaan"),
        ("  Evaluasi Kinerja   ", None, "Evaluasi Kinerja"),
        ("Pembangunan 1.000 Rumah", None, "Pembangunan 1.000 Rumah"),
        (None, None, ""),
    ],
)
def test_clean_name(raw: str | None, kode: str | None, expected: str) -> None:
    assert clean_name(raw, kode) == expected


def test_strip_tag_drops_the_funding_category_tag() -> None:
    assert strip_tag("[DANA UMUM] - PENDAPATAN ASLI DAERAH (PAD)") == "PENDAPATAN ASLI DAERAH (PAD)"
    assert strip_tag("DANA ALOKASI KHUSUS") == "DANA ALOKASI KHUSUS"


# --- targets -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "satuan", "teks", "expected"),
    [
        ("100", "%", "", (Decimal("100"), "100 %")),
        ("8,5", "Nilai", None, (Decimal("8.5"), "8,5 Nilai")),
        ("8.3", "Nilai", "8.3 Nilai", (Decimal("8.3"), "8.3 Nilai")),
        ("100 %", "%", None, (Decimal("100"), "100 %")),
        ("12 Bulan", "Bulan", "", (Decimal("12"), "12 Bulan")),
        ("1.200 Orang", "Orang", None, (Decimal("1200"), "1.200 Orang")),
        ("", "Laporan", "", (None, "")),
        (None, None, None, (None, "")),
        ("Ada", None, None, (None, "Ada")),
        ("Ada", "Dokumen", "Ada (dokumen RKA)", (None, "Ada (dokumen RKA)")),
        ("5 dari 10 desa", "Desa", None, (None, "5 dari 10 desa")),  # unit already there
        ("100 M2", "M2", None, (Decimal("100"), "100 M2")),
        ("1  Laporan ", "Laporan", " 1\nLaporan", (Decimal("1"), "1 Laporan")),
    ],
)
def test_parse_target(
    text: str | None, satuan: str | None, teks: str | None, expected: tuple[Decimal | None, str]
) -> None:
    assert parse_target(text, satuan, teks) == expected


# --- flags, months, times ------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("0", False),
        (1, True),
        (0, False),
        (True, True),
        (False, False),
        ("true", True),
        ("false", False),
        ("True", True),
        ("FALSE", False),
        (" 1 ", True),
    ],
)
def test_parse_active_reads_every_spelling(raw: object, expected: bool) -> None:
    assert parse_active(raw) is expected


@pytest.mark.parametrize("raw", ["ya", "2", 2, "", None, "1.0"])
def test_parse_active_refuses_anything_else(raw: object) -> None:
    with pytest.raises(ValueError, match="harus 1/0 atau true/false"):
        parse_active(raw)


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", 1), (" 12 ", 12), ("03", 3), (7, 7), ("Desember", 12), ("13", 13)]
)
def test_parse_month(raw: object, expected: int) -> None:
    assert parse_month(raw) == expected


@pytest.mark.parametrize("raw", ["", "satu", "1.5", True, None, "123"])
def test_parse_month_refuses_what_is_not_a_month_number(raw: object) -> None:
    with pytest.raises(ValueError, match="bukan nomor bulan"):
        parse_month(raw)


def test_e_program_local_time_is_read_as_wib() -> None:
    moment = parse_wib("2026-01-05 10:22:33")
    assert moment.tzinfo is not None
    assert moment.utcoffset() == timedelta(hours=7)
    assert moment == datetime(2026, 1, 5, 3, 22, 33, tzinfo=UTC)
    assert moment.isoformat() == "2026-01-05T10:22:33+07:00"


@pytest.mark.parametrize(
    "raw", ["2026-01-05T10:22:33+07:00", "2026-01-05T03:22:33Z", "2026-01-05T04:22:33+01:00"]
)
def test_timestamps_with_an_offset_are_the_same_instant_shown_in_wib(raw: str) -> None:
    moment = parse_wib(raw)
    assert moment == datetime(2026, 1, 5, 10, 22, 33, tzinfo=WIB)
    assert moment.isoformat() == "2026-01-05T10:22:33+07:00"


@pytest.mark.parametrize(
    "raw", ["2026-01-05", "kemarin", "0000-00-00 00:00:00", "2026-13-01 10:00"]
)
def test_parse_wib_refuses_what_is_not_a_moment(raw: str) -> None:
    with pytest.raises(ValueError, match="bukan tanggal dan jam"):
        parse_wib(raw)
