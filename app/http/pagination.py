"""Lists answer {"items": [...], "next_cursor": ...}; cursors are opaque to clients."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Annotated, Protocol, TypeVar

from fastapi import Query
from pydantic import TypeAdapter, ValidationError

from app.http.errors import ApiError
from app.http.inputs import INT32_MAX, INT64_MAX, IntegerRule, TextRule

Limit = Annotated[int, IntegerRule(1, 500), Query(description="Paling banyak 500")]
# A cursor is opaque: only a next_cursor this service gave out is one. The
# format names that for clients and for the fuzz tests, which generate real ones.
CURSOR_FORMAT = "sinkron-cursor"
Cursor = Annotated[
    str,
    TextRule(64, r"^[A-Za-z0-9_-]*$"),
    Query(
        description="next_cursor halaman sebelumnya; kosong: halaman pertama",
        json_schema_extra={"format": CURSOR_FORMAT},
    ),
]


def encode_cursor(row_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{row_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, *, big: bool = False) -> int | None:
    """The id in a cursor; 400 when it is not one of ours or out of the range
    of the id column (``big``: a BigInteger one)."""
    if not cursor:  # `?cursor=` as a form sends it: the first page
        return None
    try:
        if len(cursor) > 64:
            raise ValueError(cursor)
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, value = text.partition(":")
        if prefix != "id":
            raise ValueError(text)
        return _ROW_ID[big].validate_python(value)
    except (ValueError, ValidationError, binascii.Error, UnicodeDecodeError):
        raise ApiError("cursor tidak valid", code="cursor_tidak_valid") from None


_ROW_ID = {
    big: TypeAdapter[int](Annotated[int, IntegerRule(0, INT64_MAX if big else INT32_MAX)])
    for big in (False, True)
}


class _HasId(Protocol):
    @property
    def id(self) -> int: ...


Row = TypeVar("Row", bound=_HasId)


def cut(rows: Sequence[Row], limit: int) -> tuple[list[Row], str | None]:
    """Rows fetched with ``limit + 1``: the page, and the cursor when more follow."""
    page = list(rows[:limit])
    return page, encode_cursor(page[-1].id) if len(rows) > limit else None
