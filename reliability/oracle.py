"""What E-Planning must hold after a sync, computed without the code under test.

The expected state is derived from the E-Program stand-in's records and the
mapping rules written down below as data (which E-Program field goes to which
E-Planning field, and how its value is read), from the two contracts in
../shared/contracts, never from mappings/ or app/. The reliability runs use
the generator's untidy data without bad records and without operator copies
(reliability/harness.py), so every record has one right answer and no rule
needs judgement, while the readers below still meet every money format, code
form (X.XX, two-digit numbers), untidy name and target the E-Program contract
lists.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

Key = tuple[str, str]  # (kode_sub_skpd, kode_sub_kegiatan); tahun and tahap are fixed per run


# -- readers: how one E-Program value is read ---------------------------------
def _text(value: Any) -> str:
    """Line breaks, doubled and stray spaces gone (the contract's untidy names)."""
    return " ".join(("" if value is None else str(value)).split())


def _name(value: Any) -> str:
    """A name without the code operators put before it ("7.01.02.2.01.01 Koordinasi ...")."""
    return re.sub(r"^[0-9X]+(\.[0-9X]+)+\s+", "", _text(value), flags=re.IGNORECASE)


def _money(value: Any) -> str:
    """ "1500000", "1500000.00", "1.500.000,00" or the JSON number 1500000 → "1500000.00"."""
    if isinstance(value, int | float):
        amount = Decimal(str(value))
    else:
        text = _text(value)
        if re.fullmatch(r"\d{1,3}(\.\d{3})+(,\d+)?", text) or "," in text:
            text = text.replace(".", "").replace(",", ".")
        amount = Decimal(text)
    return f"{amount:.2f}"


def _money_optional(value: Any) -> str | None:
    return None if _text(value) == "" else _money(value)


def _month(value: Any) -> int:
    return int(_text(value))


def _flag(value: Any) -> bool:
    return _text(value).lower() in {"1", "true"}


def _tag_stripped(value: Any) -> str:
    """ "[DANA UMUM] - PENDAPATAN ASLI DAERAH (PAD)" → "PENDAPATAN ASLI DAERAH (PAD)"."""
    return re.sub(r"^\[[^\]]*\]\s*-\s*", "", _text(value))


def _target(value: Any) -> str | None:
    """A number, alone or before its unit ("12", "8,5", "100 %", "12 Bulan"), as a decimal
    string; anything else ("", "Ada") is no number (None)."""
    match = re.fullmatch(r"(\d+(?:[.,]\d+)?)(?:\s*[^\d\s].*)?", _text(value))
    if match is None:
        return None
    try:
        return str(Decimal(match.group(1).replace(",", ".")))
    except InvalidOperation:
        return None


READERS: dict[str, Callable[[Any], Any]] = {
    "text": _text,
    "name": _name,
    "money": _money,
    "money_optional": _money_optional,
    "month": _month,
    "flag": _flag,
    "tag_stripped": _tag_stripped,
    "target": _target,
}

# -- the rules: E-Planning field ← (E-Program field, reader) ------------------
FIELDS: tuple[tuple[str, str, str], ...] = (
    ("kode_skpd", "kode_skpd", "text"),
    ("nama_sub_skpd", "nama_sub_skpd", "text"),
    ("nama_sub_kegiatan", "nama_sub_giat", "name"),
    ("pagu", "pagu", "money"),
    ("pagu_tahun_depan", "pagu_n_depan", "money_optional"),
    ("bulan_mulai", "waktu_awal", "month"),
    ("bulan_selesai", "waktu_akhir", "month"),
    ("aktif", "active", "flag"),
)
# indikator, in this order: (E-Program list, jenis, field stem → <stem>teks, target<stem>, ...)
INDIKATOR: tuple[tuple[str, str, str], ...] = (
    ("capaian_prog_sub_keg", "capaian_program", "capaian"),
    ("output_giat", "keluaran_kegiatan", "output"),
    ("sub_keg_indikator_hasil", "hasil_kegiatan", "hasil"),
    ("sub_keg_indikator", "keluaran_sub_kegiatan", "output"),
)
INDIKATOR_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("tolok_ukur", "{stem}teks", "text"),
    ("target", "target{stem}", "target"),
    ("target_teks", "target{stem}teks", "text"),
    ("satuan", "satuan{stem}", "text"),
)
SUMBER_DANA_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("kode", "kode_dana", "text"),
    ("nama", "nama_dana", "tag_stripped"),
    ("pagu", "pagu_dana", "money"),
)
LOKASI_PARTS = ("daerahteks", "camatteks", "lurahteks")
SUPPORT_BIDANG = "X.XX"  # stands for the bidang of the record's OPD (first two kode_skpd segments)


