"""The columns of the report files: one table for a mismatch's row in the XLSX
sheets and in the CSV, one for the ``Ringkasan`` sheet. A new column is one
line here; the writers (app.laporan.export, app.laporan.csv_file) only know how
each kind of value is written. Pure: no database, no spreadsheet library.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from app.mismatches import kategori
from app.mismatches.kategori import KATEGORI
from app.report import MISMATCH_STATUS_LABELS

if TYPE_CHECKING:
    from app.models import Mismatch
    from app.repositories.ringkasan import OpdFigures

T = TypeVar("T")


class Jenis(enum.Enum):
    """How a value is written: each file knows how to write each kind."""

    TEKS = enum.auto()  # text from the data: never a formula, in Excel's limits
    NILAI = enum.auto()  # a mismatch's value: an amount in a money kategori's sheet, else TEKS
    WAKTU = enum.auto()  # a moment, in WIB
    KATA = enum.auto()  # the service's own words and numbers, written as they are
    NOMOR = enum.auto()  # the row's number in its sheet
    RUPIAH = enum.auto()  # an amount, in Rupiah format
    PERSEN = enum.auto()  # a share 0..1, as a percentage


@dataclass(frozen=True)
class Kolom(Generic[T]):
    """One column: its header (``judul``, the same words in the sheets, the CSV
    and the pages), which files carry it, the value (a row's attribute by name,
    or a function of the row) and how it is written; the sheet's narrowest
    width for it, whether its long text wraps, and the text column whose
    longest value widens it (read before the first row)."""

    judul: str
    nilai: str | Callable[[T], Any]
    jenis: Jenis = Jenis.TEKS
    lebar: int = 12
    diukur: str | None = None
    bungkus: bool = False
    di_xlsx: bool = True
    di_csv: bool = True
    baca: Callable[[T], Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        nilai = self.nilai
        object.__setattr__(self, "baca", attrgetter(nilai) if isinstance(nilai, str) else nilai)


def _data(
    judul: str, name: str, jenis: Jenis = Jenis.TEKS, lebar: int = 12, *, bungkus: bool = False
) -> Kolom[Mismatch]:
    """A column of the mismatch's own text, in both files."""
    return Kolom(judul, name, jenis, lebar, diukur=name, bungkus=bungkus)


def _status(m: Mismatch) -> str:
    return MISMATCH_STATUS_LABELS.get(m.status, m.status)


def _label(m: Mismatch) -> str:
    return kategori.label(m.kategori)


def _saran(m: Mismatch) -> str:
    return kategori.saran(m.kategori)


# A mismatch's row, its headers in the pages' words. The differences between the
# files are deliberate: the sheets number their rows; a sheet is one kategori,
# with its name and advice above the table, so only the CSV carries kategori and
# saran per row. Moments are in WIB, as the headers say.
MISMATCH: tuple[Kolom[Mismatch], ...] = (
    Kolom("No", "id", Jenis.NOMOR, lebar=7, di_csv=False),  # the writer numbers each sheet's rows
    Kolom("Nomor temuan", "id", Jenis.KATA, lebar=10),
    _data("Kode SKPD", "kode_skpd", lebar=24),
    _data("Kode sub unit", "kode_sub_skpd", lebar=24),
    _data("Kode sub kegiatan", "kode_sub_kegiatan", lebar=20),
    _data("Nama sub kegiatan", "nama_sub_kegiatan", lebar=30, bungkus=True),
    Kolom("Kode kategori", "kategori", Jenis.KATA, di_xlsx=False),
    Kolom("Kategori", _label, Jenis.KATA, di_xlsx=False),
    _data("Isian", "field", lebar=16, bungkus=True),
    _data("Nilai E-Program", "nilai_eprogram", Jenis.NILAI, lebar=22, bungkus=True),
    _data("Nilai E-Planning / nomenklatur", "nilai_eplanning", Jenis.NILAI, lebar=22, bungkus=True),
    _data("Keterangan", "keterangan", lebar=30, bungkus=True),
    Kolom("Saran", _saran, Jenis.KATA, di_xlsx=False),
    Kolom("Status", _status, Jenis.KATA, lebar=13),
    Kolom("Pertama ditemukan (WIB)", "first_seen_at", Jenis.WAKTU, 22),
    Kolom("Terakhir ditemukan (WIB)", "last_seen_at", Jenis.WAKTU, 22),
    _data("Diputuskan oleh", "diputuskan_oleh", lebar=16, bungkus=True),
    Kolom("Diputuskan pada (WIB)", "diputuskan_pada", Jenis.WAKTU, 22),
    _data("Catatan", "catatan", lebar=24, bungkus=True),
)

XLSX = tuple(k for k in MISMATCH if k.di_xlsx)
CSV = tuple(k for k in MISMATCH if k.di_csv)
# The text columns whose longest value an export reads before it writes.
DIUKUR = tuple(k.diukur for k in XLSX if k.diukur is not None)


def _per_kategori(code: str, lembar: str) -> Kolom[OpdFigures]:
    return Kolom(lembar, lambda f: f.mismatch.get(code, 0), Jenis.KATA, di_csv=False)


def _kode_skpd(f: OpdFigures) -> str:
    return f.kode_skpd or "Total"  # the pemda's row


# The Ringkasan sheet: one row per OPD, and the pemda's total.
RINGKASAN: tuple[Kolom[OpdFigures], ...] = (
    Kolom("Kode SKPD", _kode_skpd, lebar=24, di_csv=False),
    Kolom("Perangkat daerah", "nama_skpd", lebar=40, bungkus=True, di_csv=False),
    Kolom("Sub kegiatan", "jumlah", Jenis.KATA, 13, di_csv=False),
    Kolom("Tepat di E-Planning", "tepat", Jenis.KATA, 13, di_csv=False),
    Kolom("Siap SAKIP", "siap_sakip", Jenis.KATA, di_csv=False),
    Kolom("Kesiapan SAKIP", "kesiapan", Jenis.PERSEN, di_csv=False),
    Kolom("Terbuka", "mismatch_terbuka", Jenis.KATA, di_csv=False),
    *(_per_kategori(k.value, info.lembar) for k, info in KATEGORI.items()),
    Kolom("Pagu E-Program", "pagu_eprogram", Jenis.RUPIAH, 22, di_csv=False),
    Kolom("Pagu E-Planning", "pagu_eplanning", Jenis.RUPIAH, 22, di_csv=False),
    Kolom("Selisih pagu", "selisih_pagu", Jenis.RUPIAH, 22, di_csv=False),
)
