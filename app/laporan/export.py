"""The mismatch report as files planners open in Excel.

XLSX: a ``Ringkasan`` sheet (per OPD) and one sheet per kategori, each under a
title block. CSV: UTF-8 with a BOM and ``;`` between fields, as Excel in an
Indonesian locale opens it. Both are written row by row from
:func:`app.mismatches.daftar.stream`, so 100,000 mismatches never sit in
memory: XlsxWriter's constant-memory mode writes each row to its sheet's
temporary file as the next begins (openpyxl took twice as long once moments
were Excel dates, a styled cell each). Sheets print landscape, one page wide,
with the header row on every page.

The API, the web pages and ``sinkron laporan`` call the same functions:
:func:`write_xlsx` (or :func:`xlsx_file`), :func:`app.laporan.csv_file.csv_chunks`
and :func:`filename`. What goes in a row is app.laporan.kolom's; how each kind
of value is written in a sheet, app.laporan.cells'.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, cast

from sqlalchemy.orm import Session
from xlsxwriter import Workbook
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from app.laporan import kolom
from app.laporan.cells import PERSEN, RUPIAH, WAKTU, Cells, Gaya, Sel, clean
from app.laporan.kolom import Kolom
from app.mismatches import daftar, kategori
from app.mismatches.daftar import KategoriStats, MismatchFilter
from app.mismatches.tindak_lanjut_baca import sinkron_terakhir_lingkup
from app.report import sinkron_terakhir_teks, tahap_label, waktu_wib
from app.repositories import ringkasan
from mappings.normalise import WIB

log = logging.getLogger(__name__)

RINGKASAN_SHEET = "Ringkasan"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TITLE = "Laporan ketidaksesuaian data E-Program → E-Planning"

_WIDTH_MAX = 60
_A4 = 9


class ExportProblem(ValueError):
    """The filter cannot make a report (tahun anggaran and tahap are required)."""


class ExportCancelled(Exception):
    """The reader of an export left; the export stopped where it was."""


@dataclass
class Watch:
    """One export's rows so far and whether its reader has left: the thread
    writing the file counts and checks, the one serving it sets ``left``."""

    left: threading.Event = field(default_factory=threading.Event)
    rows: int = 0

    def check(self) -> None:
        """Stop here (ExportCancelled) once the reader has left."""
        if self.left.is_set():
            raise ExportCancelled(f"pembaca pergi setelah {self.rows} baris")

    def row(self) -> None:
        self.rows += 1
        self.check()


def filename(f: MismatchFilter, ext: str, *, made_at: datetime, nama_opd: str | None = None) -> str:
    """``ketidaksesuaian-2026-renja[-<OPD>]-2026-12-07.<ext>``: the OPD by its
    name made short (``dinas-kesehatan``; its code when the name is not known),
    the day in WIB."""
    parts = ["ketidaksesuaian", str(f.tahun_anggaran or "semua"), f.tahap or "semua"]
    if f.kode_skpd:
        parts.append(short_name(nama_opd) or f.kode_skpd)
    parts.append(f"{made_at.astimezone(WIB):%Y-%m-%d}")
    return "-".join(parts) + "." + ext


def nama_berkas(session: Session, f: MismatchFilter, ext: str, *, made_at: datetime) -> str:
    """:func:`filename`, with the OPD's name looked up."""
    nama = None
    if f.kode_skpd and f.tahun_anggaran is not None and f.tahap:
        nama = ringkasan.nama_skpd(
            session, tahun_anggaran=f.tahun_anggaran, tahap=f.tahap, kode_skpd=f.kode_skpd
        )
    return filename(f, ext, made_at=made_at, nama_opd=nama)


def short_name(nama: str | None) -> str | None:
    """An OPD's name as a file name part: lower case, words joined by ``-``,
    at most 40 characters ("Dinas Kesehatan" → "dinas-kesehatan")."""
    words = re.findall(r"[a-z0-9]+", (nama or "").lower())
    short = ""
    for word in words:
        if len(short) + len(word) + 1 > 40:
            break
        short = f"{short}-{word}" if short else word
    return short or None


