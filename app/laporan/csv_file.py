"""The mismatch report as CSV: UTF-8 with a BOM and ``;`` between fields, as
Excel in an Indonesian locale opens it, written a few hundred rows at a time
from :func:`app.mismatches.daftar.stream`; the columns and their headers are
app.laporan.kolom's, as in the XLSX. Amounts are whole Rupiah (``559582500``):
a decimal point is a thousands separator to Excel in an Indonesian locale."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from app.laporan import kolom, nilai
from app.laporan.export import Watch
from app.laporan.kolom import Jenis
from app.mismatches import daftar, kategori
from app.mismatches.daftar import MismatchFilter
from app.models import Mismatch
from mappings.normalise import WIB


def csv_chunks(
    session: Session, f: MismatchFilter, *, rows_per_chunk: int = 500, watch: Watch | None = None
) -> Iterator[bytes]:
    """The CSV of the mismatches ``f`` selects, a few hundred rows per chunk.

    The caller keeps ``session`` open until the iterator is exhausted. Once
    ``watch.left`` is set, the next row raises ExportCancelled.
    """
    watch = watch if watch is not None else Watch()
    buffer = io.StringIO()
    # The BOM tells Excel the file is UTF-8; ';' is the list separator of the
    # Indonesian locale, so the columns split when the file is double-clicked.
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([c.judul for c in kolom.CSV])
    for m in daftar.stream(session, f):
        writer.writerow(csv_row(m))
        watch.row()
        if watch.rows % rows_per_chunk == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def csv_row(m: Mismatch) -> list[Any]:
    """One mismatch's CSV fields, as kolom.CSV lists them."""
    info = kategori.info(m.kategori)
    plan = _MONEY_PLAN if info is not None and info.uang else _CSV_PLAN
    fields = []
    for read, write in plan:
        value = read(m)
        fields.append(value if write is None else write(value))
    return fields


def _csv_money(value: str | None) -> Any:
    """In a money kategori: an amount as whole Rupiah, a list of sumber dana as
    Rupiah lines, anything else as text."""
    amount = nilai.amount(value)
    if amount is not None:
        return nilai.whole_rupiah(amount)
    return _csv_safe(nilai.sumber_dana(value) or value)


def _csv_time(moment: datetime | None) -> str:
    # A form Excel reads as a date in any locale, in WIB.
    return "" if moment is None else f"{moment.astimezone(WIB):%Y-%m-%d %H:%M}"


def _csv_safe(value: str | None) -> str:
    """Text Excel will not run as a formula (CSV injection), numbers untouched."""
    if not value:
        return ""
    if value[0] in "=+-@\t\r" and not _is_number(value):
        return "'" + value
    return value


def _is_number(text: str) -> bool:
    try:
        Decimal(text.replace(",", "."))
    except ArithmeticError:
        return False
    return True


_CSV_WRITERS: dict[Jenis, Callable[[Any], Any] | None] = {
    Jenis.TEKS: _csv_safe,
    Jenis.NILAI: _csv_safe,
    Jenis.WAKTU: _csv_time,
    Jenis.KATA: None,
}
_CSV_PLAN = [(c.baca, _CSV_WRITERS[c.jenis]) for c in kolom.CSV]
_MONEY_PLAN = [
    (c.baca, _csv_money if c.jenis is Jenis.NILAI else _CSV_WRITERS[c.jenis]) for c in kolom.CSV
]
