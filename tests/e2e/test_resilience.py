"""Faults, retries, idempotency and resuming (docs/design.md, promises 1, 2, 3 and 5)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app import migrate
from app.db import make_engine, make_session_factory, session_scope
from app.models import Mismatch, RunStatus
from standins.generator import generate
from tests.e2e.conftest import TAHAP, TAHUN, World, make_world
from tests.e2e.test_findings import planner_types

# 20% of requests to each server fail in one of the ways the contracts list.
TWENTY_PERCENT = {
    "error_rate": 0.06,
    "rate_limit_rate": 0.04,
    "retry_after": 0,
    "drop_rate": 0.03,
    "html_rate": 0.02,
    "truncate_rate": 0.02,
    "drop_after_apply_rate": 0.03,
    "seed": 20,
}


def content(store: dict[tuple[str, str], dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """What a planner sees, without the bookkeeping that differs between two servers."""
    skip = {"versi", "diperbarui_pada", "diperbarui_oleh"}
    return {k: {f: v for f, v in r.items() if f not in skip} for k, r in store.items()}


def untidy(sample_items: list[dict[str, Any]]) -> Any:
    return generate(
        sample_items, tahun_anggaran=TAHUN, tahap=TAHAP, size=400, seed=3, problem_rate=0.04
    )


@pytest.fixture
def faulty(
    session_factory: sessionmaker[Session], database_url: str, sample_items: list[dict[str, Any]]
) -> Iterator[World]:
    yield from make_world(session_factory, database_url, untidy(sample_items))


@pytest.fixture
def reference(tmp_path: Path, sample_items: list[dict[str, Any]]) -> Iterator[World]:
    """The same data synced with no faults at all, into a database of its own."""
    url = f"sqlite:///{tmp_path / 'reference.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    yield from make_world(make_session_factory(engine), url, untidy(sample_items))
    engine.dispose()


def test_twenty_percent_faults_on_both_servers_still_end_exactly_right(
    faulty: World, reference: World
) -> None:
    faulty.faults(faulty.source, **TWENTY_PERCENT)
    faulty.faults(faulty.target, **TWENTY_PERCENT)
    # Small pages: more requests, so both servers certainly get their share of faults.
    faulty.settings = faulty.settings.model_copy(update={"page_size": 20})
    reference.settings = reference.settings.model_copy(update={"page_size": 20})

    expected = reference.sync(full=True)
    summary = faulty.sync(full=True)

    assert summary.status is RunStatus.SUCCEEDED, summary.error
    assert sum(summary.counts.values()) == summary.pulled == 400
    assert summary.counts == expected.counts
    assert "dead_letter" not in summary.counts
    assert content(faulty.eplanning_records()) == content(reference.eplanning_records())
    # No duplicate effect: every write applied once, though some answers were lost.
    assert (
        faulty.eplanning_stats()["writes_applied"] == reference.eplanning_stats()["writes_applied"]
    )
    # A fault-free run here would prove nothing.
    assert sum(faulty.eprogram_stats()["faults"].values()) > 0
    assert sum(faulty.eplanning_stats()["faults"].values()) > 0


def test_a_write_applied_but_unanswered_is_not_applied_twice(world: World) -> None:
    world.faults(world.target, drop_after_apply_rate=0.5, seed=4)

    summary = world.sync(full=True)

    assert summary.status is RunStatus.SUCCEEDED, summary.error
    assert summary.counts == {"created": 160}
    stats = world.eplanning_stats()
    assert stats["writes_applied"] == 160
    assert stats["replays"] > 0
    assert all(r["versi"] == 1 for r in world.eplanning_records().values())


def test_a_run_stopped_midway_is_resumed_from_its_checkpoint(world: World) -> None:
    pages: list[int] = []

    def stop_after_two_pages() -> bool:
        return len(pages) >= 2

    first = world.sync(
        progress=lambda p: pages.append(p.page) if p.stage == "tarik" and p.page else None,
        should_cancel=stop_after_two_pages,
    )

    assert first.status is RunStatus.CANCELLED
    assert first.pulled == 100  # two pages of 50
    # Stopped before its apply stage: the writes it decided wait in its plan.
    assert first.counts == {"direncanakan": 100}
    assert len(world.eplanning_records()) == 0

    second = world.sync()

    assert second.status is RunStatus.SUCCEEDED
    # The rest pulled (nothing pulled twice), and the first run's writes pushed.
    assert second.pulled == 160
    assert second.counts == {"created": 160}
    assert len(world.eplanning_records()) == 160
    assert world.sync().pulled == 0


def test_a_full_run_stopped_midway_is_continued_by_the_next_full_run(world: World) -> None:
    [typed] = planner_types(world, 1)
    pages: list[int] = []

    first = world.sync(
        full=True,
        progress=lambda p: pages.append(p.page) if p.stage == "tarik" and p.page else None,
        should_cancel=lambda: len(pages) >= 2,
    )

    assert first.status is RunStatus.CANCELLED
    assert first.pulled == 100

    second = world.sync(full=True)

    assert second.status is RunStatus.SUCCEEDED, second.error
    # The rest pulled (nothing pulled twice), and the first run's writes pushed.
    assert second.pulled == 160
    assert second.counts == {"created": 160}
    assert len(world.eplanning_records()) == 161
    # The two runs were one pass over E-Program: only what E-Program never had is
    # only in E-Planning, not the records the first run compared.
    with session_scope(world.sessions) as session:
        only_there = [
            (m.kode_sub_skpd, m.kode_sub_kegiatan, m.last_run_id)
            for m in session.scalars(
                select(Mismatch).where(Mismatch.kategori == "hanya_di_eplanning")
            )
        ]
    assert only_there == [(typed["kode_sub_skpd"], typed["kode_sub_kegiatan"], second.run_id)]
    # The pass is over: the next full run reads everything again.
    assert world.sync(full=True).counts == {"unchanged": 160}
