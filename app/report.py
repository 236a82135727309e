"""How numbers and outcomes read to the people who use Sinkron (Bahasa Indonesia)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from mappings.normalise import WIB

OUTCOME_LABELS = {
    "created": "dibuat",
    "updated": "diperbarui",
    "deactivated": "dinonaktifkan",
    "unchanged": "tidak berubah",
    "conflict": "konflik (diubah manual)",
    "rejected": "ditolak E-Planning",
    "unmappable": "tidak dapat dipetakan",
    "duplicate": "data ganda",
    "dead_letter": "gagal kirim (dead letter)",
}

STATUS_LABELS = {
    "pending": "menunggu",
    "running": "berjalan",
    "succeeded": "berhasil",
    "failed": "gagal",
    "cancelled": "dibatalkan",
    "interrupted": "terputus",
}


@dataclass(frozen=True)
class KategoriInfo:
    """How planners see a mismatch category: its name and what to do about it."""

    label: str
    saran: str


# The mismatch categories (docs/design.md), in the order the report lists them.
KATEGORI: dict[str, KategoriInfo] = {
    "kode_tidak_di_nomenklatur": KategoriInfo(
        "Kode sub kegiatan tidak ada di nomenklatur",
        "Ganti kode di E-Program dengan kode nomenklatur yang berlaku (lihat kode pengganti "
        "bila ada).",
    ),
    "format_kode": KategoriInfo(
        "Format kode salah",
        "Perbaiki kode di E-Program: 6 segmen sub kegiatan, tanpa X.XX, sesuai jenis pemda.",
    ),
    "nama_berbeda": KategoriInfo(
        "Nama berbeda",
        "Samakan nama sub kegiatan di E-Program dengan nama di nomenklatur.",
    ),
    "pagu_berbeda": KategoriInfo(
        "Pagu berbeda",
        "Periksa pagu di E-Program dan di E-Planning; selesaikan penyebabnya (konflik, "
        "penolakan, atau gagal kirim) agar keduanya sama.",
    ),
    "sumber_dana_tidak_sama": KategoriInfo(
        "Jumlah sumber dana ≠ pagu",
        "Sesuaikan rincian sumber dana di E-Program agar jumlahnya sama dengan pagu.",
    ),
    "indikator_tidak_lengkap": KategoriInfo(
        "Indikator/target tidak lengkap",
        "Lengkapi indikator keluaran, target berupa angka, dan satuan sesuai nomenklatur.",
    ),
    "skpd_tidak_dikenal": KategoriInfo(
        "Perangkat daerah tidak dikenal",
        "Periksa kode perangkat daerah/sub unit: mungkin berganti nama atau digabung.",
    ),
    "duplikat": KategoriInfo(
        "Data ganda",
        "Hapus atau nonaktifkan salinan sub kegiatan yang sama di E-Program.",
    ),
    "hanya_di_eplanning": KategoriInfo(
        "Hanya ada di E-Planning",
        "Masukkan sub kegiatan ini di E-Program, atau nonaktifkan di E-Planning bila "
        "memang tidak dipakai.",
    ),
    "diubah_manual": KategoriInfo(
        "Diubah langsung di E-Planning",
        "Putuskan nilai yang benar: ubah E-Program agar sama, atau kembalikan E-Planning.",
    ),
    "ditolak": KategoriInfo(
        "Ditolak E-Planning",
        "Baca alasan penolakan dan perbaiki data di E-Program; hubungi admin bila tidak jelas.",
    ),
    "data_tidak_valid": KategoriInfo(
        "Data tidak valid",
        "Perbaiki nilai yang tidak dapat dibaca di E-Program (angka, bulan, tanggal, daftar).",
    ),
}

# Who started a run, in the command's lists.
TRIGGER_LABELS = {"cli": "perintah", "api": "API", "schedule": "jadwal", "demo": "demo"}

# As the end of "dead letter 7 sudah …".
DEAD_LETTER_STATUS_LABELS = {
    "open": "terbuka",
    "resolved": "sampai di E-Planning",
    "rejected": "ditolak E-Planning",
    "superseded": "digantikan hasil run berikutnya",
}

MISMATCH_STATUS_LABELS = {
    "baru": "baru",
    "diakui": "diakui",
    "selesai": "selesai",
    "dikecualikan": "dikecualikan",
}

_BULAN = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)


def waktu_wib(moment: datetime | None) -> str:
    """An aware time as people here read it: '2 Desember 2026 08.15 WIB'."""
    if moment is None:
        return "-"
    local = moment.astimezone(WIB)
    return f"{local.day} {_BULAN[local.month - 1]} {local.year} {local:%H.%M} WIB"


def persen(share: float | None) -> str:
    """0.8734 → '87,3%'; '-' when there is nothing to divide."""
    if share is None:
        return "-"
    return f"{share * 100:.1f}%".replace(".", ",")


def angka(value: int) -> str:
    """1234567 → '1.234.567'."""
    return f"{value:,}".replace(",", ".")


def rupiah(value: Decimal) -> str:
    """Decimal('1250000000') → 'Rp 1.250.000.000'; cents only when there are any."""
    quantised = value.quantize(Decimal("0.01"))
    whole, _, cents = f"{abs(quantised):,.2f}".partition(".")
    text = whole.replace(",", ".")
    if cents != "00":
        text += "," + cents
    return ("-Rp " if quantised < 0 else "Rp ") + text


def outcome_table(counts: dict[str, int], pulled: int) -> str:
    """A fixed-width table of the outcomes of a run, every outcome listed."""
    width = max(len(label) for label in OUTCOME_LABELS.values())
    lines = [f"{'hasil'.ljust(width)}  {'jumlah':>8}", "-" * (width + 10)]
    for code, label in OUTCOME_LABELS.items():
        lines.append(f"{label.ljust(width)}  {angka(counts.get(code, 0)):>8}")
    lines.append("-" * (width + 10))
    lines.append(f"{'total'.ljust(width)}  {angka(sum(counts.values())):>8}")
    lines.append(f"{'data ditarik'.ljust(width)}  {angka(pulled):>8}")
    return "\n".join(lines)


class FinishedRun(Protocol):
    """What a warning is made of: a sync_run row, or the API's view of one."""

    @property
    def tahun_anggaran(self) -> int: ...
    @property
    def tahap(self) -> str: ...
    @property
    def scope_empty(self) -> bool: ...
    @property
    def outcome_counts(self) -> Mapping[str, Any] | None: ...


def peringatan_run(run: FinishedRun) -> str | None:
    """What a finished run warns about: a scope no run ever brought a record of
    (most often a wrong tahun or tahap), or records left as dead letters."""
    if run.scope_empty:
        return (
            f"E-Program tidak mengirim satu data pun untuk tahun anggaran {run.tahun_anggaran} "
            f"tahap {run.tahap}, dan Sinkron belum pernah menerima data untuk cakupan ini: "
            "periksa tahun anggaran, tahap dan kode OPD yang diminta"
        )
    # A key limited to OPDs is not shown the pemda's counts (app/access/policy.py).
    dead = (run.outcome_counts or {}).get("dead_letter", 0)
    if dead:
        return (
            f"{dead} data gagal dikirim ke E-Planning dan menjadi dead letter; "
            "run berikutnya mengirimnya ulang, atau kirim ulang lewat /api/v1/dead-letters/retry"
        )
    return None
