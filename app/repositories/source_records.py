"""The latest mapped content of every E-Program record, by source id."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

from app.models import SourceRecord
from app.repositories.natural_keys import rows_for_keys
from app.repositories.upsert import upsert
from app.sync.copies import Copy
from mappings import json_text
from mappings.eplanning import NaturalKey
from mappings.subkegiatan import Mapped


def save(session: Session, items: Iterable[Mapped], *, run_id: int) -> None:
    """Keep the page's records as mapped. A record kept already exactly as it is
    now is not written again (the database compares): a run where nothing
    changed writes none of these rows. So ``run_id`` is the run that last
    changed the row; which run saw a record is its outcome's (record_outcome),
    or its plan row's while its write waits."""
    rows = {
        item.source_id: {
            "tahun_anggaran": item.record.tahun_anggaran,
            "tahap": item.record.tahap,
            "source_id": item.source_id,
            "kode_sub_skpd": item.record.kode_sub_skpd,
            "kode_sub_kegiatan": item.record.kode_sub_kegiatan,
            "aktif": item.record.aktif,
            "source_updated_at": item.updated_at,
            "body": json_text.dumps(item.record.api_body),
            "run_id": run_id,
        }
        for item in items
    }
    content = ("kode_sub_skpd", "kode_sub_kegiatan", "aktif", "source_updated_at", "body")
    upsert(
        session,
        SourceRecord,
        list(rows.values()),
        keys=("tahun_anggaran", "tahap", "source_id"),
        update=(*content, "run_id"),
        unless_same=content,
    )


def for_keys(session: Session, keys: Iterable[NaturalKey]) -> list[Row[Any]]:
    """Every source record kept under these natural keys (any run)."""
    return list(rows_for_keys(session, SourceRecord, keys))


def copies_of(
    rows: Iterable[Row[Any]], in_hand: Mapping[NaturalKey, str]
) -> dict[NaturalKey, list[Copy]]:
    """The other source records seen so far under each of these natural keys
    (natural key → the source id in hand, which is left out)."""
    found: dict[NaturalKey, list[Copy]] = {}
    for row in rows:
        key = NaturalKey.of(row)
        if key in in_hand and row.source_id != in_hand[key]:
            copy = Copy.stored(row.source_id, row.source_updated_at, row.aktif, row.body)
            found.setdefault(key, []).append(copy)
    return found


def winners_of_run(rows: Iterable[Row[Any]], seen: AbstractSet[str]) -> dict[NaturalKey, Copy]:
    """The copy that speaks for each key so far in this run: the best ranked of
    those the run went through on its earlier pages (``seen``, their source ids:
    the run's memory across pages lives in the database, not in the process)."""
    best: dict[NaturalKey, Copy] = {}
    for row in rows:
        if row.source_id not in seen:
            continue
        key = NaturalKey.of(row)
        copy = Copy.stored(row.source_id, row.source_updated_at, row.aktif, row.body)
        if key not in best or copy.rank > best[key].rank:
            best[key] = copy
    return best
