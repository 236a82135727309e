"""Preview, approval and the guard, over real HTTP against the stand-ins, on
SQLite and PostgreSQL (docs/design.md, "Preview, approval and the guard")."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from app.db import session_scope
from app.models import PlanStatus, RunStatus, SyncRun, Trigger
from app.repositories import rencana
from app.runs import persetujuan
from app.runs.runner import create_run, execute_run
from app.sync.progress import RunSummary
from app.sync.scope import Scope
from tests.e2e.conftest import TAHAP, World
from tests.e2e.test_schedule_sees_eplanning import scheduled_run
from tests.e2e.test_sync import key_of, with_pagu

# What a run records for each action of a plan.
OUTCOME_OF = {
    "create": "created",
    "update": "updated",
    "deactivate": "deactivated",
    "unchanged": "unchanged",
    "conflict": "conflict",
}
OPD = "4.01.0.00.0.00.01.0000"  # 18 of the 160 records


def preview(world: World) -> RunSummary:
    scope = Scope(world.tahun_anggaran, TAHAP, (), True)
    run_id = create_run(world.sessions, scope, trigger=Trigger.CLI, pratinjau=True)
    return _execute(world, run_id)


def _execute(world: World, run_id: int) -> RunSummary:
    return asyncio.run(execute_run(run_id, settings=world.settings, session_factory=world.sessions))


def approve(world: World, run_id: int) -> RunSummary:
    with session_scope(world.sessions) as session:
        decided = persetujuan.approve(
            session, run_id, by="admin.bappeda", trigger=Trigger.CLI, valid_hours=24
        )
        assert decided.applying is not None
        applying = decided.applying.id
    return _execute(world, applying)


def plan_of(world: World, run_id: int) -> dict[str, str]:
    """source id → the plan's action, for the rows a decision did not replace."""
    with session_scope(world.sessions) as session:
        return {row.source_id: row.aksi for row in rencana.rows_of_run(session, run_id)}


def outcomes_of(world: World, run_id: int) -> dict[str, str]:
    return {sid: row.outcome for sid, row in world.outcomes(run_id).items()}


def overnight_changes(world: World) -> dict[str, str]:
    """E-Program after a night: pagu changed, records switched off, and one
    record a planner also edited in E-Planning (a conflict). Returns what each
    touched source id should become."""
    records = list(world.dataset.records)  # a touch moves a record to the end
    for raw in records[:5]:
        world.dataset.touch(raw["id"], **with_pagu(raw, 777_000_000))
    for raw in records[5:7]:
        world.dataset.touch(raw["id"], active="0")
    edited = records[7]
    world.dataset.touch(edited["id"], **with_pagu(edited, 555_000_000))
    world.manual_edit(key_of(edited), {"nama_sub_kegiatan": "Diubah oleh perencana"})
    return {
        **{raw["id"]: "update" for raw in records[:5]},
        **{raw["id"]: "deactivate" for raw in records[5:7]},
        edited["id"]: "conflict",
    }


def test_a_preview_of_a_first_sync_writes_nothing_and_plans_every_create(world: World) -> None:
    summary = preview(world)

    assert summary.status is RunStatus.SUCCEEDED, summary.error
    assert world.eplanning_records() == {}
    assert world.eplanning_stats()["writes_applied"] == 0
    assert set(plan_of(world, summary.run_id).values()) == {"create"}
    assert len(plan_of(world, summary.run_id)) == 160
    # The run that follows does what the preview said, record by record.
    real = world.sync(full=True)
    assert outcomes_of(world, real.run_id) == {
        sid: OUTCOME_OF[aksi] for sid, aksi in plan_of(world, summary.run_id).items()
    }


