"""A plan row gives back the write it was made from (app.sync.rencana): the
push sends the body the row keeps without building it again, so that body must
be exactly what the record restored from it builds, for every record the
generator's untidy data maps to (odd money, targets, several sources of funds)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from app.models import PlanStatus
from app.sync import rencana
from app.sync.push import PlannedWrite
from app.sync.reconcile import Action, sync_hash
from mappings.eplanning import RenjaSubKegiatan, content_hash
from mappings.subkegiatan import Mapped, map_sub_kegiatan
from standins import nomenklatur
from standins.generator import generate


def untidy_mapped() -> list[Mapped]:
    items = nomenklatur.load_sample()["items"]
    data = generate(items, tahun_anggaran=2026, tahap="renja", size=400, seed=11, untidy=True)
    results = [map_sub_kegiatan(raw, jenis_pemda="KABKOT") for raw in data.records]
    return [r for r in results if isinstance(r, Mapped)]


MAPPED = untidy_mapped()


def test_the_untidy_data_maps_mostly() -> None:
    assert len(MAPPED) > 300


@pytest.mark.parametrize("action", [Action.CREATE, Action.UPDATE, Action.DEACTIVATE])
def test_a_restored_write_sends_what_its_record_builds(action: Action) -> None:
    for mapped in MAPPED:
        record = mapped.record
        versi = None if action is Action.CREATE else 3
        row = rencana.row(mapped, action, run_id=1, status=PlanStatus.TERTUNDA, versi=versi,
                          hash_=sync_hash(record), perubahan=[{"field": "pagu"}])  # fmt: skip

        write, again = rencana.restore(SimpleNamespace(id=1, **row))

        rebuilt = again.record.to_api()
        assert again.record.api_body == rebuilt == record.to_api(), mapped.source_id
        assert json.dumps(rebuilt, separators=(",", ":"), ensure_ascii=False) == row["body"]
        assert content_hash(again.record) == content_hash(record)
        # The sync hash the row keeps is the one its record would compute.
        fresh = RenjaSubKegiatan.model_validate(json.loads(row["body"]))
        assert sync_hash(again.record) == fresh.sync_digest == sync_hash(record)
        expected = PlannedWrite(mapped.source_id, record.natural_key(), action, record,
                                sync_hash(record), versi, ["pagu"])  # fmt: skip
        assert write.operation == expected.operation
        assert again.source_id == mapped.source_id and again.nama_skpd == mapped.nama_skpd
