"""The incremental pull's position, rule by rule (app/sync/watermark.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from app.sync.watermark import Start, Watermark, feed_time, fresh, start

W = "2026-01-05 10:22:33"
LATER = "2026-01-05 10:22:34"
EARLIER = "2026-01-05 10:22:32"


def raw(source_id: str, update_at: Any) -> dict[str, Any]:
    return {"id": source_id, "update_at": update_at}


@dataclass
class Saved:
    watermark: str | None = W
    watermark_ids: list[Any] = field(default_factory=lambda: ["7", "9"])
    pass_updated_since: str | None = None
    pass_after: str | None = None
    pass_run_id: int | None = None


# -- where a pass starts ------------------------------------------------------


def test_a_full_pass_reads_everything() -> None:
    assert start(Saved(), incremental=False) == Start()
    assert start(None, incremental=False) == Start()


def test_the_first_incremental_pass_reads_everything() -> None:
    assert start(None, incremental=True) == Start()


def test_an_incremental_pass_asks_again_for_the_watermark_second_and_skips_what_it_has() -> None:
    began = start(Saved(), incremental=True)
    assert (began.updated_since, began.after, began.resumed) == (W, None, False)
    assert began.watermark == Watermark(W, frozenset({"7", "9"}))
    assert began.recorded == began.watermark


def test_a_pass_cut_short_resumes_at_its_cursor_and_skips_nothing() -> None:
    saved = Saved(pass_updated_since=EARLIER, pass_after="cursor-3", pass_run_id=4)
    began = start(saved, incremental=True)
    assert (began.updated_since, began.after, began.resumed) == (EARLIER, "cursor-3", True)
    assert began.watermark == Watermark(W, frozenset({"7", "9"}))
    assert began.recorded == Watermark()
    assert began.began == 4


def test_a_full_pass_cut_short_is_continued_by_the_next_full_run_as_by_an_incremental_one() -> None:
    saved = Saved(pass_updated_since=None, pass_after="cursor-3", pass_run_id=4)
    for incremental in (False, True):
        began = start(saved, incremental=incremental)
        assert (began.updated_since, began.after, began.began) == (None, "cursor-3", 4)
        assert began.watermark == Watermark(W, frozenset({"7", "9"}))
        assert began.recorded == Watermark()


def test_a_full_run_starts_over_rather_than_finish_an_incremental_pass() -> None:
    saved = Saved(pass_updated_since=EARLIER, pass_after="cursor-3", pass_run_id=4)
    assert start(saved, incremental=False) == Start()


# -- which records of a page are new -------------------------------------------


RECORDED = Watermark(W, frozenset({"7", "9"}))


@pytest.mark.parametrize(
    ("record", "kept"),
    [
        pytest.param(raw("7", W), False, id="recorded at the overlap second: skipped"),
        pytest.param(raw(" 9 ", "2026-01-05T03:22:33Z"), False, id="same second written otherwise"),
        pytest.param(raw("8", W), True, id="a new id at the overlap second"),
        pytest.param(raw("7", LATER), True, id="a recorded id changed again later"),
        pytest.param(raw("7", "kemarin"), True, id="unreadable time: the mapping reports it"),
    ],
)
def test_fresh_skips_only_what_the_overlap_second_already_recorded(
    record: dict[str, Any], kept: bool
) -> None:
    assert fresh([record], RECORDED) == ([record] if kept else [])


def test_fresh_keeps_a_recorded_id_at_a_later_second_after_the_watermark_moved() -> None:
    page = [raw("5", LATER), raw("7", LATER)]
    assert fresh(page, RECORDED) == page


def test_nothing_recorded_skips_nothing() -> None:
    page = [raw("7", W), raw("9", W)]
    assert fresh(page, Watermark()) == page


# -- how the watermark moves ---------------------------------------------------


@pytest.mark.parametrize(
    ("records", "moved"),
    [
        pytest.param([], RECORDED, id="nothing recorded: unchanged"),
        pytest.param([raw("3", LATER)], Watermark(LATER, frozenset({"3"})), id="later replaces"),
        pytest.param([raw("8", W)], Watermark(W, frozenset({"7", "8", "9"})), id="same adds"),
        pytest.param([raw("8", EARLIER)], RECORDED, id="earlier leaves it"),
        pytest.param([raw("8", "13/13/2026")], RECORDED, id="unreadable never moves it"),
        pytest.param(
            [raw("3", LATER), raw("4", W), raw("5", LATER)],
            Watermark(LATER, frozenset({"3", "5"})),
            id="the latest second of the page and its ids",
        ),
    ],
)
def test_the_watermark_is_the_latest_second_recorded_with_its_ids(
    records: list[dict[str, Any]], moved: Watermark
) -> None:
    assert RECORDED.moved_by(records) == moved


def test_an_empty_watermark_takes_the_first_readable_second() -> None:
    assert Watermark().moved_by([raw("1", "x"), raw("2", W)]) == Watermark(W, frozenset({"2"}))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (W, W),
        (f"  {W} ", W),
        ("2026-01-05T03:22:33Z", W),
        ("2026-01-05T10:22:33+07:00", W),
        ("2026-01-05", None),
        (None, None),
        ("2026-13-05 10:22:33", None),
    ],
)
def test_feed_time_is_wib_in_the_feed_s_own_format(value: object, expected: str | None) -> None:
    assert feed_time(value) == expected
