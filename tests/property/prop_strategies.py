"""Hypothesis strategies: money in every format E-Program writes it, and raw records.

The formats are the ones ``mappings/normalise.py`` documents and the E-Program
contract shows ("What real records look like"): plain digits, Indonesian and
English thousands separators, a decimal comma or point, "Rp" in front, ",-"
behind, JSON integers, floats and decimals.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from mappings.eprogram import RawSubKegiatan

# Cents up to 10^17 rupiah: far past any APBD, inside E-Planning's 10^18 limit.
# Most real amounts are whole rupiah; half the examples are.
money = st.builds(
    lambda cents, whole: Decimal(cents - cents % 100 if whole else cents).scaleb(-2),
    st.integers(min_value=0, max_value=10**19 - 1),
    st.booleans(),
)


def _groups(whole: str, sep: str) -> str:
    head = len(whole) % 3 or 3
    parts = [whole[:head]] + [whole[i : i + 3] for i in range(head, len(whole), 3)]
    return sep.join(parts)


def _split(value: Decimal) -> tuple[str, str]:
    """("1250000", "50"), or ("1250000", "") for a whole amount."""
    whole, _, frac = format(value, "f").partition(".")
    return whole, frac.rstrip("0") if frac.strip("0") else ""


def plain(value: Decimal) -> str:
    whole, frac = _split(value)
    return f"{whole}.{frac}" if frac else whole


def plain_comma(value: Decimal) -> str:
    whole, frac = _split(value)
    return f"{whole},{frac}" if frac else whole


def indonesian(value: Decimal) -> str:
    whole, frac = _split(value)
    return _groups(whole, ".") + (f",{frac}" if frac else "")


def indonesian_cents(value: Decimal) -> str:
    whole, _ = _split(value)
    return _groups(whole, ".") + "," + format(value, ".2f")[-2:]


def english(value: Decimal) -> str:
    whole, frac = _split(value)
    return _groups(whole, ",") + (f".{frac}" if frac else "")


def english_cents(value: Decimal) -> str:
    whole, _ = _split(value)
    return _groups(whole, ",") + "." + format(value, ".2f")[-2:]


def rupiah(value: Decimal) -> str:
    return "Rp " + indonesian(value)


def rupiah_dot(value: Decimal) -> str:
    return "Rp. " + indonesian_cents(value)


def rupiah_dash(value: Decimal) -> str:
    whole, frac = _split(value)
    return ("Rp" + _groups(whole, ".") + ",-") if not frac else "Rp" + indonesian(value)


def dash(value: Decimal) -> str:
    whole, frac = _split(value)
    return (_groups(whole, ".") + ",-") if not frac else indonesian(value)


def padded(value: Decimal) -> str:
    return f"  {indonesian(value)}\t"


TEXT_FORMATS: dict[str, Callable[[Decimal], str]] = {
    f.__name__: f
    for f in (
        plain,
        plain_comma,
        indonesian,
        indonesian_cents,
        english,
        english_cents,
        rupiah,
        rupiah_dot,
        rupiah_dash,
        dash,
        padded,
    )
}


def as_json_number(value: Decimal) -> int | float | Decimal:
    """What json.loads hands over: an int for a whole amount, else a float, or a
    Decimal when the feed is read with parse_float=Decimal."""
    if value == value.to_integral_value():
        return int(value)
    # A JSON float keeps at most 15 significant digits exactly; beyond that the
    # sender already lost the cents, before any parsing.
    if len(value.normalize().as_tuple().digits) <= 15:
        return float(value)
    return value


FORMATS: dict[str, Callable[[Decimal], object]] = {**TEXT_FORMATS, "json": as_json_number}


def rendered(value: Decimal) -> st.SearchStrategy[object]:
    """``value`` in one of the formats: text, or the number JSON would carry."""
    return st.sampled_from(sorted(FORMATS)).map(lambda name: FORMATS[name](value))


# --- raw records ---------------------------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats()  # json.loads reads NaN and Infinity too
    | st.text(max_size=30)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=12), children, max_size=3)
    ),
    max_leaves=8,
)

_words = st.text(
    alphabet=st.sampled_from("abcdefghij KLMNOP-:/.,()\n\t\u00a0éÜ–"), min_size=0, max_size=16
)


# Each built from one integer, not drawn piece by piece: the code tests run
# 10,000 examples and drawing is most of their time.
kode_skpd = st.integers(0, 7 * 100 * 100 - 1).map(
    lambda n: f"{n // 10000 + 1}.{n // 100 % 100:02d}.0.00.0.00.{n % 100:02d}.0000"
)
_BIDANG = ("X.XX", "1.02", "2.07", "7.01")


def _kode_sub_giat(n: int) -> str:
    n, wide = divmod(n, 2)
    n, number = divmod(n, 99)
    n, kegiatan = divmod(n, 100)
    n, level = divmod(n, 8)
    n, program = divmod(n, 100)
    tail = f"{number + 1:04d}" if wide else f"{number + 1:02d}"
    return f"{_BIDANG[n % 4]}.{program:02d}.{level + 1}.{kegiatan:02d}.{tail}"


kode_sub_giat = st.integers(0, 4 * 100 * 8 * 100 * 99 * 2 - 1).map(_kode_sub_giat)


_month = st.integers(1, 12)
_month_value = st.one_of(
    _month.map(str),
    _month,
    _month.map(lambda m: f" {m} "),
    st.sampled_from(["Januari", "maret", "DESEMBER"]),
)
_target = st.one_of(
    st.sampled_from(["", "100", "100 %", "12 Bulan", "8,5", "1.200 Orang", "Ada", "1-2"]),
    st.integers(0, 1000),
    _words,
)


def _indikator(stem: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            f"{stem}teks": _words,
            f"target{stem}": _target,
            f"satuan{stem}": st.sampled_from(["", "%", "Dokumen", "Orang", "M2"]),
        },
        optional={f"target{stem}teks": _words},
    )


_record_fields: dict[str, st.SearchStrategy[Any]] = {
    "id": st.integers(1, 10**6).map(str),
    "tahun_anggaran": st.sampled_from(["2026", "2027", 2027, " 2027 "]),
    "tahap": st.sampled_from(["renja", "RENJA", " Renja ", "kua-ppas", "apbd perubahan"]),
    "kode_skpd": kode_skpd,
    "kode_sub_skpd": st.one_of(kode_skpd, st.just("")),
    "nama_skpd": _words,
    "nama_sub_skpd": _words,
    "kode_sub_giat": kode_sub_giat,
    "nama_sub_giat": _words,
    "pagu": money.flatmap(rendered),
    "pagu_n_depan": st.one_of(st.none(), st.just(""), money.flatmap(rendered)),
    "waktu_awal": _month_value,
    "waktu_akhir": _month_value,
    "sub_keg_indikator": st.lists(_indikator("output"), max_size=3),
    "sub_keg_indikator_hasil": st.lists(_indikator("hasil"), max_size=2),
    "capaian_prog_sub_keg": st.lists(_indikator("capaian"), max_size=2),
    "output_giat": st.lists(_indikator("output"), max_size=2),
    "sumber_dana": st.lists(
        st.fixed_dictionaries(
            {
                "kode_dana": st.sampled_from(["1.1", "2.1", ""]),
                "nama_dana": st.sampled_from(["[DANA UMUM] - PAD", "DAK FISIK", ""]),
                "pagu_dana": money.flatmap(rendered),
            }
        ),
        max_size=3,
    ),
    "lokasi_sub_keg": st.lists(
        st.fixed_dictionaries({"daerahteks": _words, "camatteks": _words, "lurahteks": _words}),
        max_size=2,
    ),
    "active": st.sampled_from(["1", 1, True, "true", "0", 0, False]),
    "update_at": st.sampled_from(
        ["2026-01-05 10:22:33", "2026-01-05T10:22:33+07:00", "2026-03-01 00:00:00Z"]
    ),
}
assert set(_record_fields) <= set(RawSubKegiatan.model_fields)


@st.composite
def raw_records(draw: st.DrawFn, *, untidy: bool = True) -> dict[str, Any]:
    """A record as E-Program might send it: plausible values in its untidy formats;
    with ``untidy``, also any JSON value in some fields, fields missing and extra ones."""
    record = draw(st.fixed_dictionaries(_record_fields))
    if not untidy:
        # Mostly mappable: a kabupaten's code level, a name, months in order.
        kode = record["kode_sub_giat"].split(".")
        kode[-3] = "2" if kode[-3] in "168" else kode[-3]
        record["kode_sub_giat"] = ".".join(kode)
        record["nama_sub_giat"] = "Penyediaan " + record["nama_sub_giat"]
        awal, akhir = sorted(draw(st.lists(st.integers(1, 12), min_size=2, max_size=2)))
        record["waktu_awal"], record["waktu_akhir"] = str(awal), akhir
        return record
    names = sorted(RawSubKegiatan.model_fields)
    for name in draw(st.lists(st.sampled_from(names), max_size=4, unique=True)):
        record[name] = draw(json_values)
    for name in draw(st.lists(st.sampled_from(names), max_size=3, unique=True)):
        record.pop(name, None)
    record.update(draw(st.dictionaries(st.text(max_size=10), json_values, max_size=2)))
    return record


def through_json(data: Any) -> Any:
    """What the other side of an HTTP call reads."""
    return json.loads(json.dumps(data, default=str))
