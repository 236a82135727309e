"""Fetch rows by natural key, many keys per statement, using the key index."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Row, Table, TextualSelect, text
from sqlalchemy.orm import Session

from mappings import json_text
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

    The keys go in as one parameter (a JSON array on SQLite, two arrays on
    PostgreSQL) that the database walks, seeking the key index once per key:
    one statement of one shape per table, compiled once. (An OR of whole keys
    with four parameters each, its earlier form, cost SQLAlchemy more to bind
    than SQLite to run, and a page whose keys were fewer made a new statement
    to compile. An IN per column makes SQLite seek every combination of the
    two lists, a row-value IN makes it scan the table, and the tahun/tahap
    outside the key makes it walk the whole scope.)
    """
    unique = sorted(
        {(k.tahun_anggaran, k.tahap, k.kode_sub_skpd, k.kode_sub_kegiatan) for k in keys}
    )
    if not unique:
        return
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
    yield from session.execute(_lookup(shape), {"keys": json_text.dumps(unique), **extra})


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
def _lookup(shape: _Shape) -> TextualSelect:
    """SQLite: the keys as a JSON array of [tahun, tahap, sub_skpd, kode], walked
    first (CROSS JOIN keeps that order), each seeking the key index (with
    ``within`` ahead of it)."""
    table = shape.table.name
    names = ", ".join(f"{table}.{column.name}" for column in shape.columns)
    condition = shape.condition(
        f"{table}.",
        y="json_extract(k.value, '$[0]')",
        p="json_extract(k.value, '$[1]')",
        s="json_extract(k.value, '$[2]')",
        k="json_extract(k.value, '$[3]')",
    )
    sql = f"SELECT {names} FROM json_each(:keys) AS k CROSS JOIN {table} WHERE {condition}"
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
