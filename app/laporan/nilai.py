"""A mismatch's values as people read them in the report files: an amount as a
whole number of Rupiah, a list of sumber dana as one line per source in
Rupiah. Pure: no database, no spreadsheet library."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from app.report import rupiah
from mappings.normalise import parse_money


def amount(value: str | None) -> Decimal | None:
    """The amount ``value`` writes ("1250000000.00", "Rp 1.250.000"), or None
    when it is not one."""
    if value is None:
        return None
    try:
        return parse_money(value)
    except ValueError:
        return None


def whole_rupiah(value: Decimal) -> int:
    """An amount to the nearest Rupiah (half up): what a planner's sheet adds."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def sumber_dana(value: str | None) -> str | None:
    """A list of sumber dana as E-Planning got it (JSON: kode, nama, pagu) as
    lines people read: ``DAU (1.1.01): Rp 1.000.000`` per source, then the
    total; None when ``value`` is not such a list."""
    items = _sumber_dana_items(value)
    if items is None:
        return None
    lines = []
    total = Decimal(0)
    for item in items:
        pagu = parse_money(item["pagu"])
        total += pagu
        name = str(item.get("nama") or "").strip() or "Sumber dana"
        kode = str(item.get("kode") or "").strip()
        lines.append(f"{name} ({kode}): {rupiah(pagu)}" if kode else f"{name}: {rupiah(pagu)}")
    lines.append(f"Jumlah: {rupiah(total)}")
    return "\n".join(lines)


def _sumber_dana_items(value: str | None) -> list[dict[str, Any]] | None:
    if not value or not value.startswith("["):
        return None
    try:
        items = json.loads(value)
    except ValueError:
        return None
    if not isinstance(items, list) or not items:
        return None
    for item in items:
        if not isinstance(item, dict) or "pagu" not in item:
            return None
        try:
            parse_money(item["pagu"])
        except ValueError:
            return None
    return items
