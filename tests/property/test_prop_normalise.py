"""Normalising twice gives what normalising once gave: codes and names (issue 10,
item 3; money in test_prop_money.py)."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st
from prop_strategies import kode_sub_giat

from mappings.nomenklatur import normalise_name
from mappings.normalise import (
    clean_name,
    clean_text,
    resolve_bidang_placeholder,
    strip_tag,
    widen_kode_sub_kegiatan,
)


def normal_kode(kode: str, kode_skpd: str) -> str:
    return widen_kode_sub_kegiatan(resolve_bidang_placeholder(kode, kode_skpd))


# Codes as E-Program writes them, and text near them: stray spaces, a lower-case
# placeholder, separators and digits in any order.
_SKPD = ["1.02.0.00.0.00.01.0000", "7.01.0.00.0.00.09.0000"]
_code_like = st.one_of(
    kode_sub_giat,
    kode_sub_giat.map(lambda k: f"  {k.lower()} "),
    st.text(alphabet=st.sampled_from("0123456789.Xx \t"), max_size=24),
)


@settings(max_examples=10_000, deadline=None)
@given(
    kode=_code_like,
    kode_skpd=st.sampled_from(["1.02.0.00.0.00.01.0000", "7.01.0.00.0.00.09.0000", "", "1.02"]),
)
@example(kode="X.XX.01.2.01.01", kode_skpd="1.02.0.00.0.00.01.0000")
@example(kode=" x.xx.01.2.01.01", kode_skpd="1.02.0.00.0.00.01.0000")
def test_code_normal_form_is_stable(kode: str, kode_skpd: str) -> None:
    try:
        once = normal_kode(kode, kode_skpd)
    except ValueError:
        return  # refused: reported as format_kode, nothing to normalise
    assert normal_kode(once, kode_skpd) == once


_prefix = st.one_of(st.just(""), kode_sub_giat, st.sampled_from(["1.02.02", "7.01.02.2.01.01"]))
_gap = st.sampled_from([" ", " - ", ": ", " – ", "\n", ""])
_name_text = st.text(alphabet=st.sampled_from("abcXYZ .,-/()[]:\n\t\u00a0–é1"), max_size=30)
_names = st.builds(lambda p, g, n: p + g + n, _prefix, _gap, _name_text) | _name_text


@settings(max_examples=1_000, deadline=None)
@given(name=_names, kode=st.one_of(st.none(), kode_sub_giat, _name_text))
# Found by this test: a second code, or the record's own code, after the first
# one was left for a second cleaning to take.
@example(name="X.XX.00.1.00.0001 1", kode="1")
@example(name="7.01.02.2.01.01 - 7.01.02.2.01.0001 Koordinasi", kode="7.01.02.2.01.01")
@example(name="[DAK] [FISIK] - Dana", kode=None)
@example(name="1.02.02.", kode=None)  # normalise_name: the dropped full stop bared a code
def test_name_normal_form_is_stable(name: str, kode: str | None) -> None:
    once = clean_name(name, kode)
    assert clean_name(once, kode) == once
    assert clean_text(clean_text(name)) == clean_text(name)
    assert strip_tag(strip_tag(name)) == strip_tag(name)
    assert normalise_name(normalise_name(name)) == normalise_name(name)
