"""How each kind of value (app.laporan.kolom.Jenis) goes into a sheet: text
that Excel keeps as text (wrapped in the long columns), amounts as numbers in
Rupiah, shares as percentages, moments as Excel dates in WIB.

:class:`Cells` turns a row into ``(value, Gaya)`` pairs, with no spreadsheet
library; app.laporan.export writes each pair with the matching format.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from app.laporan import nilai
from app.laporan.kolom import Jenis, Kolom
from mappings.normalise import WIB

# Excel shows these with the reader's separators; the [$Rp-421] tag is the
# Indonesian Rupiah symbol, so LibreOffice and Excel both show "Rp 1.250.000".
RUPIAH = "[$Rp-421] #,##0;[Red]-[$Rp-421] #,##0"
PERSEN = "0.0%"
# "2 Desember 2026 08.15", as the pages write a moment (in WIB, said in the header).
WAKTU = "d mmmm yyyy hh.mm"

_XLSX_TEXT_MAX = 32_767
# The characters XML 1.0 (so an XLSX) cannot hold; Excel refuses a file with them.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class Gaya(enum.Enum):
    """How a cell is written: its type and number format."""

    TEKS = enum.auto()  # text, never a formula
    BUNGKUS = enum.auto()  # text in a long column, wrapped
    ANGKA = enum.auto()  # a plain number
    RUPIAH = enum.auto()
    PERSEN = enum.auto()
    WAKTU = enum.auto()  # an Excel date and time, in WIB


Sel = tuple[Any, Gaya] | None


class Cells:
    """A sheet's rows of ``columns``, each value as its kind says (kolom.Jenis).
    The plan is made once per sheet: rows are written by the hundred thousand."""

    def __init__(self, columns: Sequence[Kolom[Any]], *, money: bool = False) -> None:
        def text(c: Kolom[Any]) -> Callable[[Any], Sel]:
            return _wrapped if c.bungkus else _text

        writers: dict[Jenis, Callable[[Kolom[Any]], Callable[[Any], Sel]]] = {
            Jenis.TEKS: text,
            Jenis.NILAI: lambda c: _money_value if money else text(c),
            Jenis.WAKTU: lambda c: _moment,
            Jenis.RUPIAH: lambda c: _rupiah,
            Jenis.PERSEN: lambda c: _percent,
            Jenis.KATA: lambda c: _word,
            Jenis.NOMOR: lambda c: _word,
        }
        self._plan = [
            (None if c.jenis is Jenis.NOMOR else c.baca, writers[c.jenis](c)) for c in columns
        ]

    def row(self, item: Any, n: int = 0) -> list[Sel]:
        """``item``'s cells; ``n`` is its number in the sheet."""
        return [write(n if read is None else read(item)) for read, write in self._plan]


def clean(text: str) -> str:
    """Text without the control characters Excel refuses, within its length limit."""
    if not text.isprintable():  # most text is: no look for what to drop
        text = _ILLEGAL.sub("", text)
    return text[:_XLSX_TEXT_MAX]


def _text(value: str | None) -> Sel:
    return None if value is None else (clean(value), Gaya.TEKS)


def _wrapped(value: str | None) -> Sel:
    return None if value is None else (clean(value), Gaya.BUNGKUS)


def _money_value(value: str | None) -> Sel:
    """In a money kategori's sheet: an amount as a number, a list of sumber
    dana as Rupiah lines, anything else as text."""
    amount = nilai.amount(value)
    if amount is not None:
        return float(amount), Gaya.RUPIAH
    lines = nilai.sumber_dana(value)
    return _wrapped(lines if lines is not None else value)


def _moment(moment: datetime | None) -> Sel:
    if moment is None:
        return None
    # Excel has no time zones: the WIB wall clock, as the header says.
    return moment.astimezone(WIB).replace(tzinfo=None), Gaya.WAKTU


def _rupiah(value: Decimal | int | None) -> Sel:
    return None if value is None else (float(value), Gaya.RUPIAH)


def _percent(share: float | None) -> Sel:
    return None if share is None else (share, Gaya.PERSEN)


def _word(value: Any) -> Sel:
    """The service's own words and numbers, as they are."""
    if value is None:
        return None
    if isinstance(value, int | float | Decimal):
        return value, Gaya.ANGKA
    return clean(str(value)), Gaya.TEKS
