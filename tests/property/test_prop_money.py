"""Money read from every format E-Program writes comes back exactly, and its
normal form is stable (issue 10, item 3)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import example, given, settings
from hypothesis import strategies as st
from prop_strategies import FORMATS, money, raw_records, rendered

from mappings.eplanning import format_money
from mappings.normalise import parse_money
from mappings.subkegiatan import Mapped, map_sub_kegiatan


def normal_money(value: object) -> str:
    """What E-Planning receives: two decimals, a point, no grouping."""
    return format_money(parse_money(value))


@settings(max_examples=10_000, deadline=None)
@given(value=money, name=st.sampled_from(sorted(FORMATS)))
@example(value=Decimal("1250000000"), name="rupiah")  # "Rp 1.250.000.000"
@example(value=Decimal("1250000000.50"), name="indonesian")  # "1.250.000.000,5"
@example(value=Decimal("1250000000.00"), name="english_cents")  # "1,250,000,000.00"
@example(value=Decimal("1200"), name="indonesian")  # "1.200": thousands, not 1.2
@example(value=Decimal("0.5"), name="plain_comma")  # "0,5"
@example(value=Decimal("0.10"), name="json")  # the float 0.1, not 0.1000000000000000055...
def test_money_reads_back_exactly_and_normalises_once(value: Decimal, name: str) -> None:
    written = FORMATS[name](value)
    assert parse_money(written) == value, repr(written)
    once = normal_money(written)
    assert normal_money(once) == once


@settings(max_examples=150, deadline=None)
@given(record=raw_records(untidy=False), value=money, data=st.data())
def test_pagu_reaches_e_planning_as_written(
    record: dict[str, object], value: Decimal, data: st.DataObject
) -> None:
    """Through the whole mapping: the pagu E-Planning receives is the pagu E-Program wrote."""
    record["pagu"] = data.draw(rendered(value))
    record["sumber_dana"] = []
    result = map_sub_kegiatan(record)
    if isinstance(result, Mapped):
        assert result.record.pagu == value
        assert result.record.to_api()["pagu"] == format_money(value)
    else:  # refused for another of its fields, never for the pagu
        assert not [p for p in result.problems if p.field == "pagu"], result.problems
