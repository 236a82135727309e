"""What planners do in E-Planning is seen by the next scheduled run (docs/design.md,
promise 10): a run the Scheduler's tick creates, carried out by the worker as the
service does, over the real stand-ins, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app import migrate
from app.db import make_engine, make_session_factory, session_scope
from app.models import OPEN_MISMATCH, Mismatch, RunStatus, SyncRun
from app.runs.schedule import WIB, Schedule, Scheduler
from app.runs.worker import RunWorker
from app.sync.progress import Progress, RunSummary
from tests.e2e.conftest import TAHAP, TAHUN, World, make_world, tidy
from tests.e2e.test_findings import planner_delete, planner_types
from tests.e2e.test_processes import (
    Service,
    run_row,
    services,  # noqa: F401 (the fixture, by its name)
    wait_until,
)
from tests.e2e.test_sync import assert_adds_up, key_of

Key = tuple[str, str]
PLANNER = "perencana.bappeda"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def fire(world: World, day: int) -> int:
    """The Scheduler's tick at 01:00 WIB on ``day`` November: the run it creates."""
    clock = Clock(datetime(2026, 11, day, 0, 30, tzinfo=WIB))
    scheduler = Scheduler(
        schedule=Schedule.from_text("0 1 * * *", f"{TAHUN}:{TAHAP}"),
        session_factory=world.sessions,
        clock=clock,
    )
    assert scheduler.tick() == []  # before 01:00 (on a new install: its baseline)
    clock.now = clock.now.replace(hour=1, minute=0)
    [run_id] = scheduler.tick()
    return run_id


def scheduled_run(world: World, day: int, *, worker: type[RunWorker] = RunWorker) -> RunSummary:
    """The nightly firing of ``day`` November, as the service makes it: the
    Scheduler's tick creates the run, the worker claims it under the lease and
    carries it out."""
    run_id = fire(world, day)
    finished: list[RunSummary] = []
    assert worker(
        settings=world.settings, session_factory=world.sessions, on_finished=finished.append
    ).run_next()
    [summary] = finished
    assert summary.run_id == run_id
    with session_scope(world.sessions) as session:
        run = session.get(SyncRun, run_id)
        assert run is not None and run.trigger == "schedule"
    return summary


def open_findings(world: World, kategori: str) -> list[Mismatch]:
    with session_scope(world.sessions) as session:
        rows = list(
            session.scalars(
                select(Mismatch).where(
                    Mismatch.kategori == kategori, Mismatch.status.in_(OPEN_MISMATCH)
                )
            )
        )
        session.expunge_all()
        return rows


def findings_of(world: World) -> set[tuple[str | None, str | None, str, str | None]]:
    """Every open finding: whose, which key, what and which field."""
    with session_scope(world.sessions) as session:
        return {
            (m.source_id, m.kode_sub_kegiatan, m.kategori, m.field)
            for m in session.scalars(select(Mismatch).where(Mismatch.status.in_(OPEN_MISMATCH)))
        }


@dataclass
class PlannersWork:
    """What planners did in E-Planning since the full run, and E-Planning after it."""

    edited: dict[str, Key]  # source id → natural key
    added: list[Key]
    deleted: tuple[str, Key]
    after: dict[Key, dict[str, Any]]


def planners_work(world: World, *, eprogram_touches: bool) -> PlannersWork:
    """Planners edit three records, add two and delete one, all in E-Planning;
    E-Program touches the three (a new update_at, the same content) when asked to."""
    records = world.dataset.records
    edited = {raw["id"]: key_of(raw) for raw in records[20:23]}
    for n, key in enumerate(edited.values()):
        world.manual_edit(key, {"nama_sub_kegiatan": f"Diubah oleh perencana {n}"})
    typed = planner_types(world, 2)
    gone = records[30]
    planner_delete(world, world.eplanning_records()[key_of(gone)])
    if eprogram_touches:
        world.dataset.touch_many(list(edited))
    return PlannersWork(
        edited=edited,
        added=[(b["kode_sub_skpd"], b["kode_sub_kegiatan"]) for b in typed],
        deleted=(gone["id"], key_of(gone)),
        after=world.eplanning_records(),
    )


