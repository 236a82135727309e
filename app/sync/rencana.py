"""A run's plan, row by row: a decided write (or, in a preview, every
decision) as the row table ``rencana`` keeps, and the write again from the row
when the plan is pushed. Pure: the pipeline stores and reads the rows.

A row keeps what the push needs (the record as it goes to E-Planning, its
hash, the versi the decision saw, which becomes ``If-Match``) and what an
admin reads (the fields that would change, before and after).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from app.models import Outcome, PlanStatus
from app.sync.ledger import Entry, Ledger
from app.sync.push import PlannedWrite
from app.sync.reconcile import Action, RemoteEntry, sync_hash
from mappings import json_text
from mappings.eplanning import NaturalKey, RenjaSubKegiatan
from mappings.subkegiatan import Mapped

# What a preview shows of each decision the ledger files without a write.
_SHOWN = {Outcome.UNCHANGED: Action.UNCHANGED, Outcome.CONFLICT: Action.CONFLICT}


def changes(
    record: RenjaSubKegiatan, current: RemoteEntry | None, fields: Iterable[str]
) -> list[dict[str, Any]]:
    """Each changed field with E-Planning's value and the value that would go in."""
    before = current.api_body() if current is not None else {}
    after = record.api_body
    return [
        {"field": name, "sebelum": before.get(name), "sesudah": after.get(name)} for name in fields
    ]


def row(
    item: Mapped,
    action: Action,
    *,
    run_id: int,
    status: PlanStatus,
    versi: int | None,
    hash_: str,
    perubahan: list[dict[str, Any]],
) -> dict[str, Any]:
    record = item.record
    return {
        "run_id": run_id,
        "source_id": item.source_id,
        "source_updated_at": item.updated_at,
        "tahun_anggaran": record.tahun_anggaran,
        "tahap": record.tahap,
        "kode_skpd": record.kode_skpd,
        "kode_sub_skpd": record.kode_sub_skpd,
        "kode_sub_kegiatan": record.kode_sub_kegiatan,
        "nama_sub_kegiatan": record.nama_sub_kegiatan,
        "aksi": action.value,
        "versi": versi,
        "aktif": record.aktif,
        "sync_hash": hash_,
        "body": json_text.dumps(record.api_body),
        "nama": {
            "nama_skpd": item.nama_skpd,
            "nama_program": item.nama_program,
            "nama_kegiatan": item.nama_kegiatan,
        },
        "perubahan": perubahan,
        "status": status.value,
        "diterapkan_run_id": None,
    }


def of_writes(
    writes: Sequence[PlannedWrite],
    by_source: Mapping[str, Mapped],
    remote: Mapping[NaturalKey, RemoteEntry],
    *,
    run_id: int,
    status: PlanStatus,
) -> list[dict[str, Any]]:
    """The page's decided writes as plan rows."""
    rows = []
    for write in writes:
        item = by_source[write.source_id]
        if item.record is not write.record:
            item = _with_record(item, write.record)
        rows.append(
            row(
                item,
                write.action,
                run_id=run_id,
                status=status,
                versi=write.if_match,
                hash_=write.sync_hash,
                perubahan=changes(write.record, remote.get(write.key), write.changed),
            )
        )
    return rows


def of_decisions(
    book: Ledger, remote: Mapping[NaturalKey, RemoteEntry], *, run_id: int
) -> list[dict[str, Any]]:
    """A preview also shows what would be left alone and what is a conflict."""
    items = {item.source_id: item for item in book.sources}
    rows = []
    for outcome in book.outcomes:
        action = _SHOWN.get(outcome.outcome)
        item = items.get(outcome.source_id)
        if action is None or item is None:
            continue
        record = book.replaced.get(outcome.source_id, item.record)
        if record is not item.record:
            item = _with_record(item, record)
        current = remote.get(record.natural_key())
        rows.append(
            row(
                item,
                action,
                run_id=run_id,
                status=PlanStatus.PRATINJAU,
                versi=current.versi if current is not None else None,
                hash_=sync_hash(record),
                perubahan=changes(record, current, outcome.changed_fields or ()),
            )
        )
    return rows


def _with_record(item: Mapped, record: RenjaSubKegiatan) -> Mapped:
    """The record in hand with the content that goes in its place."""
    return dataclasses.replace(item, record=record, notes=())


def restore(stored: Any) -> tuple[PlannedWrite, Mapped]:
    """The write a plan row stands for, with the record it came from."""
    action = Action(stored.aksi)
    if action not in (Action.CREATE, Action.UPDATE, Action.DEACTIVATE):
        raise ValueError(f"baris rencana {stored.id} ({action}) bukan kiriman")
    body = json.loads(stored.body)
    record = RenjaSubKegiatan.model_validate(body)
    # The row's body is the api_body of the record it was made from, and
    # to_api() of the record validated from it gives it back field for field
    # (tests/unit/test_rencana_rows.py): the push sends it as it is.
    record.__dict__["api_body"] = body
    # Likewise its sync hash, kept with the row: where the record stands after
    # the push compares it with E-Planning's copy.
    record.__dict__["sync_digest"] = stored.sync_hash
    nama = stored.nama or {}
    mapped = Mapped(
        record=record,
        source_id=stored.source_id,
        updated_at=stored.source_updated_at,
        notes=(),
        nama_skpd=nama.get("nama_skpd"),
        nama_program=nama.get("nama_program"),
        nama_kegiatan=nama.get("nama_kegiatan"),
    )
    write = PlannedWrite(
        source_id=stored.source_id,
        key=record.natural_key(),
        action=action,
        record=record,
        sync_hash=stored.sync_hash,
        if_match=stored.versi,
        changed=[change["field"] for change in stored.perubahan or ()],
    )
    return write, mapped


def entries(mapped: Mapped) -> list[Entry]:
    """What a restored record adds to an apply page's ledger: the record, for
    where it stands (record_state)."""
    added = [Entry(source=mapped)]
    sumber = mapped.record.sumber
    if sumber is not None and sumber.id != mapped.source_id:
        # Another copy's content went in this record's place.
        added.append(Entry(replaced=(mapped.source_id, mapped.record)))
    return added
