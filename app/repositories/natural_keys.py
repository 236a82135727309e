"""Fetch rows by natural key, many keys per statement, using the key index."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from mappings.eplanning import NaturalKey


def rows_for_keys(session: Session, model: Any, keys: Iterable[NaturalKey]) -> Iterator[Row[Any]]:
    """Rows of ``model``'s table (which has the four natural-key columns) for
    these keys, as plain rows with a attribute per column: a page's lookups are
    on the hot path of every run, where ORM objects cost more than they give.

    One IN per column rather than a row-value IN: SQLite walks the index for
    the former and scans the table for the latter. The IN lists select a
    superset; the exact pairs are kept here.
    """
    by_scope: dict[tuple[int, str], set[tuple[str, str]]] = defaultdict(set)
    for key in keys:
        by_scope[(key.tahun_anggaran, key.tahap)].add((key.kode_sub_skpd, key.kode_sub_kegiatan))
    for (tahun, tahap), pairs in by_scope.items():
        ordered = sorted(pairs)
        for start in range(0, len(ordered), 200):
            chunk = set(ordered[start : start + 200])
            stmt = select(*model.__table__.columns).where(
                model.tahun_anggaran == tahun,
                model.tahap == tahap,
                model.kode_sub_skpd.in_({p[0] for p in chunk}),
                model.kode_sub_kegiatan.in_({p[1] for p in chunk}),
            )
            for row in session.execute(stmt):
                if (row.kode_sub_skpd, row.kode_sub_kegiatan) in chunk:
                    yield row
