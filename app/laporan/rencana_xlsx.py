"""A run's plan as a file an admin opens in Excel: a ``Ringkasan`` sheet (the
table OPD × aksi, the guard's reasons) and a ``Rencana`` sheet (one line per
field a record would change, before and after), each under a title block
naming the run, the scope and the time.

Rows are read a page at a time by id (app.repositories.rencana.rows_of_run)
and let go of once written, and XlsxWriter's constant-memory mode spools each
row to disk: a plan of 100,000 records never sits in memory.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy.orm import Session
from xlsxwriter import Workbook
from xlsxwriter.worksheet import Worksheet

from app import rencana_tampil
from app.laporan import nilai
from app.laporan.cells import RUPIAH, clean
from app.laporan.export import Watch, opd_words, streaming_workbook
from app.models import Rencana, RunStatus, SyncRun
from app.report import STATUS_LABELS, is_money_field, tahap_label, waktu_wib
from app.repositories import rencana, runs
from mappings.normalise import WIB

RINGKASAN_SHEET = "Ringkasan"
RENCANA_SHEET = "Rencana"
PAGE = 500
_A4 = 9

KOLOM_RENCANA: tuple[tuple[str, int], ...] = (
    ("No", 6),
    ("Aksi", 12),
    ("Status rencana", 14),
    ("Kode perangkat daerah", 24),
    ("Kode sub unit", 24),
    ("Kode sub kegiatan", 20),
    ("Nama sub kegiatan", 40),
    ("Isian", 24),
    ("Sebelum (E-Planning)", 40),
    ("Sesudah", 40),
)


@dataclass(frozen=True)
class Pilihan:
    """Which rows of a run's plan a file holds: the reader's OPDs (None:
    every OPD) and the page's filters."""

    run_id: int
    opd: frozenset[str] | None = None
    kode_skpd: str | None = None
    aksi: str | None = None

    def describe(self) -> str:
        parts = opd_words(self.kode_skpd, self.opd)
        if self.aksi:
            parts.append(f"aksi {rencana_tampil.LABEL_AKSI.get(self.aksi, self.aksi)}")
        return ", ".join(parts) or "seluruh rencana"


def filename(run: SyncRun, made_at: datetime) -> str:
    """``pratinjau-run-12-2026-renja-2026-12-07.xlsx`` (``rencana-`` for a
    run that writes), the day in WIB."""
    jenis = "pratinjau" if run.pratinjau else "rencana"
    day = f"{made_at.astimezone(WIB):%Y-%m-%d}"
    return f"{jenis}-run-{run.id}-{run.tahun_anggaran}-{run.tahap}-{day}.xlsx"


def title_lines(
    run: SyncRun, pilihan: Pilihan, *, pemda: str, made_at: datetime, berlaku_jam: float
) -> list[str]:
    jenis = "Pratinjau" if run.pratinjau else "Rencana"
    status = (
        "menunggu persetujuan"
        if run.status == RunStatus.HELD
        else STATUS_LABELS.get(run.status, run.status)
    )
    berlaku = rencana_tampil.berlaku_sampai(run, berlaku_jam)
    keputusan = run.keputusan or "belum ada"
    if run.keputusan and run.diputuskan_oleh:
        keputusan += f" oleh {run.diputuskan_oleh} ({waktu_wib(run.diputuskan_pada)})"
    return [
        f"{jenis} run #{run.id}: yang akan ditulis ke E-Planning",
        pemda,
        f"Tahun anggaran {run.tahun_anggaran} · tahap {tahap_label(run.tahap)}",
        f"Run dibuat {waktu_wib(run.created_at)}, selesai {waktu_wib(run.finished_at)} · "
        f"status {status}"
        + (f" · berlaku sampai {waktu_wib(berlaku)}" if berlaku else "")
        + f" · keputusan: {keputusan}",
        f"Cakupan: {pilihan.describe()}",
        f"Dibuat {waktu_wib(made_at)}",
    ]


