"""The latest mapped content of every E-Program record, by source id."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.models import SourceRecord
from app.repositories.natural_keys import rows_for_keys
from app.repositories.upsert import upsert
from mappings.eplanning import NaturalKey, RenjaSubKegiatan
from mappings.subkegiatan import Mapped


@dataclass(frozen=True)
class Copy:
    source_id: str
    aktif: bool
    updated_at: datetime
    body: str

    def record(self) -> RenjaSubKegiatan:
        return RenjaSubKegiatan.model_validate(json.loads(self.body))


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


def copies_of(session: Session, keys: Iterable[NaturalKey]) -> dict[NaturalKey, list[Copy]]:
    """Every source record seen so far under each of these natural keys."""
    found: dict[NaturalKey, list[Copy]] = {}
    for row in rows_for_keys(session, SourceRecord, keys):
        key = NaturalKey(row.tahun_anggaran, row.tahap, row.kode_sub_skpd, row.kode_sub_kegiatan)
        found.setdefault(key, []).append(
            Copy(row.source_id, row.aktif, row.source_updated_at, row.body)
        )
    return found
