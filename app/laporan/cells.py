"""How each kind of value (app.laporan.kolom.Jenis) is written in a sheet:
text that Excel keeps as text, amounts in Rupiah, shares as percentages,
moments in WIB."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from app.laporan.kolom import Jenis, Kolom
from app.report import waktu_wib
from mappings.normalise import parse_money

# Excel shows these with the reader's separators; the [$Rp-421] tag is the
# Indonesian Rupiah symbol, so LibreOffice and Excel both show "Rp 1.250.000".
RUPIAH = "[$Rp-421] #,##0;[Red]-[$Rp-421] #,##0"
PERSEN = "0.0%"

_XLSX_TEXT_MAX = 32_767


class Cells:
    """A sheet's rows of ``columns``, each value written as its kind says
    (kolom.Jenis). The plan is made once per sheet: rows are written by the
    hundred thousand."""

    def __init__(
        self, ws: WriteOnlyWorksheet, columns: Sequence[Kolom[Any]], *, money: bool = False
    ) -> None:
        writers: dict[Jenis, Callable[[Any], Any] | None] = {
            Jenis.TEKS: partial(_text, ws),
            Jenis.NILAI: partial(_value, ws, money=money),
            Jenis.WAKTU: _moment,
            Jenis.RUPIAH: partial(_formatted, ws, number_format=RUPIAH),
            Jenis.PERSEN: partial(_percent, ws),
            Jenis.KATA: None,
            Jenis.NOMOR: None,
        }
        self._plan = [
            (None if c.jenis is Jenis.NOMOR else c.baca, writers[c.jenis]) for c in columns
        ]

    def row(self, item: Any, n: int = 0) -> list[Any]:
        """``item``'s cells; ``n`` is its number in the sheet."""
        cells = []
        for read, write in self._plan:
            value = n if read is None else read(item)
            cells.append(value if write is None else write(value))
        return cells


def _text(ws: WriteOnlyWorksheet, value: str | None) -> Any:
    """Text as a cell holds it: no control characters Excel refuses, within
    Excel's length limit, and never a formula (E-Program text may start with '=')."""
    if value is None:
        return None
    text = clean(value)
    if text.startswith("="):
        cell = WriteOnlyCell(ws, value=text)
        cell.data_type = "s"
        return cell
    return text


def clean(text: str) -> str:
    """Text without the control characters Excel refuses, within its length limit."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)[:_XLSX_TEXT_MAX]


def _value(ws: WriteOnlyWorksheet, value: str | None, *, money: bool) -> Any:
    if value is None or not money:
        return _text(ws, value)
    try:
        amount = parse_money(value)
    except ValueError:
        return _text(ws, value)
    return _formatted(ws, amount, RUPIAH)


def _moment(moment: datetime | None) -> str | None:
    # As the report pages show it ("2 Desember 2026 08.15 WIB"). Text, not an
    # Excel date: a styled cell per date doubled the time of a 100,000-row export.
    return None if moment is None else waktu_wib(moment)


def _formatted(ws: WriteOnlyWorksheet, value: Any, number_format: str) -> Cell:
    cell = WriteOnlyCell(ws, value=value)
    cell.number_format = number_format
    return cell


def _percent(ws: WriteOnlyWorksheet, share: float | None) -> Cell | None:
    return None if share is None else _formatted(ws, share, PERSEN)
