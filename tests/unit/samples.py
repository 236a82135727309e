"""Sub kegiatan as the mapping hands them to the run, for the unit tests of app/sync."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from app.sync.push import PlannedWrite
from app.sync.reconcile import Action, sync_hash
from mappings.eplanning import RenjaSubKegiatan
from mappings.normalise import WIB
from mappings.subkegiatan import Mapped

T0 = datetime(2026, 1, 5, 10, 22, 33, tzinfo=WIB)
LATER = T0 + timedelta(seconds=1)
EARLIER = T0 - timedelta(seconds=1)


def body(source_id: str, at: datetime, *, aktif: bool = True, **changes: Any) -> dict[str, Any]:
    return {
        "tahun_anggaran": 2026,
        "tahap": "renja",
        "kode_skpd": "1.02.0.00.0.00.01.0000",
        "kode_sub_skpd": "1.02.0.00.0.00.01.0000",
        "nama_sub_skpd": "Dinas Kesehatan",
        "kode_sub_kegiatan": "1.02.02.2.01.0001",
        "nama_sub_kegiatan": "Pengelolaan Pelayanan Kesehatan Ibu Hamil",
        "pagu": "296187500.00",
        "pagu_tahun_depan": None,
        "bulan_mulai": 1,
        "bulan_selesai": 12,
        "indikator": [],
        "sumber_dana": [{"kode": "1.1", "nama": "PAD", "pagu": "296187500.00"}],
        "lokasi": [],
        "aktif": aktif,
        "sumber": {"sistem": "e-program", "id": source_id, "diperbarui_pada": at.isoformat()},
        **changes,
    }


def mapped(source_id: str, at: datetime = T0, *, aktif: bool = True, **changes: Any) -> Mapped:
    record = RenjaSubKegiatan.model_validate(body(source_id, at, aktif=aktif, **changes))
    return Mapped(record=record, source_id=source_id, updated_at=at, notes=(), nama_skpd="Dinkes")


def planned(
    item: Mapped, action: Action = Action.CREATE, if_match: int | None = None
) -> PlannedWrite:
    """A write of ``item`` as the page decisions plan it."""
    return PlannedWrite(
        source_id=item.source_id,
        key=item.record.natural_key(),
        action=action,
        record=item.record,
        sync_hash=sync_hash(item.record),
        if_match=if_match,
        changed=["pagu"] if action is Action.UPDATE else [],
    )
