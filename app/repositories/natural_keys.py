"""Fetch rows by natural key, many keys per statement, using the key index."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Row, Table, TextualSelect, text
from sqlalchemy.orm import Session

from mappings.eplanning import NaturalKey


def rows_for_keys(
    session: Session,
    model: Any,
    keys: Iterable[NaturalKey],
    *,
    within: tuple[str, Any] | None = None,
    columns: tuple[str, ...] | None = None,
) -> Iterator[Row[Any]]:
    """Rows of ``model``'s table (which has the four natural-key columns) for
    these keys, as plain rows with an attribute per column: a page's lookups are
    on the hot path of every run, where ORM objects cost more than they give.
    ``within``: (column, value), one more equality ahead of the key, as a run's
    own rows in a table whose key index starts with run_id; ``columns``: only
    these (default: all).

    The statements are text built once per shape and reused: built from column
    expressions for every page, an OR of 200 keys cost more to build and compile
    than to run.

    The keys go in as an OR of whole keys, which both databases answer with one
    index seek per key. (An IN per column makes SQLite seek every combination of
    the two lists, a row-value IN makes it scan the table, and the tahun/tahap
    outside the OR makes it walk the whole scope: at 200,000 rows each of those
    is 15 to 700 times slower than this.)
    """
    unique = sorted(
        {(k.tahun_anggaran, k.tahap, k.kode_sub_skpd, k.kode_sub_kegiatan) for k in keys}
    )
    table = model.__table__
    shape = _Shape(table, within[0] if within else None, columns)
    extra = {"w": within[1]} if within else {}
    if session.get_bind().dialect.name == "postgresql":
        by_scope: dict[tuple[int, str], list[tuple[str, str]]] = {}
        for tahun, tahap, sub_skpd, kode in unique:
            by_scope.setdefault((tahun, tahap), []).append((sub_skpd, kode))
        for (tahun, tahap), pairs in by_scope.items():
            params = {
                "y": tahun,
                "p": tahap,
                "s": [pair[0] for pair in pairs],
                "k": [pair[1] for pair in pairs],
                **extra,
            }
            yield from session.execute(_lookup_joined(shape), params)
        return
    for start in range(0, len(unique), _CHUNK):
        chunk = unique[start : start + _CHUNK]
        params = dict(extra)
        for i, (tahun, tahap, sub_skpd, kode) in enumerate(chunk):
            params |= {f"y{i}": tahun, f"p{i}": tahap, f"s{i}": sub_skpd, f"k{i}": kode}
        yield from session.execute(_lookup(shape, len(chunk)), params)


# Keys per statement on SQLite: at most 1,000 parameters, within its limit.
_CHUNK = 200


@dataclass(frozen=True)
class _Shape:
    """What a lookup statement is built for: a table, the column of ``within``
    (or None) and the columns asked for (None: all)."""

    table: Table
    within: str | None
    names: tuple[str, ...] | None

    @property
    def columns(self) -> list[Column[Any]]:
        if self.names is None:
            return list(self.table.columns)
        return [self.table.c[name] for name in self.names]

    def condition(self, alias: str, *, y: str, p: str, s: str, k: str) -> str:
        """One whole key of the table ``alias``: the four values as SQL expressions."""
        first = f"{alias}{self.within} = :w AND " if self.within else ""
        return (
            f"{first}{alias}tahun_anggaran = {y} AND {alias}tahap = {p} "
            f"AND {alias}kode_sub_skpd = {s} AND {alias}kode_sub_kegiatan = {k}"
        )


@functools.cache
def _lookup(shape: _Shape, n: int) -> TextualSelect:
    """SQLite: the statement for ``n`` keys. Each key whole in its term (with
    ``within`` in each term too), so the planner seeks the key index once per key."""
    names = ", ".join(column.name for column in shape.columns)
    terms = " OR ".join(
        f"({shape.condition('', y=f':y{i}', p=f':p{i}', s=f':s{i}', k=f':k{i}')})" for i in range(n)
    )
    sql = f"SELECT {names} FROM {shape.table.name} WHERE {terms}"
    return text(sql).columns(*shape.columns)


@functools.cache
def _lookup_joined(shape: _Shape) -> TextualSelect:
    """PostgreSQL: the keys as two arrays, each probing the key index in a
    LATERAL subquery. OFFSET 0 keeps the planner from folding it into a join it
    would order by the table's statistics, which during a first large run are
    still an empty table's: it then walks the whole scope once for every page."""
    names = ", ".join(f"t.{column.name}" for column in shape.columns)
    condition = shape.condition("x.", y=":y", p=":p", s="k.s", k="k.c")
    sql = (
        f"SELECT {names} FROM unnest(CAST(:s AS text[]), CAST(:k AS text[])) AS k(s, c) "
        f"CROSS JOIN LATERAL (SELECT * FROM {shape.table.name} AS x "
        f"WHERE {condition} OFFSET 0) AS t"
    )
    return text(sql).columns(*shape.columns)
