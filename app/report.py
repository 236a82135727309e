"""How numbers and outcomes read to the people who use Sinkron (Bahasa Indonesia)."""

from __future__ import annotations

from decimal import Decimal

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