def test_a_preview_leaves_eplanning_as_it_was_and_the_next_run_does_its_plan(
    world: World,
) -> None:
    world.sync(full=True)
    expected = overnight_changes(world)
    before = world.eplanning_records()
    writes = world.eplanning_stats()["writes_applied"]

    summary = preview(world)

    assert summary.status is RunStatus.SUCCEEDED, summary.error
    assert world.eplanning_records() == before
    assert world.eplanning_stats()["writes_applied"] == writes
    plan = plan_of(world, summary.run_id)
    assert len(plan) == 160
    assert {sid: plan[sid] for sid in expected} == expected
    assert sum(a == "unchanged" for a in plan.values()) == 160 - len(expected)
    # The update shows what would change, before and after.
    with session_scope(world.sessions) as session:
        [row] = [
            r
            for r in rencana.rows_of_run(session, summary.run_id, aksi="update")
            if r.source_id == next(iter(expected))
        ]
        assert {c["field"] for c in row.perubahan} >= {"pagu"}
        [pagu] = [c for c in row.perubahan if c["field"] == "pagu"]
        assert pagu["sesudah"] == "777000000.00" and pagu["sebelum"] != pagu["sesudah"]
        run = session.get(SyncRun, summary.run_id)
        assert run is not None and run.pratinjau
    # A preview is nobody's last sync: it moved no checkpoint, so the next run
    # sees the same changes and does exactly what the plan said.
    real = world.sync(full=True)
    assert outcomes_of(world, real.run_id) == {sid: OUTCOME_OF[a] for sid, a in plan.items()}


def test_an_approval_applies_exactly_the_plan(world: World) -> None:
    world.sync(full=True)
    expected = overnight_changes(world)
    summary = preview(world)
    writes = world.eplanning_stats()["writes_applied"]
    planned = {
        sid: a for sid, a in plan_of(world, summary.run_id).items() if a not in ("unchanged",)
    }

    applied = approve(world, summary.run_id)

    assert applied.status is RunStatus.SUCCEEDED, applied.error
    pushes = {sid: a for sid, a in planned.items() if a != "conflict"}
    assert outcomes_of(world, applied.run_id) == {sid: OUTCOME_OF[a] for sid, a in pushes.items()}
    assert world.eplanning_stats()["writes_applied"] == writes + len(pushes)
    store = world.eplanning_records()
    records = {raw["id"]: raw for raw in world.dataset.records}
    for sid, aksi in expected.items():
        held = store[key_of(records[sid])]
        if aksi == "update":
            assert held["pagu"] == "777000000.00"
        elif aksi == "deactivate":
            assert held["aktif"] is False
        else:  # the planner's edit is kept
            assert held["nama_sub_kegiatan"] == "Diubah oleh perencana"
    with session_scope(world.sessions) as session:
        statuses = {r.status for r in rencana.rows_of_run(session, summary.run_id)}
        assert PlanStatus.DISETUJUI not in statuses
        with pytest.raises(persetujuan.Refused) as refused:
            persetujuan.approve(
                session, summary.run_id, by="admin", trigger=Trigger.CLI, valid_hours=24
            )
        assert refused.value.code == "rencana_sudah_diterapkan"


def test_a_planners_edit_after_the_preview_becomes_a_conflict_not_an_overwrite(
    world: World,
) -> None:
    world.sync(full=True)
    target = world.dataset.records[0]
    world.dataset.touch(target["id"], **with_pagu(target, 321_000_000))
    summary = preview(world)
    assert plan_of(world, summary.run_id)[target["id"]] == "update"
    world.manual_edit(key_of(target), {"nama_sub_kegiatan": "Perencana mengubah sesudah pratinjau"})

    applied = approve(world, summary.run_id)

    assert outcomes_of(world, applied.run_id) == {target["id"]: "conflict"}
    held = world.eplanning_records()[key_of(target)]
    assert held["nama_sub_kegiatan"] == "Perencana mengubah sesudah pratinjau"
    assert held["pagu"] != "321000000.00"


def test_an_expired_or_outdated_plan_is_refused(world: World) -> None:
    world.sync(full=True)
    first = world.dataset.records[0]
    world.dataset.touch(first["id"], **with_pagu(first, 321_000_000))
    old = preview(world)
    with session_scope(world.sessions) as session:
        run = session.get(SyncRun, old.run_id)
        assert run is not None and run.finished_at is not None
        run.finished_at -= timedelta(hours=25)
    with session_scope(world.sessions) as session, pytest.raises(persetujuan.Refused) as expired:
        persetujuan.approve(session, old.run_id, by="admin", trigger=Trigger.CLI, valid_hours=24)
    assert expired.value.code == "rencana_kedaluwarsa"
    assert "24 jam" in expired.value.detail

    fresh = preview(world)
    world.sync(full=True)  # a run wrote after the preview
    with session_scope(world.sessions) as session, pytest.raises(persetujuan.Refused) as outdated:
        persetujuan.approve(session, fresh.run_id, by="admin", trigger=Trigger.CLI, valid_hours=24)
    assert outdated.value.code == "rencana_usang"


