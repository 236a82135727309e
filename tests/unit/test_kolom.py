"""The report files' columns come from one table: the XLSX sheets and the CSV
carry the same columns, with the same values, except where the table says."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from app.laporan import kolom
from app.laporan.cells import RUPIAH, Cells, Gaya
from app.laporan.csv_file import csv_row
from app.laporan.kolom import Jenis
from app.models import Mismatch

FOUND = datetime(2026, 12, 2, 1, 15, tzinfo=UTC)  # 08.15 WIB
DECIDED = datetime(2026, 12, 3, 2, 30, tzinfo=UTC)


def mismatch(**changes: Any) -> Mismatch:
    values: dict[str, Any] = {
        "id": 17,
        "kode_skpd": "1.02.0.00.0.00.01.0000",
        "kode_sub_skpd": "1.02.0.00.0.00.01.0001",
        "kode_sub_kegiatan": "1.02.02.2.01.0001",
        "nama_sub_kegiatan": "Pengelolaan Pelayanan Kesehatan",
        "kategori": "pagu_berbeda",
        "field": "pagu",
        "nilai_eprogram": "1250000000.00",
        "nilai_eplanning": "=SUM(A1:A2)",
        "keterangan": "Pagu di E-Program Rp 1.250.000.000",
        "status": "diakui",
        "first_seen_at": FOUND,
        "last_seen_at": FOUND,
        "diputuskan_oleh": "perencana",
        "diputuskan_pada": DECIDED,
        "catatan": "rapat 2 Des",
    }
    return Mismatch(**(values | changes))


def xlsx_row(m: Mismatch, *, money: bool = False) -> list[Any]:
    return [c[0] if c is not None else None for c in Cells(kolom.XLSX, money=money).row(m, 1)]


def test_both_files_carry_the_same_columns_under_the_same_headers_but_the_declared_ones() -> None:
    only_xlsx = {c.judul for c in kolom.MISMATCH if not c.di_csv}
    only_csv = {c.judul for c in kolom.MISMATCH if not c.di_xlsx}
    both = [c.judul for c in kolom.MISMATCH if c.di_xlsx and c.di_csv]

    # A column added to the table goes into both files unless it says otherwise;
    # these are the differences people know: the sheets number their rows; a sheet
    # is one kategori, its name and advice above the table.
    assert only_xlsx == {"No"}
    assert only_csv == {"Kode kategori", "Kategori", "Saran"}
    assert [c.judul for c in kolom.XLSX if c.judul in both] == both
    assert [c.judul for c in kolom.CSV if c.judul in both] == both


def test_the_headers_are_the_pages_words() -> None:
    assert [c.judul for c in kolom.XLSX] == [
        "No", "Nomor temuan", "Kode SKPD", "Kode sub unit", "Kode sub kegiatan",
        "Nama sub kegiatan", "Isian", "Nilai E-Program", "Nilai E-Planning / nomenklatur",
        "Keterangan", "Status", "Pertama ditemukan (WIB)", "Terakhir ditemukan (WIB)",
        "Diputuskan oleh", "Diputuskan pada (WIB)", "Catatan",
    ]  # fmt: skip
    assert [c.judul for c in kolom.CSV] == [
        "Nomor temuan", "Kode SKPD", "Kode sub unit", "Kode sub kegiatan", "Nama sub kegiatan",
        "Kode kategori", "Kategori", "Isian", "Nilai E-Program",
        "Nilai E-Planning / nomenklatur", "Keterangan", "Saran", "Status",
        "Pertama ditemukan (WIB)", "Terakhir ditemukan (WIB)", "Diputuskan oleh",
        "Diputuskan pada (WIB)", "Catatan",
    ]  # fmt: skip


def test_a_mismatch_reads_the_same_in_both_files() -> None:
    m = mismatch()  # a pagu_berbeda: its sheet is a money kategori's
    sheet = dict(zip([c.judul for c in kolom.XLSX], xlsx_row(m, money=True), strict=True))
    fields = dict(zip([c.judul for c in kolom.CSV], csv_row(m), strict=True))

    for column in kolom.MISMATCH:
        if not (column.di_xlsx and column.di_csv):
            continue
        in_sheet, in_csv = sheet[column.judul], fields[column.judul]
        if column.jenis is Jenis.WAKTU:
            # A date in the sheet (the WIB wall clock), a form any Excel reads as a
            # date in the CSV: one moment.
            assert isinstance(in_sheet, datetime) and in_sheet.tzinfo is None
            assert in_csv == f"{in_sheet:%Y-%m-%d %H:%M}"
        elif column.judul == "Nilai E-Planning / nomenklatur":
            # Text that looks like a formula stays text, each file in its own way.
            assert (in_sheet, in_csv) == ("=SUM(A1:A2)", "'=SUM(A1:A2)")
        elif column.judul == "Nilai E-Program":
            # An amount: a number in the sheet, whole Rupiah in the CSV.
            assert (in_sheet, in_csv) == (1250000000, 1250000000)
        else:
            assert in_sheet == in_csv, column.judul
    assert sheet["Pertama ditemukan (WIB)"] == datetime(2026, 12, 2, 8, 15)
    assert (sheet["No"], sheet["Nomor temuan"], fields["Nomor temuan"]) == (1, 17, 17)
    assert fields["Kategori"] == "Pagu berbeda" and fields["Saran"].startswith("Periksa")
    assert fields["Diputuskan pada (WIB)"] == "2026-12-03 09:30"


def test_amounts_are_numbers_only_in_a_money_kategoris_sheet() -> None:
    m = mismatch(nilai_eplanning="1000000000.49")
    money = Cells(kolom.XLSX, money=True).row(m, 1)
    nilai = [i for i, c in enumerate(kolom.XLSX) if c.jenis is Jenis.NILAI]

    assert [money[i] for i in nilai] == [(1250000000, Gaya.RUPIAH), (1000000000.49, Gaya.RUPIAH)]
    assert re.search(r"Rp", RUPIAH)
    assert [xlsx_row(m)[i] for i in nilai] == ["1250000000.00", "1000000000.49"]
    # Whole Rupiah in the CSV, rounded half up: Excel in an Indonesian locale reads
    # "1000000000.49" as text or as a hundred times the amount.
    fields = dict(zip([c.judul for c in kolom.CSV], csv_row(m), strict=True))
    assert fields["Nilai E-Planning / nomenklatur"] == 1000000000
    assert csv_row(mismatch(nilai_eprogram="10.50"))[8] == 11


def test_a_list_of_sumber_dana_reads_as_rupiah_lines() -> None:
    listed = (
        '[{"kode": "1.1.01", "nama": "DAU", "pagu": "1000000.00"}, '
        '{"kode": "", "nama": "DAK Fisik", "pagu": "250000.00"}]'
    )
    m = mismatch(kategori="sumber_dana_tidak_sama", field="sumber_dana", nilai_eprogram=listed)
    lines = "DAU (1.1.01): Rp 1.000.000\nDAK Fisik: Rp 250.000\nJumlah: Rp 1.250.000"

    assert Cells(kolom.XLSX, money=True).row(m, 1)[7] == (lines, Gaya.BUNGKUS)
    assert csv_row(m)[8] == lines
    # Not such a list (cut short, or something else): the text as it came.
    for other in ('[{"kode": "1", "nama": "DAU", "pagu": "10', "[1, 2]", "{}", "[]"):
        assert Cells(kolom.XLSX, money=True).row(mismatch(nilai_eprogram=other), 1)[7] == (
            other,
            Gaya.BUNGKUS,
        )


def test_an_empty_value_is_an_empty_cell_and_an_empty_field() -> None:
    m = mismatch(field=None, diputuskan_oleh=None, diputuskan_pada=None, catatan=None)
    sheet = dict(zip([c.judul for c in kolom.XLSX], xlsx_row(m), strict=True))
    fields = dict(zip([c.judul for c in kolom.CSV], csv_row(m), strict=True))

    assert sheet["Isian"] is None and sheet["Catatan"] is None
    assert fields["Isian"] == fields["Catatan"] == fields["Diputuskan pada (WIB)"] == ""


def test_an_export_measures_every_text_column_of_the_sheets() -> None:
    assert (
        tuple(c.diukur for c in kolom.XLSX if c.jenis in (Jenis.TEKS, Jenis.NILAI)) == kolom.DIUKUR
    )


def test_control_characters_excel_refuses_are_dropped() -> None:
    m = mismatch(nama_sub_kegiatan="Jalan\x00 Desa\x1b\tBaru\nLagi")
    assert xlsx_row(m)[5] == "Jalan Desa\tBaru\nLagi"
