"""Lists answer {"items": [...], "next_cursor": ...}; cursors are opaque to clients."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Annotated, Protocol, TypeVar

from fastapi import Query

from app.api.errors import ApiError

Limit = Annotated[int, Query(ge=1, le=500, description="Paling banyak 500")]


def encode_cursor(row_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{row_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, value = text.partition(":")
        if prefix != "id" or not value.isdigit():
            raise ValueError(text)
        return int(value)
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
