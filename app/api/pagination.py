"""Lists answer {"items": [...], "next_cursor": ...}; cursors are opaque to clients."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Annotated, Protocol, TypeVar

from fastapi import Query, Request

from app.api.errors import ApiError

Limit = Annotated[int, Query(ge=1, le=500, description="Paling banyak 500")]
# A cursor is opaque: only a next_cursor this service gave out is one. The
# format names that for clients and for the fuzz tests, which generate real ones.
CURSOR_FORMAT = "sinkron-cursor"
Cursor = Annotated[
    str,
    Query(
        max_length=64,
        pattern=r"^[A-Za-z0-9_-]*$",
        description="next_cursor halaman sebelumnya; kosong: halaman pertama",
        json_schema_extra={"format": CURSOR_FORMAT},
    ),
]

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1


def id_max(request: Request, *, big: bool = False) -> int:
    """The largest id the database can hold: an Integer key is 32-bit on
    PostgreSQL (BigInteger 64-bit) and 64-bit on SQLite. Anything larger cannot
    exist, and sending it would make the database raise."""
    if big or request.app.state.engine.dialect.name == "sqlite":
        return INT64_MAX
    return INT32_MAX


def encode_cursor(row_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{row_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, *, maximum: int = INT32_MAX) -> int | None:
    """The id in a cursor; 400 when it is not one of ours or out of range."""
    if not cursor:  # `?cursor=` as a form sends it: the first page
        return None
    try:
        if len(cursor) > 64:
            raise ValueError(cursor)
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, value = text.partition(":")
        if prefix != "id" or not value.isascii() or not value.isdigit():
            raise ValueError(text)
        row_id = int(value)
        if not 0 <= row_id <= maximum:
            raise ValueError(text)
        return row_id
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ApiError("cursor tidak valid", code="cursor_tidak_valid") from None


class _HasId(Protocol):
    @property
    def id(self) -> int: ...


Row = TypeVar("Row", bound=_HasId)


def cut(rows: Sequence[Row], limit: int) -> tuple[list[Row], str | None]:
    """Rows fetched with ``limit + 1``: the page, and the cursor when more follow."""
    page = list(rows[:limit])
    return page, encode_cursor(page[-1].id) if len(rows) > limit else None