# -- XLSX -------------------------------------------------------------------------


@dataclass(frozen=True)
class Written:
    """What an export wrote: mismatch rows and the sheets, in order."""

    rows: int
    sheets: list[str]


def write_xlsx(
    session: Session,
    f: MismatchFilter,
    out: BinaryIO | Path,
    *,
    pemda: str,
    schedule: str,
    made_at: datetime,
    progress: Callable[[int], None] | None = None,
    watch: Watch | None = None,
) -> Written:
    """Write the report of the mismatches ``f`` selects to ``out``.

    ``f`` must name a tahun anggaran and a tahap (the summary is per tahun/tahap).
    ``progress`` is told the number of rows written every 10,000 rows. Once
    ``watch.left`` is set, the writing stops within a row (or a block of the
    final zip) with ExportCancelled, and what was spooled is removed.
    """
    tahun, tahap = _required_scope(f)
    watch = watch if watch is not None else Watch()
    # Each sheet's rows spool to a file here until the zip is made; the whole
    # folder goes at the end, whether the export finished or not.
    spool = tempfile.mkdtemp(prefix="sinkron-ekspor-")
    raw: BinaryIO | None = None
    try:
        raw = out.open("wb") if isinstance(out, Path) else out
        wb = streaming_workbook(raw, watch, spool)
        title = _title_lines(session, f, pemda=pemda, schedule=schedule, made_at=made_at)
        wb.set_properties(
            {
                "title": f"{TITLE} · {title[2]}",
                "subject": f"Filter: {describe(f)}",
                "author": f"Sinkron · {pemda}",
                "company": pemda,
                "created": made_at.astimezone(WIB).replace(tzinfo=None),
                "comments": title[3],
            }
        )
        sheets = _Sheets(wb)
        _write_sheets(
            sheets, session, f, tahun=tahun, tahap=tahap, title=title, progress=progress,
            watch=watch,
        )  # fmt: skip
        watch.check()
        wb.close()
    finally:
        if isinstance(out, Path) and raw is not None:
            raw.close()
        shutil.rmtree(spool, ignore_errors=True)
    if progress is not None:
        progress(watch.rows)
    return Written(rows=watch.rows, sheets=sheets.names)


class _Sheets:
    """A workbook's sheets and the formats they share, made once."""

    def __init__(self, wb: Workbook) -> None:
        self.wb = wb
        self.names: list[str] = []
        top = {"valign": "top"}
        self.gaya: dict[Gaya, Format] = {
            Gaya.TEKS: wb.add_format(top),
            Gaya.BUNGKUS: wb.add_format({**top, "text_wrap": True}),
            Gaya.ANGKA: wb.add_format(top),
            Gaya.RUPIAH: wb.add_format({**top, "num_format": RUPIAH}),
            Gaya.PERSEN: wb.add_format({**top, "num_format": PERSEN}),
            Gaya.WAKTU: wb.add_format({**top, "num_format": WAKTU, "align": "left"}),
        }
        self.header = wb.add_format(
            {"bold": True, "font_color": "#FFFFFF", "bg_color": "#1F4E78", "text_wrap": True,
             "valign": "top"}
        )  # fmt: skip
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.bold = wb.add_format({"bold": True})

    def add(self, name: str) -> Worksheet:
        self.names.append(name)
        return self.wb.add_worksheet(name)

    def write(self, ws: Worksheet, row: int, cells: Sequence[Sel]) -> None:
        """One row of ``(value, Gaya)`` cells (app.laporan.cells)."""
        for col, cell in enumerate(cells):
            if cell is None:
                continue
            value, gaya = cell
            if gaya is Gaya.TEKS or gaya is Gaya.BUNGKUS:
                # A string stays a string, one that starts with '=' too.
                ws.write_string(row, col, value, self.gaya[gaya])
            elif gaya is Gaya.WAKTU:
                ws.write_datetime(row, col, value, self.gaya[gaya])
            else:
                ws.write_number(row, col, float(value), self.gaya[gaya])