def write_xlsx(
    session: Session,
    pilihan: Pilihan,
    out: BinaryIO | Path,
    *,
    pemda: str,
    made_at: datetime,
    berlaku_jam: float,
    watch: Watch | None = None,
) -> int:
    """Write the plan ``pilihan`` selects to ``out``; returns the rows written.
    Once ``watch.left`` is set the writing stops (ExportCancelled)."""
    run = runs.get(session, pilihan.run_id)
    if run is None:
        raise LookupError(f"run {pilihan.run_id} tidak ada")
    watch = watch if watch is not None else Watch()
    title = title_lines(run, pilihan, pemda=pemda, made_at=made_at, berlaku_jam=berlaku_jam)
    per_opd = rencana_tampil.per_opd(
        rencana.counts(session, run.id), run.ditahan or {}, _reader_opds(pilihan)
    )
    spool = tempfile.mkdtemp(prefix="sinkron-rencana-")
    raw: BinaryIO | None = None
    try:
        raw = out.open("wb") if isinstance(out, Path) else out
        wb = streaming_workbook(raw, watch, spool)
        wb.set_properties({"title": title[0], "author": f"Sinkron · {pemda}", "company": pemda})
        book = _Book(wb)
        _write_ringkasan(book, title, per_opd)
        _write_rows(book, session, title, pilihan, watch)
        watch.check()
        wb.close()
    finally:
        if isinstance(out, Path) and raw is not None:
            raw.close()
        shutil.rmtree(spool, ignore_errors=True)
    return watch.rows


def xlsx_file(
    session: Session,
    pilihan: Pilihan,
    *,
    pemda: str,
    made_at: datetime,
    berlaku_jam: float,
    watch: Watch | None = None,
) -> Path:
    """The file written to a new temporary path, for a response to send and remove."""
    fd, name = tempfile.mkstemp(prefix="sinkron-", suffix=".xlsx")
    os.close(fd)
    path = Path(name)
    try:
        write_xlsx(
            session, pilihan, path, pemda=pemda, made_at=made_at, berlaku_jam=berlaku_jam,
            watch=watch,
        )  # fmt: skip
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def _reader_opds(pilihan: Pilihan) -> frozenset[str] | None:
    if pilihan.kode_skpd is None:
        return pilihan.opd
    return frozenset({pilihan.kode_skpd}) & (
        pilihan.opd if pilihan.opd is not None else {pilihan.kode_skpd}
    )


class _Book:
    def __init__(self, wb: Workbook) -> None:
        self.wb = wb
        top = {"valign": "top"}
        self.text = wb.add_format(top)
        self.wrap = wb.add_format({**top, "text_wrap": True})
        self.number = wb.add_format(top)
        self.rupiah = wb.add_format({**top, "num_format": RUPIAH})
        self.header = wb.add_format(
            {"bold": True, "font_color": "#FFFFFF", "bg_color": "#1F4E78", "text_wrap": True,
             "valign": "top"}
        )  # fmt: skip
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.bold = wb.add_format({"bold": True})

    def sheet(
        self, name: str, lines: Sequence[str], columns: Sequence[tuple[str, int]]
    ) -> tuple[Worksheet, int]:
        """A sheet with its title block and header row; returns it and the header's row."""
        ws = self.wb.add_worksheet(name)
        for index, (_, width) in enumerate(columns):
            ws.set_column(index, index, width)
        header_row = len(lines) + 1
        ws.freeze_panes(header_row + 1, 0)
        ws.set_landscape()
        ws.set_paper(_A4)
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(header_row)
        ws.set_footer("&L&A&RHalaman &P dari &N")
        for i, line in enumerate(lines):
            style = self.title if i == 0 else self.bold if i == 1 else None
            ws.write_string(i, 0, clean(line), style)
        for col, (judul, _) in enumerate(columns):
            ws.write_string(header_row, col, judul, self.header)
        return ws, header_row


