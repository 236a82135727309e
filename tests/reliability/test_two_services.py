"""The overlap count the two-services row relies on: runs that touch do not overlap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from reliability.scenarios.two_services import most_overlapping

T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


def span(start: int, end: int | None) -> dict[str, datetime | None]:
    return {
        "started_at": T0 + timedelta(seconds=start),
        "finished_at": None if end is None else T0 + timedelta(seconds=end),
    }


def test_runs_one_after_another_never_count_as_two() -> None:
    assert most_overlapping([span(0, 10), span(10, 20), span(25, 30)]) == 1


def test_a_run_started_before_another_ended_counts_as_two() -> None:
    assert most_overlapping([span(0, 10), span(9, 20), span(30, 40)]) == 2


def test_a_run_still_running_overlaps_everything_after_its_start() -> None:
    later = datetime.now(UTC) - T0
    assert most_overlapping([span(0, None), span(int(later.total_seconds()) - 5, None)]) == 2


def test_pending_runs_that_never_started_do_not_count() -> None:
    assert most_overlapping([span(0, 10), {"started_at": None, "finished_at": None}]) == 1
