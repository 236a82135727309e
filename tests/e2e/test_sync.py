"""A whole sync over real HTTP against the stand-ins, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import select

from app.db import session_scope
from app.models import (
    DeadLetter,
    EPlanningMirror,
    Mismatch,
    RecordState,
    RunStatus,
    SourceRecord,
)
from mappings.eplanning import StoredRenjaSubKegiatan, content_hash
from mappings.subkegiatan import Mapped, map_sub_kegiatan
from tests.e2e.conftest import World
from tests.row_versions import Versions, row_versions, touched

BATCH = "POST /api/v1/renja-sub-kegiatan/batch"


def assert_adds_up(summary: Any) -> None:
    assert summary.status is RunStatus.SUCCEEDED, summary.error
    assert sum(summary.counts.values()) == summary.pulled


def key_of(raw: dict[str, Any]) -> tuple[str, str]:
    mapped = map_sub_kegiatan(raw)
    assert isinstance(mapped, Mapped)
    return mapped.record.kode_sub_skpd, mapped.record.kode_sub_kegiatan


def with_pagu(raw: dict[str, Any], pagu: int) -> dict[str, Any]:
    """The record with a new pagu and its sumber dana moved along (E-Planning checks the sum)."""
    dana = [{**raw["sumber_dana"][0], "pagu_dana": str(pagu)}]
    return {"pagu": str(pagu), "sumber_dana": dana}


def test_full_sync_puts_every_mapped_record_into_eplanning(world: World) -> None:
    summary = world.sync(full=True)

    assert_adds_up(summary)
    assert summary.counts == {"created": 160}
    store = world.eplanning_records()
    assert len(store) == 160
    for raw in world.dataset.records:
        mapped = map_sub_kegiatan(raw)
        assert isinstance(mapped, Mapped)
        held = store[key_of(raw)]
        assert content_hash(StoredRenjaSubKegiatan.from_api(held)) == content_hash(mapped.record)
        assert held["sumber"]["id"] == raw["id"]
        assert held["diperbarui_oleh"] == "integrasi-eprogram"


def test_incremental_sync_pushes_only_what_changed(world: World) -> None:
    world.sync(full=True)
    writes_before = world.eplanning_stats()["writes_applied"]
    records = world.dataset.records
    for raw in records[:3]:
        world.dataset.touch(raw["id"], **with_pagu(raw, 123_456_000))
    world.dataset.touch(records[3]["id"], active="0")

    summary = world.sync()

    assert_adds_up(summary)
    assert summary.pulled == 4
    assert summary.counts == {"updated": 3, "deactivated": 1}
    assert world.eplanning_stats()["writes_applied"] - writes_before == 4
    store = world.eplanning_records()
    assert [store[key_of(r)]["pagu"] for r in records[:3]] == ["123456000.00"] * 3
    assert store[key_of(records[3])]["aktif"] is False
    assert sum(1 for r in store.values() if r["aktif"]) == 159


def test_second_full_sync_with_nothing_changed_pushes_nothing(world: World) -> None:
    world.sync(full=True)
    before = world.eplanning_stats()

    summary = world.sync(full=True)

    assert_adds_up(summary)
    assert summary.counts == {"unchanged": 160}
    after = world.eplanning_stats()
    assert after["writes_applied"] == before["writes_applied"]
    assert after["requests"].get(BATCH) == before["requests"].get(BATCH)


def test_records_at_the_watermark_second_are_not_counted_twice(world: World) -> None:
    world.sync(full=True)
    ids = [r["id"] for r in world.dataset.records[:3]]
    world.dataset.touch_many(ids, sasaran="Masyarakat pesisir")  # one clock second

    first = world.sync()
    again = world.sync()

    assert_adds_up(first)
    assert first.pulled == 3
    assert_adds_up(again)
    assert again.pulled == 0
    assert again.counts == {}


def test_content_that_changes_back_is_pushed_again(world: World) -> None:
    world.sync(full=True)
    raw = world.dataset.records[0]
    original = int(raw["pagu"])

    world.dataset.touch(raw["id"], **with_pagu(raw, original + 1_000_000))
    assert world.sync().counts == {"updated": 1}
    world.dataset.touch(raw["id"], **with_pagu(raw, original))
    back = world.sync()

    assert back.counts == {"updated": 1}
    held = world.eplanning_records()[key_of(raw)]
    assert held["pagu"] == f"{original}.00"
    assert held["versi"] == 3


def test_a_422_becomes_rejected_with_eplannings_reason(world: World) -> None:
    raw = dict(world.dataset.records[0])
    dropped = {**raw, "id": "990001", "kode_sub_giat": raw["kode_sub_giat"][:-4] + "0999"}
    world.dataset.add(dropped)

    summary = world.sync(full=True)

    assert_adds_up(summary)
    assert summary.counts == {"created": 160, "rejected": 1}
    outcome = world.outcomes(summary.run_id)["990001"]
    assert outcome.outcome == "rejected"
    assert "tidak_ada_di_nomenklatur" in (outcome.message or "")
    assert (raw["kode_sub_skpd"], dropped["kode_sub_giat"]) not in world.eplanning_records()
    with session_scope(world.sessions) as session:
        rows = session.scalars(select(Mismatch).where(Mismatch.source_id == "990001")).all()
        by_kategori = {m.kategori: m for m in rows}
        # The code, and the pagu E-Planning therefore lacks: one row each.
        assert sorted(by_kategori) == ["kode_tidak_di_nomenklatur", "pagu_berbeda"]
        mismatch = by_kategori["kode_tidak_di_nomenklatur"]
        assert mismatch.field == "kode_sub_kegiatan"
        assert mismatch.nilai_eprogram == dropped["kode_sub_giat"]
        assert by_kategori["pagu_berbeda"].nilai_eplanning is None


def test_a_planners_edit_is_a_conflict_and_is_not_overwritten(world: World) -> None:
    world.sync(full=True)
    raw = world.dataset.records[5]
    key = key_of(raw)
    world.manual_edit(key, {"nama_sub_kegiatan": "Diubah oleh perencana"})
    world.dataset.touch(raw["id"], **with_pagu(raw, 777_000_000))

    summary = world.sync()

    assert_adds_up(summary)
    assert summary.counts == {"conflict": 1}
    held = world.eplanning_records()[key]
    assert held["nama_sub_kegiatan"] == "Diubah oleh perencana"
    assert held["pagu"] != "777000000.00"
    assert held["diperbarui_oleh"] == "perencana.bappeda"
    with session_scope(world.sessions) as session:
        rows = session.scalars(
            select(Mismatch).where(
                Mismatch.kategori == "diubah_manual", Mismatch.source_id == raw["id"]
            )
        ).all()
        by_field = {m.field: m for m in rows}
        assert by_field["pagu"].nilai_eprogram == "777000000.00"
        assert by_field["nama_sub_kegiatan"].nilai_eplanning == "Diubah oleh perencana"


def test_policy_source_wins_overwrites_a_planners_edit(world: World) -> None:
    world.sync(full=True)
    raw = world.dataset.records[5]
    world.manual_edit(key_of(raw), {"nama_sub_kegiatan": "Diubah oleh perencana"})
    world.dataset.touch(raw["id"], **with_pagu(raw, 777_000_000))
    world.settings = world.settings.model_copy(update={"conflict_policy": "source_wins"})

    summary = world.sync()

    assert summary.counts == {"updated": 1}
    held = world.eplanning_records()[key_of(raw)]
    assert held["pagu"] == "777000000.00"
    assert held["diperbarui_oleh"] == "integrasi-eprogram"


def test_an_eplanning_that_keeps_failing_fails_the_run_with_a_reason(world: World) -> None:
    world.faults(world.target, error_rate=1.0, retry_after=0)

    summary = world.sync(full=True)

    # Reading E-Planning fails first, so the run fails, cleanly and with a reason.
    assert summary.status is RunStatus.FAILED
    assert "GET /api/v1/renja-sub-kegiatan" in (summary.error or ""), summary.error
    assert summary.pulled == 0
    assert world.eplanning_records() == {}


def test_pushes_that_outlive_their_retries_go_to_dead_letters(world: World) -> None:
    world.sync(full=True)
    for raw in world.dataset.records[:2]:
        world.dataset.touch(raw["id"], **with_pagu(raw, 5_000_000))
    world.settings = world.settings.model_copy(update={"retry_max_attempts": 2})
    # E-Planning is up, but every write is applied and then answered 503: the
    # client can never learn the answer, which is what the dead-letter table is
    # for. (A request with no answer at all is an outage: it fails the run.)
    world.faults(world.target, item_error_after_apply_rate=1.0)

    summary = world.sync()

    assert_adds_up(summary)
    assert summary.counts == {"dead_letter": 2}
    with session_scope(world.sessions) as session:
        letters = session.scalars(select(DeadLetter)).all()
        assert len(letters) == 2
        assert all(letter.payload and letter.payload["op"] == "put" for letter in letters)
        assert all(letter.idempotency_key.startswith("sinkron-") for letter in letters)


def test_an_unexpected_error_fails_the_run_with_its_counts_still_adding_up(
    world: World, monkeypatch: Any
) -> None:
    from app.sync import pipeline

    world.sync(full=True)
    calls = {"n": 0}
    real = pipeline.map_sub_kegiatan

    def flaky(raw: dict[str, Any], **kw: Any) -> Any:
        calls["n"] += 1
        if calls["n"] > 60:
            raise RuntimeError("bug di pemetaan")
        return real(raw, **kw)

    monkeypatch.setattr(pipeline, "map_sub_kegiatan", flaky)
    summary = world.sync(full=True)

    assert summary.status is RunStatus.FAILED
    assert "bug di pemetaan" in (summary.error or "")
    # The page that failed left nothing half-done: what was recorded adds up.
    assert sum(summary.counts.values()) == summary.pulled == 50


def test_an_update_at_in_another_format_does_not_poison_the_checkpoint(world: World) -> None:
    world.sync(full=True)
    raw = dict(world.dataset.records[0])
    raw["update_at"] = world.dataset.now().replace(" ", "T") + "+07:00"  # ISO, with an offset
    world.dataset.add(raw)

    second = world.sync()
    third = world.sync()

    assert second.status is RunStatus.SUCCEEDED, second.error
    assert third.status is RunStatus.SUCCEEDED, third.error
    assert third.pulled == 0


def test_switching_off_an_operators_copy_keeps_the_real_record(
    world: World,
) -> None:
    world.sync(full=True)
    real = dict(world.dataset.records[3])
    copy_id = "880001"
    world.dataset.add({k: v for k, v in real.items() if k != "update_at"} | {"id": copy_id})
    world.sync()  # the copy is newer: E-Planning now points at it
    assert world.eplanning_records()[key_of(real)]["sumber"]["id"] == copy_id
    world.dataset.touch(copy_id, active="0")

    switched_off = world.sync()  # sees only the copy; remembers the real record

    assert switched_off.pulled == 1
    assert switched_off.counts == {"updated": 1}
    held = world.eplanning_records()[key_of(real)]
    assert held["aktif"] is True
    assert held["sumber"]["id"] == real["id"]
    assert world.sync(full=True).counts == {"duplicate": 1, "unchanged": 160}


def test_a_dead_letter_made_stale_by_a_later_run_is_not_replayed(world: World) -> None:
    world.settings = world.settings.model_copy(update={"retry_max_attempts": 2})
    world.faults(world.target, drop_after_apply_rate=0.0)
    armed = {"done": False}

    def fail_pushes_after_reading(event: Any) -> None:
        if event.stage == "tarik" and not armed["done"]:
            armed["done"] = True
            world.faults(world.target, item_error_rate=1.0)

    first = world.sync(full=True, progress=fail_pushes_after_reading)
    assert first.counts == {"dead_letter": 160}
    world.faults(world.target, item_error_rate=0.0)
    raw = world.dataset.records[5]
    world.dataset.touch(raw["id"], **with_pagu(raw, 777_000_000))
    # The next run writes the changed record, then sends the other letters
    # again itself, with their own keys; never the stale one.
    assert world.sync().counts == {"created": 1}
    with session_scope(world.sessions) as session:
        statuses = Counter(d.status for d in session.scalars(select(DeadLetter)))
    assert statuses == {"resolved": 159, "superseded": 1}
    world.manual_edit(key_of(raw), {"nama_sub_kegiatan": "Diubah oleh perencana"})
    world.sync()

    held = world.eplanning_records()[key_of(raw)]
    assert held["nama_sub_kegiatan"] == "Diubah oleh perencana"
    assert held["pagu"] == "777000000.00"
    assert len(world.eplanning_records()) == 160


def versions_of(world: World) -> Versions | None:
    with session_scope(world.sessions) as session:
        return row_versions(session, ("source_record", "record_state"))


def test_a_full_sync_rewrites_only_the_rows_of_the_record_that_changed(world: World) -> None:
    """The E-Program records a run keeps (source_record) and where each stands
    (record_state) are written when they change, not each time a run sees
    them: a full run where one record changed writes that one record's rows,
    and still speaks for every key E-Planning holds."""
    first = world.sync(full=True)
    changed = world.dataset.records[5]
    world.dataset.touch(changed["id"], **with_pagu(changed, 98_765_000))
    versions = versions_of(world)

    again = world.sync(full=True)

    assert_adds_up(again)
    assert again.counts == {"unchanged": 159, "updated": 1}
    if versions is not None:
        # Not even locked: an upsert that leaves a row as it is still writes
        # its xmax on PostgreSQL, for every record of a run that changed nothing.
        after = versions_of(world)
        assert after is not None
        moved = touched(versions, after)
        assert moved == {("source_record", changed["id"]), ("record_state", changed["id"])}
    with session_scope(world.sessions) as session:
        written = Counter(session.scalars(select(SourceRecord.run_id)).all())
        standing = Counter(session.scalars(select(RecordState.run_id)).all())
        changed_stands = session.get(RecordState, (world.tahun_anggaran, "renja", changed["id"]))
        only_there = session.scalars(
            select(Mismatch).where(Mismatch.kategori == "hanya_di_eplanning")
        ).all()
    assert written == {first.run_id: 159, again.run_id: 1}
    # Where each record stands: rewritten only for the one that moved.
    assert standing == {first.run_id: 159, again.run_id: 1}
    assert changed_stands is not None and changed_stands.pagu_eprogram == 98_765_000
    assert only_there == []


def test_a_full_read_forgets_a_copy_e_planning_no_longer_holds(world: World) -> None:
    """A copy E-Planning's administrators removed outright leaves the mirror at
    the next full read (which then reads the scope once more, marking what it
    sees), so the run decides to create the record again rather than finding
    it unchanged against a copy that is gone."""
    world.sync(full=True)
    gone = world.dataset.records[9]
    world.purge(key_of(gone))

    again = world.sync(full=True)

    assert_adds_up(again)
    assert again.counts == {"unchanged": 159, "created": 1}
    assert world.outcomes(again.run_id)[gone["id"]].outcome == "created"


def test_a_full_sync_reads_unchanged_copies_cheaply_and_still_sees_an_edit(
    world: World,
) -> None:
    first = world.sync(full=True)
    again = world.sync(full=True)  # every copy read back exactly as the mirror holds it
    raw = world.dataset.records[7]
    world.manual_edit(key_of(raw), {"nama_sub_kegiatan": "Diubah oleh perencana"})

    third = world.sync(full=True)

    assert_adds_up(again)
    assert again.counts == {"unchanged": 160}
    assert_adds_up(third)
    assert third.counts == {"unchanged": 159, "conflict": 1}
    with session_scope(world.sessions) as session:
        mirrored = session.scalars(select(EPlanningMirror)).all()
        kinds = Counter(m.kategori for m in session.scalars(select(Mismatch)).all())
    # The copies read unchanged stay in the mirror as they were, not even marked
    # (a full read forgets only what it did not see); the edited one is rewritten.
    assert len(mirrored) == 160
    edited = next(m for m in mirrored if (m.kode_sub_skpd, m.kode_sub_kegiatan) == key_of(raw))
    assert edited.read_run_id == third.run_id
    assert {m.read_run_id for m in mirrored if m is not edited} == {first.run_id}
    assert edited.diperbarui_oleh == "perencana.bappeda"
    assert "Diubah oleh perencana" in edited.body
    assert kinds["diubah_manual"] >= 1
    assert kinds["hanya_di_eplanning"] == 0
