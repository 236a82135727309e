"""The report files' columns come from one table: the XLSX sheets and the CSV
carry the same columns, with the same values, except where the table says."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell

from app.laporan import kolom
from app.laporan.cells import Cells
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
    ws = Workbook(write_only=True).create_sheet("uji")
    cells = Cells(ws, kolom.XLSX, money=money).row(m, 1)
    return [c.value if isinstance(c, Cell) else c for c in cells]


def test_both_files_carry_the_same_columns_but_the_declared_ones() -> None:
    both = [c for c in kolom.MISMATCH if c.judul is not None and c.csv is not None]
    only_xlsx = {c.judul for c in kolom.MISMATCH if c.csv is None}
    only_csv = {c.csv for c in kolom.MISMATCH if c.judul is None}

    # A column added to the table goes into both files unless it says otherwise;
    # these are the differences people know: the sheets number their rows and end
    # with the id, the CSV starts with it; a sheet is one kategori, its advice
    # above the table.
    assert only_xlsx == {"No", "ID"}
    assert only_csv == {"id", "kategori", "kategori_label", "saran", "diputuskan_pada_wib"}
    assert [c.judul for c in kolom.XLSX if c in both] == [c.judul for c in both]
    assert [c.csv for c in kolom.CSV if c in both] == [c.csv for c in both]


def test_the_headers_are_the_ones_the_files_have_always_had() -> None:
    assert [c.judul for c in kolom.XLSX] == [
        "No", "Kode SKPD", "Kode sub unit", "Kode sub kegiatan", "Nama sub kegiatan", "Field",
        "Nilai E-Program", "Nilai E-Planning / nomenklatur", "Keterangan", "Status",
        "Pertama ditemukan", "Terakhir ditemukan", "Diputuskan oleh", "Catatan", "ID",
    ]  # fmt: skip
    assert [c.csv for c in kolom.CSV] == [
        "id", "kode_skpd", "kode_sub_skpd", "kode_sub_kegiatan", "nama_sub_kegiatan", "kategori",
        "kategori_label", "field", "nilai_eprogram", "nilai_eplanning", "keterangan", "saran",
        "status", "pertama_ditemukan_wib", "terakhir_ditemukan_wib", "diputuskan_oleh",
        "diputuskan_pada_wib", "catatan",
    ]  # fmt: skip


def test_a_mismatch_reads_the_same_in_both_files() -> None:
    m = mismatch()
    sheet = dict(zip([c.judul for c in kolom.XLSX], xlsx_row(m), strict=True))
    fields = dict(zip([c.csv for c in kolom.CSV], csv_row(m), strict=True))

    for column in kolom.MISMATCH:
        if column.judul is None or column.csv is None:
            continue
        in_sheet, in_csv = sheet[column.judul], fields[column.csv]
        if column.jenis is Jenis.WAKTU:
            # Words in the sheet, a form any Excel reads as a date in the CSV: one moment.
            assert in_sheet == "2 Desember 2026 08.15 WIB" and in_csv == "2026-12-02 08:15"
        elif column.csv == "nilai_eplanning":
            # Text that looks like a formula stays text, each file in its own way.
            assert (in_sheet, in_csv) == ("=SUM(A1:A2)", "'=SUM(A1:A2)")
        else:
            assert in_sheet == in_csv, column.judul
    assert (sheet["No"], sheet["ID"], fields["id"]) == (1, 17, 17)
    assert fields["kategori_label"] == "Pagu berbeda" and fields["saran"].startswith("Periksa")
    assert fields["diputuskan_pada_wib"] == "2026-12-03 09:30"


def test_amounts_are_numbers_only_in_a_money_kategoris_sheet() -> None:
    m = mismatch(nilai_eplanning="1000000000.00")
    ws = Workbook(write_only=True).create_sheet("uji")
    money = Cells(ws, kolom.XLSX, money=True).row(m, 1)
    nilai = [i for i, c in enumerate(kolom.XLSX) if c.jenis is Jenis.NILAI]

    assert [money[i].value for i in nilai] == [1250000000, 1000000000]
    assert all(re.search(r"Rp", money[i].number_format) for i in nilai)
    assert [xlsx_row(m)[i] for i in nilai] == ["1250000000.00", "1000000000.00"]


def test_an_empty_value_is_an_empty_cell_and_an_empty_field() -> None:
    m = mismatch(field=None, diputuskan_oleh=None, diputuskan_pada=None, catatan=None)
    sheet = dict(zip([c.judul for c in kolom.XLSX], xlsx_row(m), strict=True))
    fields = dict(zip([c.csv for c in kolom.CSV], csv_row(m), strict=True))

    assert sheet["Field"] is None and sheet["Catatan"] is None
    assert fields["field"] == fields["catatan"] == fields["diputuskan_pada_wib"] == ""


def test_an_export_measures_every_text_column_of_the_sheets() -> None:
    assert (
        tuple(c.diukur for c in kolom.XLSX if c.jenis in (Jenis.TEKS, Jenis.NILAI)) == kolom.DIUKUR
    )
