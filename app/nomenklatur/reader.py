"""Read the two nomenclature spreadsheets pemda actually receive.

- the SIPD export (TA 2027 update): one row per sub kegiatan, with the code and
  name in one cell ("1.02.02.2.01.0001 Pengelolaan ..."), JENIS PEMDA and the
  predecessor code;
- the kab/kota list of the 900.1.15.5-1317/2023 era: the code split over five
  columns (urusan, bidang, program, kegiatan, sub) and the name in
  NOMENKLATUR URUSAN, with parent rows interleaved.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

SourceFormat = Literal["sipd", "kabkota-900"]

_CODE = re.compile(r"^([0-9X]\.[0-9X]{2}\.\d{2}\.\d\.\d{2}\.\d{4})\s*(.*)$", re.DOTALL)
_SPACES = re.compile(r"\s+")


class NomenklaturFormatError(ValueError):
    """The file is not one of the formats we read; the message says why."""


@dataclass(frozen=True)
class NomenklaturEntry:
    kode: str
    nama: str
    indikator: str | None
    satuan: str | None
    jenis_pemda: str
    kode_sebelumnya: str | None


def entry_of(item: Mapping[str, Any]) -> NomenklaturEntry:
    """An item in E-Planning's ``referensi/nomenklatur`` shape (as the stand-ins'
    sample holds it)."""
    return NomenklaturEntry(
        kode=str(item["kode"]),
        nama=str(item["nama"]),
        indikator=item.get("indikator"),
        satuan=item.get("satuan"),
        jenis_pemda=str(item.get("jenis_pemda") or "KABKOT"),
        kode_sebelumnya=item.get("kode_sebelumnya"),
    )


def tidy(value: Any) -> str | None:
    if value is None:
        return None
    text = _SPACES.sub(" ", str(value)).strip()
    return text or None


def split_code(cell: Any) -> tuple[str, str] | None:
    """'1.02.02.2.01.0001 Pengelolaan ...' → (kode, nama); None when not a code."""
    text = tidy(cell)
    if text is None or text == "[null]":
        return None
    match = _CODE.match(text)
    if match is None:
        return None
    return match.group(1), tidy(match.group(2)) or ""


def read(path: Path) -> tuple[SourceFormat, list[NomenklaturEntry]]:
    """Read a nomenclature workbook, recognising its format from the header row."""
    # Imported here: the module's entry types are used by every command, openpyxl
    # only by an import.
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types
        raise NomenklaturFormatError(
            f"{path.name}: bukan berkas Excel yang dapat dibaca ({exc})"
        ) from exc
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        header = [tidy(c) or "" for c in next(rows, ())]
        if "SUBKEGIATAN" in header and "JENIS PEMDA" in header:
            return "sipd", list(_read_sipd(header, rows))
        if "SUB KEGIATAN" in header and "NOMENKLATUR URUSAN" in header:
            return "kabkota-900", list(_read_900(header, rows))
    finally:
        workbook.close()
    raise NomenklaturFormatError(
        f"{path.name}: kolom judul tidak dikenali; diharapkan ekspor SIPD "
        "(JENIS PEMDA, SUBKEGIATAN, ...) atau daftar kab/kota 900 "
        "(SUB KEGIATAN, NOMENKLATUR URUSAN, ...)"
    )


def _read_sipd(header: list[str], rows: Iterator[tuple[Any, ...]]) -> Iterator[NomenklaturEntry]:
    col = {name: i for i, name in enumerate(header)}
    for row in rows:
        code = split_code(_cell(row, col["SUBKEGIATAN"]))
        if code is None:
            continue
        previous = split_code(_cell(row, col.get("SUBKEGIATAN SEBELUMNYA")))
        yield NomenklaturEntry(
            kode=code[0],
            nama=code[1],
            indikator=tidy(_cell(row, col.get("INDIKATOR"))),
            satuan=tidy(_cell(row, col.get("SATUAN"))),
            jenis_pemda=tidy(_cell(row, col["JENIS PEMDA"])) or "KABKOT",
            kode_sebelumnya=previous[0] if previous else None,
        )


def _read_900(header: list[str], rows: Iterator[tuple[Any, ...]]) -> Iterator[NomenklaturEntry]:
    col = {name: i for i, name in enumerate(header)}
    parts = ("URUSAN/UNSUR", "BIDANG URUSAN/BIDANG UNSUR", "PROGRAM", "KEGIATAN", "SUB KEGIATAN")
    for row in rows:
        urusan, bidang, program, kegiatan, sub = (_cell(row, col[p]) for p in parts)
        if sub is None or kegiatan is None:
            continue  # an urusan/bidang/program/kegiatan heading row
        kode = f"{urusan}.{_pad(bidang, 2)}.{_pad(program, 2)}.{tidy(kegiatan)}.{_pad(sub, 4)}"
        yield NomenklaturEntry(
            kode=kode,
            nama=tidy(_cell(row, col["NOMENKLATUR URUSAN"])) or "",
            indikator=tidy(_cell(row, col.get("INDIKATOR"))),
            satuan=tidy(_cell(row, col.get("SATUAN"))),
            jenis_pemda="KABKOT",
            kode_sebelumnya=None,
        )


def _cell(row: tuple[Any, ...], index: int | None) -> Any:
    if index is None or index >= len(row):
        return None
    return row[index]


def _pad(value: Any, width: int) -> str:
    text = tidy(value) or ""
    return text.zfill(width) if text.isdigit() else text