def kode_sub_kegiatan(kode_sub_giat: Any, kode_skpd: Any) -> str:
    """X.XX resolved from kode_skpd; the last segment always four digits."""
    parts = _text(kode_sub_giat).split(".")
    if ".".join(parts[:2]).upper() == SUPPORT_BIDANG:
        parts[:2] = _text(kode_skpd).split(".")[:2]
    parts[-1] = parts[-1].zfill(4)
    return ".".join(parts)


def expected_record(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The E-Planning fields the rules above give for one E-Program record."""
    record = {target: READERS[reader](raw.get(source)) for target, source, reader in FIELDS}
    record["kode_sub_skpd"] = _text(raw.get("kode_sub_skpd")) or _text(raw.get("kode_skpd"))
    record["kode_sub_kegiatan"] = kode_sub_kegiatan(raw.get("kode_sub_giat"), raw.get("kode_skpd"))
    record["indikator"] = [
        {
            "jenis": jenis,
            **{
                name: READERS[reader](item.get(template.format(stem=stem)))
                for name, template, reader in INDIKATOR_FIELDS
            },
        }
        for source, jenis, stem in INDIKATOR
        for item in raw.get(source) or []
        if _text(item.get(f"{stem}teks"))
    ]
    record["sumber_dana"] = [
        {name: READERS[reader](item.get(source)) for name, source, reader in SUMBER_DANA_FIELDS}
        for item in raw.get("sumber_dana") or []
    ]
    record["lokasi"] = [
        ", ".join(part for part in (_text(place.get(p)) for p in LOKASI_PARTS) if part)
        for place in raw.get("lokasi_sub_keg") or []
    ]
    record["sumber_id"] = _text(raw.get("id"))
    return record


def expected_holdings(
    records: Iterable[Mapping[str, Any]], *, tahun_anggaran: int, tahap: str
) -> dict[Key, dict[str, Any]]:
    """What E-Planning must hold for (tahun_anggaran, tahap) after a sync of ``records``
    into an E-Planning that held nothing of it: the active records, one per key."""
    expected: dict[Key, dict[str, Any]] = {}
    for raw in records:
        if _text(raw.get("tahun_anggaran")) != str(tahun_anggaran) or raw.get("tahap") != tahap:
            continue
        record = expected_record(raw)
        if not record["aktif"]:
            continue  # never created: nothing to deactivate in an E-Planning that had none
        key = (record["kode_sub_skpd"], record["kode_sub_kegiatan"])
        if key in expected:
            raise ValueError(f"two source records for {key}: not a dataset for this oracle")
        expected[key] = record
    return expected


@dataclass(frozen=True)
class Diff:
    lost: list[Key] = field(default_factory=list)
    extra: list[Key] = field(default_factory=list)
    # (key, field, expected, held)
    wrong: list[tuple[Key, str, Any, Any]] = field(default_factory=list)

    @property
    def exact(self) -> bool:
        return not (self.lost or self.extra or self.wrong)

    def summary(self) -> str:
        if self.exact:
            return "exact"
        text = f"{len(self.lost)} lost, {len(self.extra)} extra, {len(self.wrong)} wrong fields"
        if self.wrong:
            key, name, want, got = self.wrong[0]
            text += f" (e.g. {key} {name}: expected {want!r}, held {got!r})"
        return text


def held_view(held: Mapping[str, Any]) -> dict[str, Any]:
    """An E-Planning record in the oracle's terms (the read-only fields left out)."""
    view = {name: held.get(name) for name, _, _ in FIELDS}
    view["kode_sub_skpd"] = held.get("kode_sub_skpd")
    view["kode_sub_kegiatan"] = held.get("kode_sub_kegiatan")
    view["indikator"] = [
        {k: item.get(k) for k in ("jenis", "tolok_ukur", "target", "target_teks", "satuan")}
        for item in held.get("indikator") or []
    ]
    view["sumber_dana"] = [
        {k: item.get(k) for k in ("kode", "nama", "pagu")} for item in held.get("sumber_dana") or []
    ]
    view["lokasi"] = list(held.get("lokasi") or [])
    view["sumber_id"] = str((held.get("sumber") or {}).get("id", ""))
    return view


def diff(expected: Mapping[Key, Mapping[str, Any]], holdings: Iterable[Mapping[str, Any]]) -> Diff:
    """Lost keys, extra keys (active records nobody expects) and wrong fields, both values."""
    held = {(str(h["kode_sub_skpd"]), str(h["kode_sub_kegiatan"])): h for h in holdings}
    result = Diff()
    for key, want in expected.items():
        if key not in held:
            result.lost.append(key)
            continue
        got = held_view(held[key])
        for name, value in want.items():
            if got.get(name) != value:
                result.wrong.append((key, name, value, got.get(name)))
    result.extra.extend(k for k, h in held.items() if k not in expected and h.get("aktif"))
    return result
