"""The liberal raw models: every value kept as text, nothing interpreted yet."""

from decimal import Decimal

import pytest
from pydantic import ValidationError

from mappings.eprogram import RawSubKegiatan


def test_json_numbers_and_booleans_become_their_text() -> None:
    raw = RawSubKegiatan.model_validate(
        {"pagu": 296187500, "pagu_n_depan": 1e20, "waktu_awal": 1, "active": True}
    )
    assert (raw.pagu, raw.pagu_n_depan, raw.waktu_awal, raw.active) == (
        "296187500",
        "100000000000000000000",
        "1",
        "true",
    )


def test_a_json_float_keeps_its_short_text() -> None:
    raw = RawSubKegiatan.model_validate(
        {"pagu": 0.1, "sumber_dana": [{"pagu_dana": Decimal("5.50")}]}
    )
    assert raw.pagu == "0.1"
    assert raw.sumber_dana[0].pagu_dana == "5.50"


@pytest.mark.parametrize("empty", [None, "", "  ", []])
def test_null_or_empty_lists_are_empty(empty: object) -> None:
    raw = RawSubKegiatan.model_validate({"sub_keg_indikator": empty, "lokasi_sub_keg": empty})
    assert raw.sub_keg_indikator == []
    assert raw.lokasi_sub_keg == []


def test_missing_fields_are_none_and_lists_empty() -> None:
    raw = RawSubKegiatan.model_validate({})
    assert raw.pagu is None
    assert raw.sumber_dana == []


def test_unknown_fields_are_ignored_at_every_level() -> None:
    raw = RawSubKegiatan.model_validate(
        {"id": "1", "baru": 1, "sumber_dana": [{"kode_dana": "1.1", "baru": [1]}]}
    )
    assert raw.id == "1"
    assert raw.sumber_dana[0].kode_dana == "1.1"
    assert "baru" not in raw.model_dump()


def test_an_object_where_text_belongs_is_refused() -> None:
    with pytest.raises(ValidationError, match="pagu"):
        RawSubKegiatan.model_validate({"pagu": {"nilai": 1}})
