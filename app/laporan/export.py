"""The mismatch report as files planners open in Excel.

XLSX: a ``Ringkasan`` sheet (per OPD) and one sheet per kategori, each under a
title block. CSV: UTF-8 with a BOM and ``;`` between fields, as Excel in an
Indonesian locale opens it. Both are written row by row from
:func:`app.mismatches.daftar.stream`, so 100,000 mismatches never sit in
memory (openpyxl's write-only mode spools each sheet to a temporary file).

The API, the web pages and ``sinkron laporan`` call the same functions:
:func:`write_xlsx` (or :func:`xlsx_file`), :func:`app.laporan.csv_file.csv_chunks`
and :func:`filename`. What goes in a row is app.laporan.kolom's; how each kind
of value is written in a sheet, app.laporan.cells'.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from sqlalchemy.orm import Session

from app.laporan import kolom
from app.laporan.cells import Cells, clean
from app.mismatches import daftar, kategori
from app.mismatches.daftar import KategoriStats, MismatchFilter
from app.report import tahap_label, waktu_wib
from app.repositories import ringkasan

log = logging.getLogger(__name__)

RINGKASAN_SHEET = "Ringkasan"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_WIDTH_MAX = 60
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
_TITLE_FONT = Font(bold=True, size=14)
_BOLD = Font(bold=True)


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


def filename(f: MismatchFilter, ext: str) -> str:
    """``sinkron-mismatch-2026-renja[-<kode_skpd>].<ext>``."""
    parts = ["sinkron-mismatch", str(f.tahun_anggaran or "semua"), f.tahap or "semua"]
    if f.kode_skpd:
        parts.append(f.kode_skpd)
    return "-".join(parts) + "." + ext


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
    wb = Workbook(write_only=True)
    try:
        title = _title_lines(f, pemda=pemda, made_at=made_at)
        _write_sheets(
            wb, session, f, tahun=tahun, tahap=tahap, title=title, progress=progress, watch=watch
        )
        watch.check()
        if isinstance(out, Path):
            with out.open("wb") as raw:
                wb.save(_Abandonable(raw, watch))
        else:
            wb.save(_Abandonable(out, watch))
    except BaseException:
        _discard(wb)
        raise
    if progress is not None:
        progress(watch.rows)
    return Written(rows=watch.rows, sheets=list(wb.sheetnames))


def _write_sheets(
    wb: Workbook,
    session: Session,
    f: MismatchFilter,
    *,
    tahun: int,
    tahap: str,
    title: list[str],
    progress: Callable[[int], None] | None,
    watch: Watch,
) -> None:
    _write_ringkasan(wb, session, f, tahun=tahun, tahap=tahap, title=title)
    watch.check()
    stats = {s.kategori: s for s in daftar.kategori_stats(session, f, measured=kolom.DIUKUR)}
    for code in kategori.urut(stats):
        watch.check()
        ws = wb.create_sheet(_sheet_name(code))
        info = kategori.info(code)
        lines = [*title, f"Kategori: {kategori.label(code)}"]
        if info:
            lines.append(f"Saran: {info.saran}")
        header_row = _start_sheet(ws, lines, _widths(stats[code]))
        _header(ws, [c.judul or "" for c in kolom.XLSX])
        cells = Cells(ws, kolom.XLSX, money=info is not None and info.uang)
        n = 0
        for m in daftar.stream(session, replace(f, kategori=code)):
            n += 1
            ws.append(cells.row(m, n))
            watch.row()
            if progress is not None and watch.rows % 10_000 == 0:
                progress(watch.rows)
        last = get_column_letter(len(kolom.XLSX))
        ws.auto_filter.ref = f"A{header_row}:{last}{header_row + n}"


class _Abandonable:
    """The file a workbook is saved into. Zipping a large report takes seconds:
    once the reader has left, the next write stops the save (ExportCancelled),
    and from then on the file takes nothing, so the zip openpyxl leaves open
    closes quietly when it is collected."""

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

    def flush(self) -> None:
        if not self._dead:
            self._raw.flush()


def _discard(wb: Workbook) -> None:
    """A workbook given up: each write-only sheet's spool file (as large as the
    sheet) goes now rather than when the process exits."""
    for ws in wb.worksheets:
        writer = getattr(ws, "_writer", None)
        try:
            if not getattr(ws, "closed", True):
                ws.close()
            if writer is not None and os.path.exists(writer.out):
                writer.cleanup()
        except (OSError, ValueError):
            log.warning("berkas sementara ekspor tidak terhapus", exc_info=True)


def xlsx_file(
    session: Session,
    f: MismatchFilter,
    *,
    pemda: str,
    made_at: datetime,
    watch: Watch | None = None,
) -> Path:
    """The report written to a new temporary file, for a response to send and
    then remove. An XLSX is a zip finished only at its end, and openpyxl's
    write-only mode needs a seekable file: on disk, memory stays flat."""
    fd, name = tempfile.mkstemp(prefix="sinkron-", suffix=".xlsx")
    os.close(fd)
    path = Path(name)
    try:
        write_xlsx(session, f, path, pemda=pemda, made_at=made_at, watch=watch)
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


def _title_lines(f: MismatchFilter, *, pemda: str, made_at: datetime) -> list[str]:
    return [
        "Laporan ketidaksesuaian data E-Program → E-Planning",
        pemda,
        f"Tahun anggaran {f.tahun_anggaran} · tahap {tahap_label(f.tahap or '')}",
        f"Dibuat {waktu_wib(made_at)}",
        f"Filter: {describe(f)}",
    ]


def describe(f: MismatchFilter) -> str:
    """The filter in words, for the title block ("semua" when none)."""
    parts = []
    if f.kode_skpd:
        parts.append(f"OPD {f.kode_skpd}")
    elif f.opd is not None:
        parts.append("OPD " + ", ".join(sorted(f.opd)))
    if f.kategori:
        parts.append(f"kategori {kategori.label(f.kategori)}")
    if f.status:
        parts.append(f"status {f.status}")
    if f.q:
        parts.append(f"pencarian “{f.q}”")
    return ", ".join(parts) or "semua mismatch"


def _start_sheet(ws: WriteOnlyWorksheet, lines: Sequence[str], widths: Sequence[int]) -> int:
    """Write the title block, size and freeze the columns; returns the header's row.

    Widths and the frozen pane go into the sheet's head, so they are set before
    the first row; the autofilter goes into its tail, after the last.
    """
    for index, width in enumerate(widths, 1):
        # Set up by openpyxl for write-only sheets too; its type stubs omit it.
        ws.column_dimensions[get_column_letter(index)].width = width  # type: ignore[attr-defined]
    header_row = len(lines) + 2
    ws.freeze_panes = f"A{header_row + 1}"
    for i, line in enumerate(lines):
        cell = WriteOnlyCell(ws, value=clean(line))
        cell.font = _TITLE_FONT if i == 0 else _BOLD if i == 1 else Font()
        ws.append([cell])
    ws.append([])
    return header_row


def _header(ws: WriteOnlyWorksheet, names: Sequence[str]) -> None:
    cells = []
    for name in names:
        cell = WriteOnlyCell(ws, value=name)
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
        cells.append(cell)
    ws.append(cells)


def _widths(stats: KategoriStats) -> list[int]:
    widths = []
    for column in kolom.XLSX:
        longest = stats.longest.get(column.diukur, 0) if column.diukur else 0
        header = len(column.judul or "")
        widths.append(min(max(column.lebar, header + 2, longest + 2), _WIDTH_MAX))
    return widths


def _write_ringkasan(
    wb: Workbook, session: Session, f: MismatchFilter, *, tahun: int, tahap: str, title: list[str]
) -> None:
    ws = wb.create_sheet(RINGKASAN_SHEET)
    opd = f.opd
    if f.kode_skpd is not None:
        opd = frozenset({f.kode_skpd}) & (f.opd if f.opd is not None else {f.kode_skpd})
    rows = ringkasan.per_opd(session, tahun_anggaran=tahun, tahap=tahap, opd=opd)
    lines = [*title, "Ringkasan per perangkat daerah: mismatch terbuka (baru dan diakui)"]
    header_row = _start_sheet(ws, lines, [c.lebar for c in kolom.RINGKASAN])
    _header(ws, [c.judul or "" for c in kolom.RINGKASAN])
    cells = Cells(ws, kolom.RINGKASAN)
    for row in rows:
        ws.append(cells.row(row))
    last = get_column_letter(len(kolom.RINGKASAN))
    ws.auto_filter.ref = f"A{header_row}:{last}{header_row + len(rows)}"
    # The pemda's total after a blank row, outside the filtered range.
    ws.append([])
    ws.append(cells.row(ringkasan.total(rows)))
