"""The sync's JSON (``mappings/json_text.py``, orjson) writes what the standard
library wrote.

A record's content hash is kept in E-Planning's mirror and in the plan: had
the faster serialiser written one byte differently, every record would look
changed after an upgrade and be pushed again.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prop_strategies import raw_records

from mappings import json_text
from mappings.subkegiatan import Mapped, map_sub_kegiatan

# What a record's body holds: text of any code point a JSON string can carry
# (control characters, U+2028, astral planes), whole numbers and the rest.
_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)
_scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1), _text)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(_text, inner, max_size=5),
    max_leaves=30,
)


def _stdlib_compact(value: Any, *, sort_keys: bool = False) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=sort_keys)


@settings(max_examples=300, deadline=None)
@given(value=_values)
def test_it_writes_what_the_standard_library_wrote(value: Any) -> None:
    assert json_text.dumps(value) == _stdlib_compact(value)
    assert json_text.canonical(value) == _stdlib_compact(value, sort_keys=True).encode()
    assert json_text.dumps_bytes(value) == _stdlib_compact(value).encode()


@settings(max_examples=150, deadline=None)
@given(raw=raw_records(untidy=False))
def test_a_mapped_records_content_hash_is_the_one_the_standard_library_gave(
    raw: dict[str, Any],
) -> None:
    result = map_sub_kegiatan(raw, jenis_pemda="KABKOT")
    assert isinstance(result, Mapped), result
    record = result.record
    content = {k: v for k, v in record.api_body.items() if k != "sumber"}
    before = hashlib.sha256(_stdlib_compact(content, sort_keys=True).encode()).hexdigest()
    assert record.content_digest == before


@pytest.mark.parametrize(
    "value",
    [2**70, {1: "kunci angka", 2: [2**64]}],
    ids=["integer beyond 64 bits", "keys not text"],
)
def test_what_orjson_refuses_the_standard_library_writes(value: Any) -> None:
    assert json_text.dumps(value) == _stdlib_compact(value)
    assert json_text.dumps_bytes(value) == _stdlib_compact(value).encode()
    assert json_text.canonical(value) == _stdlib_compact(value, sort_keys=True).encode()


def test_a_float_json_has_no_word_for_is_written_as_null() -> None:
    # The one difference from the standard library (which wrote NaN, text
    # PostgreSQL's json type refuses); a record carries no float.
    assert json_text.dumps({"detik": float("nan")}) == '{"detik":null}'


def test_text_that_cannot_be_utf8_is_refused_as_before() -> None:
    with pytest.raises(ValueError):
        json.dumps("\ud800", ensure_ascii=False).encode("utf-8")
    with pytest.raises(ValueError):
        json_text.canonical({"nama": "\ud800"})