def _write_sheets(
    sheets: _Sheets,
    session: Session,
    f: MismatchFilter,
    *,
    tahun: int,
    tahap: str,
    title: list[str],
    progress: Callable[[int], None] | None,
    watch: Watch,
) -> None:
    _write_ringkasan(sheets, session, f, tahun=tahun, tahap=tahap, title=title)
    watch.check()
    stats = {s.kategori: s for s in daftar.kategori_stats(session, f, measured=kolom.DIUKUR)}
    for code in kategori.urut(stats):
        watch.check()
        ws = sheets.add(_sheet_name(code))
        info = kategori.info(code)
        lines = [*title, f"Kategori: {kategori.label(code)}"]
        if info:
            lines.append(f"Saran: {info.saran}")
        header_row = _start_sheet(sheets, ws, lines, kolom.XLSX, _widths(stats[code]))
        cells = Cells(kolom.XLSX, money=info is not None and info.uang)
        n = 0
        for m in daftar.stream(session, replace(f, kategori=code)):
            n += 1
            sheets.write(ws, header_row + n, cells.row(m, n))
            watch.row()
            if progress is not None and watch.rows % 10_000 == 0:
                progress(watch.rows)
        ws.autofilter(header_row, 0, header_row + n, len(kolom.XLSX) - 1)