def _guarded(world: World) -> None:
    world.settings = world.settings.model_copy(update={"ambang_min_data": 10})


def _switch_off_forty_percent(world: World) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """E-Program switches 8 of OPD 4.01's 18 records off overnight (44 %), and
    one record of another OPD gets a new pagu."""
    mine = [dict(raw) for raw in world.dataset.records if raw["kode_skpd"] == OPD]
    off = mine[:8]
    world.dataset.touch_many([raw["id"] for raw in off], active="0")
    other = dict(next(raw for raw in world.dataset.records if raw["kode_skpd"] != OPD))
    world.dataset.touch(other["id"], **with_pagu(other, 444_000_000))
    return off, other


def held_overnight(world: World) -> RunSummary:
    """The nightly run of 20 November held OPD 4.01 (8 of its 18 records switched off)."""
    _guarded(world)
    world.sync(full=True)
    _switch_off_forty_percent(world)
    held = scheduled_run(world, 20)
    assert held.status is RunStatus.HELD, held.error
    return held


def test_the_guard_holds_an_opd_switching_off_forty_percent_and_approval_applies_it(
    world: World,
) -> None:
    _guarded(world)
    world.sync(full=True)
    off, other = _switch_off_forty_percent(world)

    held = scheduled_run(world, 20)

    assert held.status is RunStatus.HELD, held.error
    store = world.eplanning_records()
    assert all(store[key_of(raw)]["aktif"] for raw in off)  # 0 deactivations applied
    assert store[key_of(other)]["pagu"] == "444000000.00"  # the other OPDs pushed
    assert held.counts["ditahan"] == 8
    with session_scope(world.sessions) as session:
        run = session.get(SyncRun, held.run_id)
        assert run is not None and run.ditahan is not None
        assert list(run.ditahan) == [OPD]
        assert "8 dari 18 data dinonaktifkan" in run.ditahan[OPD]

    applied = approve(world, held.run_id)

    assert applied.status is RunStatus.SUCCEEDED, applied.error
    assert outcomes_of(world, applied.run_id) == {raw["id"]: "deactivated" for raw in off}
    store = world.eplanning_records()
    assert not any(store[key_of(raw)]["aktif"] for raw in off)


def test_a_rejected_hold_applies_nothing_and_the_next_run_holds_again(world: World) -> None:
    _guarded(world)
    world.sync(full=True)
    off, _other = _switch_off_forty_percent(world)
    held = scheduled_run(world, 20)
    assert held.status is RunStatus.HELD
    writes = world.eplanning_stats()["writes_applied"]

    with session_scope(world.sessions) as session:
        decided = persetujuan.reject(
            session, held.run_id, by="admin", alasan="ekspor E-Program keliru", valid_hours=24
        )
        assert decided.rows == 8
    assert world.eplanning_stats()["writes_applied"] == writes

    again = scheduled_run(world, 21)

    assert again.status is RunStatus.HELD
    assert again.counts.get("ditahan") == 8
    assert all(world.eplanning_records()[key_of(raw)]["aktif"] for raw in off)
    assert world.eplanning_stats()["writes_applied"] == writes
    # An admin's forced run skips the guard.
    scope = Scope(world.tahun_anggaran, TAHAP, (), True)
    forced = _execute(world, create_run(world.sessions, scope, trigger=Trigger.CLI, paksa=True))
    assert forced.status is RunStatus.SUCCEEDED
    assert forced.counts.get("deactivated") == 8


def test_a_plan_with_nothing_to_send_is_not_approved(world: World) -> None:
    world.sync(full=True)
    summary = preview(world)
    assert set(plan_of(world, summary.run_id).values()) == {"unchanged"}

    with session_scope(world.sessions) as session, pytest.raises(persetujuan.Refused) as refused:
        persetujuan.approve(
            session, summary.run_id, by="admin", trigger=Trigger.CLI, valid_hours=24
        )
    assert refused.value.code == "rencana_tanpa_kiriman"
    with session_scope(world.sessions) as session:
        run = session.get(SyncRun, summary.run_id)
        assert run is not None and run.keputusan is None