def _write_ringkasan(
    book: _Book, title: list[str], per_opd: list[rencana_tampil.JumlahOpd]
) -> None:
    labels = rencana_tampil.LABEL_AKSI
    columns = [
        ("Perangkat daerah", 26),
        *((label.capitalize(), 12) for label in labels.values()),
        ("Jumlah", 12),
        ("Ditahan penjaga", 60),
    ]
    lines = [*title, "Per perangkat daerah: baris rencana per aksi"]
    ws, header_row = book.sheet(RINGKASAN_SHEET, lines, columns)
    row = header_row
    for o in per_opd:
        row += 1
        ws.write_string(row, 0, o.kode_skpd, book.text)
        for col, code in enumerate(labels, 1):
            ws.write_number(row, col, o.per_aksi.get(code, 0), book.number)
        ws.write_number(row, len(labels) + 1, o.jumlah, book.number)
        if o.alasan_ditahan:
            ws.write_string(row, len(labels) + 2, clean(o.alasan_ditahan), book.wrap)
    if per_opd:
        ws.autofilter(header_row, 0, row, len(columns) - 1)
    total = rencana_tampil.jumlah_semua(per_opd)
    row += 2
    ws.write_string(row, 0, "Semua", book.bold)
    for col, code in enumerate(labels, 1):
        ws.write_number(row, col, total.get(code, 0), book.bold)
    ws.write_number(row, len(labels) + 1, sum(total.values()), book.bold)


def _write_rows(
    book: _Book, session: Session, title: list[str], pilihan: Pilihan, watch: Watch
) -> None:
    lines = [*title, "Setiap isian yang akan berubah: nilai sebelum (di E-Planning) dan sesudah"]
    ws, header_row = book.sheet(RENCANA_SHEET, lines, KOLOM_RENCANA)
    line = header_row
    for n, row in enumerate(_stream(session, pilihan), 1):
        changes = list(row.perubahan or ()) or [None]
        for change in changes:
            line += 1
            _write_line(book, ws, line, n=n, row=row, change=change)
        watch.row()
    ws.autofilter(header_row, 0, max(line, header_row), len(KOLOM_RENCANA) - 1)


def _stream(session: Session, pilihan: Pilihan) -> Iterator[Rencana]:
    """The plan's rows, a page at a time; each page let go of once read."""
    after: int | None = None
    while True:
        page = rencana.rows_of_run(
            session, pilihan.run_id, kode_skpd=pilihan.kode_skpd, aksi=pilihan.aksi,
            opd=pilihan.opd, after_id=after, limit=PAGE,
        )  # fmt: skip
        if not page:
            return
        yield from page
        after = page[-1].id
        session.expunge_all()


def _write_line(
    book: _Book, ws: Worksheet, line: int, *, n: int, row: Rencana, change: dict[str, Any] | None
) -> None:
    label = rencana_tampil.LABEL_AKSI.get(row.aksi, row.aksi)
    for col, text in enumerate(
        (label, row.status, row.kode_skpd, row.kode_sub_skpd, row.kode_sub_kegiatan), 1
    ):
        ws.write_string(line, col, clean(text or ""), book.text)
    ws.write_number(line, 0, n, book.number)
    if row.nama_sub_kegiatan:
        ws.write_string(line, 6, clean(row.nama_sub_kegiatan), book.wrap)
    if change is None:
        return
    field = str(change.get("field", ""))
    ws.write_string(line, 7, clean(field), book.text)
    for col, value in ((8, change.get("sebelum")), (9, change.get("sesudah"))):
        _write_value(book, ws, line, col, field=field, value=value)


def _write_value(
    book: _Book, ws: Worksheet, line: int, col: int, *, field: str, value: Any
) -> None:
    """Money as a number in Rupiah, sumber dana as Rupiah lines, lists as JSON text."""
    if value is None:
        return
    if isinstance(value, bool):
        ws.write_string(line, col, "ya" if value else "tidak", book.text)
        return
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    if is_money_field(field):
        amount = nilai.amount(text)
        if amount is not None:
            ws.write_number(line, col, float(amount), book.rupiah)
            return
    dana = nilai.sumber_dana(text)
    ws.write_string(line, col, clean(dana if dana is not None else text), book.wrap)
