"""Page bodies: a tiny keyset paginator (after dlt's) and a shape check for listings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class CursorPaginator:
    """Follows an opaque cursor until the server answers null.

    E-Program pages with ``after``/``next_after`` over ``data``, E-Planning
    with ``cursor``/``next_cursor`` over ``items``.
    """

    items_field: str
    cursor_param: str
    next_field: str
    cursor: str | None = None
    has_next: bool = True

    def problem(self, body: Any) -> str | None:
        """What makes `body` unusable as a page, or None.

        A cursor that does not advance is a problem too: following it would
        fetch the same page for ever.
        """
        problem = listing_problem(body, self.items_field)
        if problem is not None:
            return problem
        next_cursor = body.get(self.next_field)
        if next_cursor is not None and not isinstance(next_cursor, str):
            return f"{self.next_field!r} is not a string"
        if next_cursor is not None and next_cursor == self.cursor:
            return f"{self.next_field!r} repeats the cursor that fetched the page"
        return None

    def update_params(self, params: dict[str, str | int | None]) -> None:
        """Put the current cursor (if any) into the next request's query."""
        params[self.cursor_param] = self.cursor

    def update_state(self, body: dict[str, Any]) -> None:
        """Advance to the cursor the page named; stop when it is null."""
        next_cursor = body.get(self.next_field)
        self.cursor = next_cursor
        self.has_next = next_cursor is not None

    def items(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        """The records of a page that passed `problem`."""
        items: list[dict[str, Any]] = body[self.items_field]
        return items


def listing_problem(body: Any, items_field: str) -> str | None:
    """What keeps `body` from being ``{items_field: [object, ...], ...}``, or None."""
    if not isinstance(body, dict):
        return "the body is not a JSON object"
    items = body.get(items_field)
    if not isinstance(items, list):
        return f"no {items_field!r} list"
    if not all(isinstance(item, dict) for item in items):
        return f"an item of {items_field!r} is not an object"
    return None
