"""The mapping never fails on a record, whatever JSON it is (issue 10, item 3).

``map_sub_kegiatan`` has a net that turns a crash into a "Kesalahan tak terduga"
problem, so "never raises" alone could not fail; what is asserted is that the
net is never needed: every record becomes a record for E-Planning or a list of
problems a planner can read.
"""

from __future__ import annotations

from typing import Any, Literal

from hypothesis import example, given, settings
from prop_strategies import json_values, raw_records

from mappings.eprogram import SUB_KEGIATAN_DATA, RawSubKegiatan
from mappings.problems import ProblemCollector
from mappings.subkegiatan import Mapped, Unmappable, map_sub_kegiatan

UNEXPECTED = "Kesalahan tak terduga"


def assert_mapped_or_explained(raw: Any) -> None:
    jenis: tuple[Literal["KABKOT", "PROV"], ...] = ("KABKOT", "PROV")
    for jenis_pemda in jenis:
        result = map_sub_kegiatan(raw, jenis_pemda=jenis_pemda)
        assert isinstance(result, Mapped | Unmappable)
        if isinstance(result, Unmappable):
            assert result.problems
            assert all(p.alasan and UNEXPECTED not in p.alasan for p in result.problems), (
                result.problems
            )


@settings(max_examples=200, deadline=None)
@given(raw=raw_records())
@example(raw={})
@example(raw={"pagu": {"nilai": 1}, "sumber_dana": "x", "lokasi_sub_keg": [None]})
@example(raw={"pagu": float("nan"), "pagu_n_depan": float("inf"), "waktu_awal": 1e300})
def test_any_record_shaped_object_maps_or_says_why(raw: dict[str, Any]) -> None:
    assert_mapped_or_explained(raw)


@settings(max_examples=300, deadline=None)
@given(raw=json_values)
def test_any_json_value_maps_or_says_why(raw: Any) -> None:
    assert_mapped_or_explained(raw)


@settings(max_examples=100, deadline=None)
@given(raw=raw_records())
def test_fast_reading_equals_the_liberal_models(raw: dict[str, Any]) -> None:
    """The mapping reads records through TypedDicts for speed; what they accept
    must read exactly as the documented liberal models read it."""
    try:
        fast = SUB_KEGIATAN_DATA.validate_python(raw)
    except ValueError:
        return  # refused: the liberal models read it, and name its problems
    assert fast == RawSubKegiatan.model_validate(raw).model_dump()
    assert ProblemCollector({}).raw(RawSubKegiatan, raw, SUB_KEGIATAN_DATA) == fast


def test_the_fast_reading_has_the_liberal_models_fields() -> None:
    """Every field, at the top and in every list item, with the same default."""
    lists: dict[str, list[dict[str, Any]]] = {
        name: [{}] for name, f in RawSubKegiatan.model_fields.items() if f.default == []
    }
    assert len(lists) == 6
    assert SUB_KEGIATAN_DATA.validate_python({}) == RawSubKegiatan().model_dump()
    expected = RawSubKegiatan.model_validate(lists).model_dump()
    assert SUB_KEGIATAN_DATA.validate_python(lists) == expected
