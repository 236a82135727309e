"""Which rows a statement wrote or locked, on PostgreSQL: each row's xmin (a new
one when the row is written) and xmax (set by a lock too)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

Versions = dict[tuple[str, str], tuple[str, str]]


def row_versions(session: Session, tables: tuple[str, ...]) -> Versions | None:
    """(table, source_id) → (xmin, xmax) of every row of ``tables`` (None on SQLite)."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    return {
        (table, source_id): (xmin, xmax)
        for table in tables
        for source_id, xmin, xmax in session.execute(
            text(f"SELECT source_id, xmin::text, xmax::text FROM {table}")
        )
    }


def touched(before: Versions, after: Versions) -> set[tuple[str, str]]:
    """Rows new, written (another xmin) or locked (another xmax, not cleared:
    a vacuum may clear an old lock's xmax, which is nobody's write)."""
    moved = set()
    for key, (xmin, xmax) in after.items():
        was = before.get(key)
        if was is None or was[0] != xmin or (was[1] != xmax and xmax != "0"):
            moved.add(key)
    return moved