def streaming_workbook(raw: BinaryIO, watch: Watch, spool: str) -> Workbook:
    """A workbook that keeps one row in memory at a time (its sheets spool to
    ``spool``), writes into ``raw`` until the watch says the reader left, and
    keeps every text a text (no formulas, numbers or links guessed from it)."""
    return Workbook(
        # A file-like object is what XlsxWriter's ZipFile takes (its type
        # says IO[str], a file name's AnyStr left unbound).
        cast("Any", Abandonable(raw, watch)),
        {
            "constant_memory": True,
            "tmpdir": spool,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )


class Abandonable:
    """The file a workbook is saved into. Zipping a large report takes seconds:
    once the reader has left, the next write stops the save (ExportCancelled),
    and from then on the file takes nothing."""

    def __init__(self, raw: BinaryIO, watch: Watch) -> None:
        self._raw = raw
        self._watch = watch
        self._dead = False

    def write(self, data: bytes) -> int:
        if not self._dead and self._watch.left.is_set():
            self._dead = True
            self._watch.check()
        return len(data) if self._dead else self._raw.write(data)

    def tell(self) -> int:
        return 0 if self._dead else self._raw.tell()

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return 0 if self._dead else self._raw.seek(offset, whence)

    def seekable(self) -> bool:
        return True

    def flush(self) -> None:
        if not self._dead:
            self._raw.flush()

    def close(self) -> None:
        """The zip's own close: the file stays the caller's to close."""


def xlsx_file(
    session: Session,
    f: MismatchFilter,
    *,
    pemda: str,
    schedule: str,
    made_at: datetime,
    watch: Watch | None = None,
) -> Path:
    """The report written to a new temporary file, for a response to send and
    then remove. An XLSX is a zip finished only at its end, written into a
    seekable file: on disk, memory stays flat."""
    fd, name = tempfile.mkstemp(prefix="sinkron-", suffix=".xlsx")
    os.close(fd)
    path = Path(name)
    try:
        write_xlsx(session, f, path, pemda=pemda, schedule=schedule, made_at=made_at, watch=watch)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def _required_scope(f: MismatchFilter) -> tuple[int, str]:
    if f.tahun_anggaran is None or f.tahap is None:
        raise ExportProblem("laporan memerlukan tahun anggaran dan tahap")
    return f.tahun_anggaran, f.tahap


def _sheet_name(code: str) -> str:
    info = kategori.info(code)
    name = info.lembar if info else code
    for bad in "[]:*?/\\":
        name = name.replace(bad, " ")
    return name[:31]


def _title_lines(
    session: Session, f: MismatchFilter, *, pemda: str, schedule: str, made_at: datetime
) -> list[str]:
    """The title block; last, the freshness of the figures in one line, with the
    warning when they may be stale (docs/design.md, follow-up: freshness)."""
    fresh = sinkron_terakhir_lingkup(session, f, schedule=schedule, sekarang=made_at)
    line, warning = sinkron_terakhir_teks(fresh.berhasil_pada, fresh.gagal_terakhir, fresh.alasan)
    return [
        TITLE,
        pemda,
        f"Tahun anggaran {f.tahun_anggaran} · tahap {tahap_label(f.tahap or '')}",
        f"Dibuat {waktu_wib(made_at)}",
        f"Filter: {describe(f)}",
        f"{line} · {warning}" if warning else line,
    ]


def opd_words(kode_skpd: str | None, opd: frozenset[str] | None) -> list[str]:
    """A file's OPD filter in words: the one asked for, else the reader's OPDs."""
    if kode_skpd:
        return [f"OPD {kode_skpd}"]
    if opd is not None:
        return ["OPD " + ", ".join(sorted(opd))]
    return []


def describe(f: MismatchFilter) -> str:
    """The filter in words, for the title block ("semua" when none)."""
    parts = opd_words(f.kode_skpd, f.opd)
    if f.kategori:
        parts.append(f"kategori {kategori.label(f.kategori)}")
    if f.status:
        parts.append(f"status {f.status}")
    if f.q:
        parts.append(f"pencarian “{f.q}”")
    return ", ".join(parts) or "semua ketidaksesuaian"


def _start_sheet(
    sheets: _Sheets,
    ws: Worksheet,
    lines: Sequence[str],
    columns: Sequence[Kolom[Any]],
    widths: Sequence[int],
) -> int:
    """Write the title block and the header row, size and freeze the columns,
    set the page up for print; returns the header's row (0-based)."""
    for index, width in enumerate(widths):
        ws.set_column(index, index, width)
    header_row = len(lines) + 1
    ws.freeze_panes(header_row + 1, 0)
    ws.set_landscape()
    ws.set_paper(_A4)
    ws.fit_to_pages(1, 0)  # one page wide, as many long as it takes
    ws.repeat_rows(header_row)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.set_footer("&L&A&RHalaman &P dari &N")
    for i, line in enumerate(lines):
        style = sheets.title if i == 0 else sheets.bold if i == 1 else None
        ws.write_string(i, 0, clean(line), style)
    for col, column in enumerate(columns):
        ws.write_string(header_row, col, column.judul, sheets.header)
    return header_row


def _widths(stats: KategoriStats) -> list[int]:
    widths = []
    for column in kolom.XLSX:
        longest = stats.longest.get(column.diukur, 0) if column.diukur else 0
        header = len(column.judul) if not column.bungkus else 0
        widths.append(min(max(column.lebar, header + 2, longest + 2), _WIDTH_MAX))
    return widths


def _write_ringkasan(
    sheets: _Sheets,
    session: Session,
    f: MismatchFilter,
    *,
    tahun: int,
    tahap: str,
    title: list[str],
) -> None:
    ws = sheets.add(RINGKASAN_SHEET)
    opd = f.opd
    if f.kode_skpd is not None:
        opd = frozenset({f.kode_skpd}) & (f.opd if f.opd is not None else {f.kode_skpd})
    rows = ringkasan.per_opd(session, tahun_anggaran=tahun, tahap=tahap, opd=opd)
    lines = [*title, "Ringkasan per perangkat daerah: ketidaksesuaian terbuka (baru dan diakui)"]
    header_row = _start_sheet(
        sheets, ws, lines, kolom.RINGKASAN, [c.lebar for c in kolom.RINGKASAN]
    )
    cells = Cells(kolom.RINGKASAN)
    for n, row in enumerate(rows, 1):
        sheets.write(ws, header_row + n, cells.row(row))
    ws.autofilter(header_row, 0, header_row + len(rows), len(kolom.RINGKASAN) - 1)
    # The pemda's total after a blank row, outside the filtered range.
    sheets.write(ws, header_row + len(rows) + 2, cells.row(ringkasan.total(rows)))
