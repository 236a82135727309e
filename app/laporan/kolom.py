"""The columns of the report files: one table for a mismatch's row in the XLSX
sheets and in the CSV, one for the ``Ringkasan`` sheet. A new column is one
line here; the writers (app.laporan.export) only know how each kind of value
is written. Pure: no database, no openpyxl.
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
    """One column: its header in the sheets (``judul``) and in the CSV
    (``csv``), None where that file does not carry it; the value (a row's
    attribute by name, or a function of the row) and how it is written; the
    sheet's narrowest width for it, and the text column whose longest value
    widens it (read before the first row)."""

    judul: str | None
    csv: str | None
    nilai: str | Callable[[T], Any]
    jenis: Jenis = Jenis.TEKS
    lebar: int = 12
    diukur: str | None = None
    baca: Callable[[T], Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        nilai = self.nilai
        object.__setattr__(self, "baca", attrgetter(nilai) if isinstance(nilai, str) else nilai)


def _data(judul: str, name: str, jenis: Jenis = Jenis.TEKS, lebar: int = 12) -> Kolom[Mismatch]:
    """A column of the mismatch's own text, in both files under its name."""
    return Kolom(judul, name, name, jenis, lebar, diukur=name)


def _status(m: Mismatch) -> str:
    return MISMATCH_STATUS_LABELS.get(m.status, m.status)


def _label(m: Mismatch) -> str:
    return kategori.label(m.kategori)


def _saran(m: Mismatch) -> str:
    return kategori.saran(m.kategori)


# A mismatch's row. The differences between the files are deliberate and kept
# as people know them: the sheets number their rows and end with the id, the
# CSV starts with it; a sheet is one kategori, with its advice above the table,
# so only the CSV carries kategori and saran per row.
MISMATCH: tuple[Kolom[Mismatch], ...] = (
    Kolom("No", None, "id", Jenis.NOMOR, lebar=7),  # the writer numbers each sheet's rows
    Kolom(None, "id", "id", Jenis.KATA),
    _data("Kode SKPD", "kode_skpd"),
    _data("Kode sub unit", "kode_sub_skpd"),
    _data("Kode sub kegiatan", "kode_sub_kegiatan"),
    _data("Nama sub kegiatan", "nama_sub_kegiatan"),
    Kolom(None, "kategori", "kategori", Jenis.KATA),
    Kolom(None, "kategori_label", _label, Jenis.KATA),
    _data("Field", "field"),
    _data("Nilai E-Program", "nilai_eprogram", Jenis.NILAI, lebar=16),
    _data("Nilai E-Planning / nomenklatur", "nilai_eplanning", Jenis.NILAI, lebar=16),
    _data("Keterangan", "keterangan"),
    Kolom(None, "saran", _saran, Jenis.KATA),
    Kolom("Status", "status", _status, Jenis.KATA, lebar=13),
    Kolom("Pertama ditemukan", "pertama_ditemukan_wib", "first_seen_at", Jenis.WAKTU, 24),
    Kolom("Terakhir ditemukan", "terakhir_ditemukan_wib", "last_seen_at", Jenis.WAKTU, 24),
    _data("Diputuskan oleh", "diputuskan_oleh"),
    Kolom(None, "diputuskan_pada_wib", "diputuskan_pada", Jenis.WAKTU, 24),
    _data("Catatan", "catatan"),
    Kolom("ID", None, "id", Jenis.KATA, lebar=9),
)

XLSX = tuple(k for k in MISMATCH if k.judul is not None)
CSV = tuple(k for k in MISMATCH if k.csv is not None)
# The text columns whose longest value an export reads before it writes.
DIUKUR = tuple(k.diukur for k in XLSX if k.diukur is not None)


def _per_kategori(code: str, lembar: str) -> Kolom[OpdFigures]:
    return Kolom(lembar, None, lambda f: f.mismatch.get(code, 0), Jenis.KATA)


def _kode_skpd(f: OpdFigures) -> str:
    return f.kode_skpd or "Total"  # the pemda's row


# The Ringkasan sheet: one row per OPD, and the pemda's total.
RINGKASAN: tuple[Kolom[OpdFigures], ...] = (
    Kolom("Kode SKPD", None, _kode_skpd, lebar=24),
    Kolom("Perangkat daerah", None, "nama_skpd", lebar=40),
    Kolom("Sub kegiatan", None, "jumlah", Jenis.KATA, 13),
    Kolom("Tepat di E-Planning", None, "tepat", Jenis.KATA, 13),
    Kolom("Siap SAKIP", None, "siap_sakip", Jenis.KATA),
    Kolom("Kesiapan SAKIP", None, "kesiapan", Jenis.PERSEN),
    Kolom("Mismatch terbuka", None, "mismatch_terbuka", Jenis.KATA),
    *(_per_kategori(k.value, info.lembar) for k, info in KATEGORI.items()),
    Kolom("Pagu E-Program", None, "pagu_eprogram", Jenis.RUPIAH, 22),
    Kolom("Pagu E-Planning", None, "pagu_eplanning", Jenis.RUPIAH, 22),
    Kolom("Selisih pagu", None, "selisih_pagu", Jenis.RUPIAH, 22),
)
