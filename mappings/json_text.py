"""JSON written on a sync's hot path: orjson, with the standard library's
text wherever orjson refuses what ``json`` writes.

Every record of a sync is serialised several times (its content hash, the plan
row, the source record, the mirror's copy, the push), and the standard library
spent about a tenth of a full sync's CPU doing it. For what a record holds
(strings, whole numbers, booleans, None, lists, objects) orjson writes the
text ``json.dumps(..., separators=(",", ":"), ensure_ascii=False)`` writes,
with ``sort_keys`` likewise, three times faster: a content hash is byte for
byte the hash the standard library gave (tests/property/test_prop_json_text.py).

Where orjson refuses (integers beyond 64 bits, keys that are not strings) the
standard library writes the text. One difference stays: a float NaN or
infinity, which JSON has no word for, becomes ``null`` where the standard
library wrote ``NaN`` (text PostgreSQL's json type refuses). A record carries
no float: money and targets go out as text.

Reading stays with the standard library (``json.loads``): orjson turns an
integer beyond 64 bits into a float, and nothing read may lose a digit.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def dumps(value: Any) -> str:
    """Compact JSON text, non-ASCII as it is."""
    return dumps_bytes(value).decode()


def canonical(value: Any) -> bytes:
    """Compact JSON with sorted keys, as UTF-8: what a content hash is taken of."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return text.encode("utf-8")


def dumps_bytes(value: Any) -> bytes:
    """:func:`dumps` as UTF-8: a request's body."""
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
