"""INSERT … ON CONFLICT DO UPDATE for SQLite and PostgreSQL, many rows per statement."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import CursorResult, Result, Table, or_, select
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
    with ``unless_same``, only rows that differ in one of those columns: a row
    found as it is is not written at all.

    On PostgreSQL, with ``unless_same``, the rows are read first and only the
    new and the different ones are sent: an upsert whose WHERE leaves a row as
    it is still locks it there (its xmax is written, with WAL for every row), so
    a run where nothing changed would touch every row it did not change. A row
    found as it is is then neither sent nor locked: the callers write under the
    run's lease (``fence``), which keeps other writers of these tables out; the
    WHERE stays for the rows sent. SQLite leaves such a row unwritten, and the
    read would only cost time (a tenth more in a first run's record stage,
    where every row is new)."""
    if unless_same and session.get_bind().dialect.name == "postgresql":
        rows = _differing(session, model, rows, keys=keys, compared=unless_same)
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


# Keys per read of the rows an upsert would change (a bound parameter each).
_READ_CHUNK = 500


def _differing(
    session: Session,
    model: type[Base],
    rows: Sequence[dict[str, Any]],
    *,
    keys: Sequence[str],
    compared: Sequence[str],
) -> list[dict[str, Any]]:
    """Of ``rows``, those whose key is not stored or whose ``compared`` columns
    differ from the stored row's (as Python values: a value the database gives
    back in another form only costs a write). The last key column is looked up
    with IN, the ones before it grouped by their values."""
    table = model.__table__
    assert isinstance(table, Table)
    # A key given twice: the last row stands, as row after row would leave it
    # (each is compared with the stored row, not with the one before it).
    latest = {tuple(row[name] for name in keys): row for row in rows}
    *leading, last = keys
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for row in latest.values():
        groups.setdefault(tuple(row[name] for name in leading), []).append(row)
    stmt = select(table.c[last], *(table.c[name] for name in compared))
    result: list[dict[str, Any]] = []
    for values, group in groups.items():
        scoped = stmt.where(*(table.c[n] == v for n, v in zip(leading, values, strict=True)))
        ids = sorted({row[last] for row in group})
        stored: dict[Any, tuple[Any, ...]] = {}
        for start in range(0, len(ids), _READ_CHUNK):
            chunk = ids[start : start + _READ_CHUNK]
            for found in session.execute(scoped.where(table.c[last].in_(chunk))):
                stored[found[0]] = tuple(found[1:])
        for row in group:
            kept = stored.get(row[last])
            if kept is None or kept != tuple(row[name] for name in compared):
                result.append(row)
    return result
