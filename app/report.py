"""How numbers and outcomes read to the people who use Sinkron (Bahasa Indonesia)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from app.vocabulary import Tahap
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
    "direncanakan": "direncanakan",
    "ditahan": "ditahan penjaga",
}
# Only a preview, a stopped run or a held one has these: listed when they occur.
_OUTCOMES_WHEN_ANY = {"direncanakan", "ditahan"}

STATUS_LABELS = {
    "pending": "menunggu",
    "running": "berjalan",
    "succeeded": "berhasil",
    "failed": "gagal",
    "cancelled": "dibatalkan",
    "interrupted": "terputus",
    "menunggu_persetujuan": "menunggu persetujuan",
}


# The tahap as the pages and the files' titles write them.
TAHAP_LABELS: dict[Tahap, str] = {
    Tahap.RENJA: "Renja",
    Tahap.RKPD: "RKPD",
    Tahap.KUA_PPAS: "KUA-PPAS",
    Tahap.APBD: "APBD",
    Tahap.APBD_PERUBAHAN: "APBD Perubahan",
}


def tahap_label(code: str) -> str:
    """'kua_ppas' → 'KUA-PPAS'; an unknown code as it is."""
    tahap = Tahap.of(code)
    return code if tahap is None else TAHAP_LABELS[tahap]


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


_PLAIN_DECIMAL = re.compile(r"-?\d+(\.\d+)?")
# The fields of a finding whose values are money, by their last name in a path.
MONEY_FIELDS = frozenset({"pagu", "pagu_dana", "pagu_tahun_depan", "pagu_n_depan"})


def is_money_field(field: str | None) -> bool:
    """``pagu``, ``sub_kegiatan[0].pagu_dana`` and the like."""
    return re.sub(r"\[\d+\]", "", field or "").rsplit(".", 1)[-1] in MONEY_FIELDS


def rupiah_text(text: str) -> str:
    """A stored amount ("559582500.00") in Rupiah; any other text as it is."""
    if not _PLAIN_DECIMAL.fullmatch(text.strip()):
        return text
    try:
        return rupiah(Decimal(text.strip()))
    except InvalidOperation:
        return text


def outcome_table(counts: dict[str, int], pulled: int) -> str:
    """A fixed-width table of the outcomes of a run, every outcome listed (those of a
    plan, planned or held, when the run has any)."""
    width = max(len(label) for label in OUTCOME_LABELS.values())
    lines = [f"{'hasil'.ljust(width)}  {'jumlah':>8}", "-" * (width + 10)]
    for code, label in OUTCOME_LABELS.items():
        if code in _OUTCOMES_WHEN_ANY and not counts.get(code):
            continue
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


def sinkron_terakhir_teks(
    berhasil_pada: datetime | None, gagal_terakhir: datetime | None, alasan: str | None
) -> tuple[str, str | None]:
    """When the figures were last synced, as a line, and the warning when they
    may be stale (``alasan``, app.mismatches.tindak_lanjut.kesegaran)."""
    line = f"Sinkron berhasil terakhir: {waktu_wib(berhasil_pada)}"
    if gagal_terakhir is not None and (berhasil_pada is None or gagal_terakhir > berhasil_pada):
        line += f"; gagal terakhir: {waktu_wib(gagal_terakhir)}"
    warning = f"PERINGATAN: data mungkin tidak terkini: {alasan}" if alasan else None
    return line, warning