def assert_planners_work_kept(world: World, work: PlannersWork) -> None:
    """Nothing a planner did in E-Planning was overwritten."""
    store = world.eplanning_records()
    for key in [*work.edited.values(), *work.added, work.deleted[1]]:
        assert store[key] == work.after[key], key
        assert store[key]["diperbarui_oleh"] == PLANNER


@pytest.fixture
def reference(tmp_path: Path, sample_items: list[dict[str, Any]]) -> Iterator[World]:
    """The same data in a database of its own: what a manual full run does."""
    url = f"sqlite:///{tmp_path / 'reference.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    sessions: sessionmaker[Session] = make_session_factory(engine)
    yield from make_world(sessions, url, tidy(sample_items))
    engine.dispose()


def test_the_next_scheduled_run_reports_planners_edits_additions_and_deletions(
    world: World, reference: World
) -> None:
    assert_adds_up(world.sync(full=True))
    work = planners_work(world, eprogram_touches=True)

    summary = scheduled_run(world, 29)

    assert_adds_up(summary)
    deleted_id, _ = work.deleted
    outcomes = {source_id: o.outcome for source_id, o in world.outcomes(summary.run_id).items()}
    # The three edits are conflicts for a planner to decide; so is the delete, which
    # in E-Planning switches the record off (it keeps history): its `aktif` differs.
    assert {outcomes[source_id] for source_id in [*work.edited, deleted_id]} == {"conflict"}
    manual = open_findings(world, "diubah_manual")
    assert {m.source_id for m in manual} == {*work.edited, deleted_id}
    assert {m.field for m in manual if m.source_id == deleted_id} == {"aktif"}
    only_there = open_findings(world, "hanya_di_eplanning")
    assert sorted((m.kode_sub_skpd, m.kode_sub_kegiatan) for m in only_there) == sorted(work.added)
    assert_planners_work_kept(world, work)

    # A manual full run from the same state comes to exactly the same.
    assert_adds_up(reference.sync(full=True))
    assert planners_work(reference, eprogram_touches=True).deleted == work.deleted
    full = reference.sync(full=True)
    assert summary.counts == full.counts
    assert outcomes == {k: o.outcome for k, o in reference.outcomes(full.run_id).items()}
    assert findings_of(world) == findings_of(reference)
    assert world.eplanning_records().keys() == reference.eplanning_records().keys()


def test_edits_to_records_eprogram_never_touched_are_reported_too(world: World) -> None:
    assert_adds_up(world.sync(full=True))
    work = planners_work(world, eprogram_touches=False)

    summary = scheduled_run(world, 29)

    assert_adds_up(summary)
    outcomes = world.outcomes(summary.run_id)
    assert {outcomes[source_id].outcome for source_id in work.edited} == {"conflict"}
    manual = {m.source_id for m in open_findings(world, "diubah_manual")}
    assert set(work.edited) <= manual
    assert len(open_findings(world, "hanya_di_eplanning")) == 2
    assert_planners_work_kept(world, work)

    # The night after, nothing new happened: the same findings, still open.
    again = scheduled_run(world, 30)
    assert_adds_up(again)
    assert {m.source_id for m in open_findings(world, "diubah_manual")} == manual
    assert len(open_findings(world, "hanya_di_eplanning")) == 2
    assert_planners_work_kept(world, work)


def test_with_source_wins_the_scheduled_run_overwrites_edits_eprogram_never_touched(
    world: World,
) -> None:
    assert_adds_up(world.sync(full=True))
    edited = world.dataset.records[20]
    key = key_of(edited)
    before = world.eplanning_records()[key]
    world.manual_edit(key, {"nama_sub_kegiatan": "Diubah oleh perencana"})
    world.settings = world.settings.model_copy(update={"conflict_policy": "source_wins"})

    summary = scheduled_run(world, 29)

    assert_adds_up(summary)
    assert world.outcomes(summary.run_id)[edited["id"]].outcome == "updated"
    held = world.eplanning_records()[key]
    assert held["nama_sub_kegiatan"] == before["nama_sub_kegiatan"]
    assert held["diperbarui_oleh"] == "integrasi-eprogram"


