"""INSERT … ON CONFLICT DO UPDATE for SQLite and PostgreSQL, many rows per statement."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import CursorResult, Result, Table, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.models import Base


def affected(result: Result[Any]) -> int:
    """Rows an UPDATE matched (``Session.execute`` is typed as returning a plain Result)."""
    return cast("CursorResult[Any]", result).rowcount


def _insert(session: Session, model: type[Base]) -> Any:
    """INSERT into ``model``'s table as a Core statement: many rows go to the
    driver's executemany without the ORM's per-row bulk bookkeeping (column
    defaults still apply)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = model.__table__
    assert isinstance(table, Table)
    return insert(table)


def insert_missing(
    session: Session, model: type[Base], values: dict[str, Any], *, keys: Sequence[str]
) -> None:
    """Insert one row unless a row with the same ``keys`` exists (ON CONFLICT DO NOTHING).

    Rather than catching IntegrityError in a SAVEPOINT: pysqlite's SAVEPOINT
    handling is unreliable, and on PostgreSQL this cannot abort the caller's
    transaction when another process inserted the row first.
    """
    session.execute(_insert(session, model).values(**values).on_conflict_do_nothing(
        index_elements=list(keys)
    ))  # fmt: skip


def insert_missing_many(
    session: Session, model: type[Base], rows: Sequence[dict[str, Any]], *, keys: Sequence[str]
) -> None:
    """Insert ``rows``, leaving alone any whose ``keys`` exist already."""
    if not rows:
        return
    stmt = _insert(session, model).on_conflict_do_nothing(index_elements=list(keys))
    session.execute(stmt, list(rows))


def upsert(
    session: Session,
    model: type[Base],
    rows: Sequence[dict[str, Any]],
    *,
    keys: Sequence[str],
    update: Sequence[str],
    unless_same: Sequence[str] = (),
) -> None:
    """Insert ``rows``, or update ``update`` columns where ``keys`` already exist;
    with ``unless_same``, only rows that differ in one of those columns: the
    database compares, and a row found as it is is not written at all."""
    if not rows:
        return
    stmt = _insert(session, model)
    differs = [
        model.__table__.c[name].is_distinct_from(stmt.excluded[name]) for name in unless_same
    ]
    stmt = stmt.on_conflict_do_update(
        index_elements=list(keys),
        set_={name: stmt.excluded[name] for name in update},
        where=or_(*differs) if differs else None,
    )
    session.execute(stmt, list(rows))
