"""How planners see each mismatch category: one table, keyed by
:class:`~app.vocabulary.Kategori`, read by the pages, the API and the report
files alike. Pure.

A category a newer version wrote and this one does not know (a row in the
database) is shown by its code, with no advice, after the known ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from app.vocabulary import Kategori


@dataclass(frozen=True)
class KategoriInfo:
    """A category as people read it.

    ``lembar`` names its sheet in the Excel report (at most 31 characters, none
    of ``[]:*?/\\``, Excel's rules); ``uang`` says its two values are amounts,
    written there as numbers in Rupiah format.
    """

    label: str
    lembar: str
    saran: str
    uang: bool = False


# In the order of docs/design.md's table, which the report follows.
KATEGORI: dict[Kategori, KategoriInfo] = {
    Kategori.KODE_TIDAK_DI_NOMENKLATUR: KategoriInfo(
        "Kode sub kegiatan tidak ada di nomenklatur",
        "Kode tidak di nomenklatur",
        "Ganti kode di E-Program dengan kode nomenklatur yang berlaku (lihat kode pengganti "
        "bila ada).",
    ),
    Kategori.FORMAT_KODE: KategoriInfo(
        "Format kode salah",
        "Format kode salah",
        "Perbaiki kode di E-Program: 6 segmen sub kegiatan, tanpa X.XX, sesuai jenis pemda.",
    ),
    Kategori.NAMA_BERBEDA: KategoriInfo(
        "Nama berbeda",
        "Nama berbeda",
        "Samakan nama sub kegiatan di E-Program dengan nama di nomenklatur.",
    ),
    Kategori.PAGU_BERBEDA: KategoriInfo(
        "Pagu berbeda",
        "Pagu berbeda",
        "Periksa pagu di E-Program dan di E-Planning; selesaikan penyebabnya (konflik, "
        "penolakan, atau gagal kirim) agar keduanya sama.",
        uang=True,
    ),
    Kategori.SUMBER_DANA_TIDAK_SAMA: KategoriInfo(
        "Jumlah sumber dana ≠ pagu",
        "Sumber dana ≠ pagu",
        "Sesuaikan rincian sumber dana di E-Program agar jumlahnya sama dengan pagu.",
        uang=True,
    ),
    Kategori.INDIKATOR_TIDAK_LENGKAP: KategoriInfo(
        "Indikator/target tidak lengkap",
        "Indikator tidak lengkap",
        "Lengkapi indikator keluaran, target berupa angka, dan satuan sesuai nomenklatur.",
    ),
    Kategori.SKPD_TIDAK_DIKENAL: KategoriInfo(
        "Perangkat daerah tidak dikenal",
        "Perangkat daerah tak dikenal",
        "Periksa kode perangkat daerah/sub unit: mungkin berganti nama atau digabung.",
    ),
    Kategori.DUPLIKAT: KategoriInfo(
        "Data ganda",
        "Data ganda",
        "Hapus atau nonaktifkan salinan sub kegiatan yang sama di E-Program.",
    ),
    Kategori.HANYA_DI_EPLANNING: KategoriInfo(
        "Hanya ada di E-Planning",
        "Hanya di E-Planning",
        "Masukkan sub kegiatan ini di E-Program, atau nonaktifkan di E-Planning bila "
        "memang tidak dipakai.",
    ),
    Kategori.DIUBAH_MANUAL: KategoriInfo(
        "Diubah langsung di E-Planning",
        "Diubah di E-Planning",
        "Putuskan nilai yang benar: ubah E-Program agar sama, atau kembalikan E-Planning.",
    ),
    Kategori.DITOLAK: KategoriInfo(
        "Ditolak E-Planning",
        "Ditolak E-Planning",
        "Baca alasan penolakan dan perbaiki data di E-Program; hubungi admin bila tidak jelas.",
    ),
    Kategori.DATA_TIDAK_VALID: KategoriInfo(
        "Data tidak valid",
        "Data tidak valid",
        "Perbaiki nilai yang tidak dapat dibaca di E-Program (angka, bulan, tanggal, daftar).",
    ),
}


def info(code: str) -> KategoriInfo | None:
    """The table's entry for a category code; None for a code it does not know."""
    kategori = Kategori.of(code)
    return None if kategori is None else KATEGORI[kategori]


def label(code: str) -> str:
    """The category's name, or its code when unknown."""
    found = info(code)
    return found.label if found else code


def saran(code: str) -> str:
    """What to do about it; empty when unknown."""
    found = info(code)
    return found.saran if found else ""


def urut(codes: Iterable[str]) -> list[str]:
    """These codes in the report's order; unknown ones last, alphabetically."""
    present = set(codes)
    known = [k.value for k in KATEGORI if k in present]
    return known + sorted(present - set(known))