def test_a_scheduled_run_killed_midway_is_continued_by_the_next_and_still_sees_everything(
    world: World,
    services: list[Service],  # noqa: F811 (the fixture imported above)
) -> None:
    assert_adds_up(world.sync(full=True))
    work = planners_work(world, eprogram_touches=False)
    # E-Program touches a hundred others: an incremental run would have pages to pull too.
    world.dataset.touch_many([raw["id"] for raw in world.dataset.records[60:]])
    world.faults(world.source, latency_ms=250)
    first = Service(world)  # no schedule of its own: its worker carries out what is pending
    services.append(first)
    killed = fire(world, 29)
    wait_until(lambda: run_row(world, killed).records_pulled >= 40, 60, "two pages recorded")

    first.kill()
    done_before = run_row(world, killed).records_pulled
    world.faults(world.source, latency_ms=0)
    services.append(Service(world))
    resumed = fire(world, 30)
    finished = wait_until(
        lambda: (row := run_row(world, resumed)).status in ("succeeded", "failed") and row,
        60,
        "the next scheduled run",
    )

    assert run_row(world, killed).status == "interrupted"
    assert finished.status == "succeeded", finished.error
    assert sum(finished.outcome_counts.values()) == finished.records_pulled
    # Continued from the checkpoint: at most one page (20) is done again.
    assert done_before + finished.records_pulled <= 160 + 20
    assert finished.records_pulled < 160
    # And the two runs together are one full comparison: every edit reported,
    # whichever of them compared it, and exactly what only E-Planning holds.
    assert set(work.edited) <= {m.source_id for m in open_findings(world, "diubah_manual")}
    only_there = open_findings(world, "hanya_di_eplanning")
    assert sorted((m.kode_sub_skpd, m.kode_sub_kegiatan) for m in only_there) == sorted(work.added)
    assert_planners_work_kept(world, work)
    store = world.eplanning_records()
    assert len(store) == 162
    assert {r["sumber"]["id"] for k, r in store.items() if k not in work.added} == {
        r["id"] for r in world.dataset.records
    }


def test_a_scheduled_run_failed_by_an_outage_midway_is_healed_by_the_next(world: World) -> None:
    [typed] = planner_types(world, 1)

    class EPlanningGoesDown(RunWorker):
        """The service's worker, while E-Planning goes down after two pages."""

        def _progress(self, event: Progress, forward: Callable[[Progress], None] | None) -> None:
            super()._progress(event, forward)
            if event.stage == "tarik" and event.page == 2:
                world.faults(world.target, error_rate=1.0, retry_after=0)

    failed = scheduled_run(world, 29, worker=EPlanningGoesDown)

    assert failed.status is RunStatus.FAILED
    assert (failed.error or "").startswith("E-Planning")
    # The pass was pulled and decided; its writes wait in the plan.
    assert failed.pulled == 160 and failed.counts == {"direncanakan": 160}
    world.faults(world.target, error_rate=0.0)

    healed = scheduled_run(world, 30)

    assert_adds_up(healed)
    assert healed.pulled == 160 and healed.counts == {"created": 160}
    store = world.eplanning_records()
    assert len(store) == 161
    assert {r["sumber"]["id"] for r in store.values() if r["sumber"]} >= {
        r["id"] for r in world.dataset.records
    }
    only_there = open_findings(world, "hanya_di_eplanning")
    assert [(m.kode_sub_skpd, m.kode_sub_kegiatan) for m in only_there] == [
        (typed["kode_sub_skpd"], typed["kode_sub_kegiatan"])
    ]
