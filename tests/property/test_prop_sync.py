"""Reconciling a record against E-Planning's copy of itself plans nothing, and the
idempotency key follows content and the replaced versi only (issue 10, item 3)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st
from prop_strategies import raw_records, through_json

from app.sync.push import PlannedWrite
from app.sync.reconcile import Action, LastWrite, decide, remote_entry, sync_hash
from mappings.eplanning import RenjaSubKegiatan, content_hash
from mappings.normalise import WIB
from mappings.subkegiatan import Mapped, map_sub_kegiatan
from standins.eplanning import RenjaStore
from standins.eplanning_rules import Nomenclature

SERVICE_USER = "sinkron"
LATER = datetime(2030, 1, 1, tzinfo=WIB)


def mapped_record(raw: dict[str, Any]) -> RenjaSubKegiatan:
    result = map_sub_kegiatan(raw)
    assume(isinstance(result, Mapped))
    assert isinstance(result, Mapped)
    return result.record


def stored_by_sinkron(record: RenjaSubKegiatan, writes: int) -> dict[str, Any]:
    """E-Planning's copy after Sinkron pushed ``record`` ``writes`` times, as it is read
    back over HTTP: the stand-in's own storing, then JSON both ways."""
    store = RenjaStore(Nomenclature([], "TA 2027"), {})
    key = tuple(record.natural_key())
    body = through_json(record.to_api())
    current = None
    for _ in range(writes):
        store._store(key, body, current, SERVICE_USER)  # type: ignore[arg-type]
        current = store.records[key]  # type: ignore[index]
    return through_json(store.records[key])  # type: ignore[index, no-any-return]


@settings(max_examples=100, deadline=None)
@given(raw=raw_records(untidy=False), writes=st.integers(1, 3))
def test_a_record_against_its_own_copy_is_unchanged(raw: dict[str, Any], writes: int) -> None:
    record = mapped_record(raw)
    copy = stored_by_sinkron(record, writes)
    remote = remote_entry(copy)
    last = LastWrite(versi=copy["versi"], sync_hash=sync_hash(record))
    decision = decide(record, remote, last, service_user=SERVICE_USER)
    assert decision.action is Action.UNCHANGED, decision
    # Also after a lost state database: nothing remembered of the last write.
    assert decide(record, remote, None, service_user=SERVICE_USER).action is Action.UNCHANGED


def key_of(record: RenjaSubKegiatan, versi: int | None) -> str:
    write = PlannedWrite(
        source_id=record.sumber.id if record.sumber else "",
        key=record.natural_key(),
        action=Action.UPDATE if versi is not None else Action.CREATE,
        record=record,
        sync_hash=sync_hash(record),
        if_match=versi,
        changed=[],
    )
    return write.operation.idempotency_key


_changes = st.sampled_from(
    [
        ("pagu", lambda r: r.pagu + 1),
        ("nama_sub_kegiatan", lambda r: r.nama_sub_kegiatan + " x"),
        ("bulan_selesai", lambda r: 12 if r.bulan_selesai != 12 else r.bulan_mulai),
        ("lokasi", lambda r: [*r.lokasi, "Kab. Lain"]),
        ("indikator", lambda r: list(reversed(r.indikator)) if r.indikator else r.indikator),
        ("sumber_dana", lambda r: r.sumber_dana[:-1]),
        ("aktif", lambda r: not r.aktif),
        # where and when it came from, not what it says
        (
            "sumber",
            lambda r: r.sumber.model_copy(
                update={"diperbarui_pada": r.sumber.diperbarui_pada.replace(year=2030)}
            ),
        ),
    ]
)


@settings(max_examples=150, deadline=None)
@given(
    raw=raw_records(untidy=False),
    change=_changes,
    versi=st.one_of(st.none(), st.integers(1, 10**6)),
    other_versi=st.one_of(st.none(), st.integers(1, 10**6)),
)
def test_idempotency_key_changes_with_content_or_versi_only(
    raw: dict[str, Any], change: Any, versi: int | None, other_versi: int | None
) -> None:
    record = mapped_record(raw)
    field, new_value = change
    changed = record.model_copy(update={field: new_value(record)})
    content_changed = content_hash(changed) != content_hash(record)
    # the same write, again (after a crash): the same key
    assert key_of(record, versi) == key_of(record.model_copy(), versi)
    # different content or a different versi replaced: a different key
    same_key = key_of(changed, other_versi) == key_of(record, versi)
    assert same_key == (not content_changed and other_versi == versi), (field, versi, other_versi)
