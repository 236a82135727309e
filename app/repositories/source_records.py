"""The latest mapped content of every E-Program record, by source id."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from sqlalchemy.orm import Session

from app.models import SourceRecord
from app.repositories.natural_keys import rows_for_keys
from app.repositories.upsert import upsert
from app.sync.copies import Copy
from mappings.eplanning import NaturalKey
from mappings.subkegiatan import Mapped


def save(session: Session, items: Iterable[Mapped], *, run_id: int) -> None:
    rows = {
        item.source_id: {
            "tahun_anggaran": item.record.tahun_anggaran,
            "tahap": item.record.tahap,
            "source_id": item.source_id,
            "kode_sub_skpd": item.record.kode_sub_skpd,
            "kode_sub_kegiatan": item.record.kode_sub_kegiatan,
            "aktif": item.record.aktif,
            "source_updated_at": item.updated_at,
            "body": json.dumps(item.record.to_api(), separators=(",", ":"), ensure_ascii=False),
            "run_id": run_id,
        }
        for item in items
    }
    upsert(
        session,
        SourceRecord,
        list(rows.values()),
        keys=("tahun_anggaran", "tahap", "source_id"),
        update=(
            "kode_sub_skpd",
            "kode_sub_kegiatan",
            "aktif",
            "source_updated_at",
            "body",
            "run_id",
        ),
    )


def copies_of(session: Session, in_hand: Mapping[NaturalKey, str]) -> dict[NaturalKey, list[Copy]]:
    """The other source records seen so far under each of these natural keys
    (natural key → the source id in hand, which is left out)."""
    found: dict[NaturalKey, list[Copy]] = {}
    for row in rows_for_keys(session, SourceRecord, in_hand):
        key = NaturalKey.of(row)
        if row.source_id != in_hand.get(key):
            copy = Copy.stored(row.source_id, row.source_updated_at, row.aktif, row.body)
            found.setdefault(key, []).append(copy)
    return found
