"""Which copy of one sub kegiatan speaks for it, case by case (app/sync/copies.py)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

from app.sync.copies import Contest, Copy, Verdict, Winners, in_place_of, judge, rank
from app.sync.reconcile import RemoteEntry, remote_entry
from tests.unit.samples import EARLIER, LATER, T0, body, mapped


def kept(source_id: str, at: datetime = T0, *, aktif: bool = True, **changes: Any) -> Copy:
    """A copy an earlier run kept (table source_record)."""
    item = mapped(source_id, at, aktif=aktif, **changes)
    return Copy.stored(source_id, at, aktif, json.dumps(item.record.to_api()))


def remote(source_id: str | None, at: datetime | None, *, aktif: bool = True) -> RemoteEntry:
    stored = body(source_id or "x", at or T0, aktif=aktif)
    stored["sumber"] = (
        None
        if source_id is None
        else {**stored["sumber"], "diperbarui_pada": at and at.isoformat()}
    )
    stored |= {"versi": 3, "diperbarui_oleh": "integrasi-eprogram"}
    stored["diperbarui_pada"] = T0.isoformat()
    return remote_entry(stored)


# -- the order -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("winner", "loser"),
    [
        pytest.param((True, EARLIER, "1"), (False, LATER, "2"), id="active beats switched off"),
        pytest.param((True, LATER, "1"), (True, T0, "2"), id="then the later update_at"),
        pytest.param((False, LATER, "1"), (False, T0, "2"), id="also among switched off"),
        pytest.param((True, T0, "10"), (True, T0, "9"), id="tie: the larger number, not text"),
        pytest.param((True, T0, "2"), (True, T0, "abc"), id="tie: a numeric id before another"),
        pytest.param((True, T0, "b"), (True, T0, "a"), id="tie of odd ids: still a fixed order"),
    ],
)
def test_rank(winner: tuple[bool, datetime, str], loser: tuple[bool, datetime, str]) -> None:
    assert rank(*winner) > rank(*loser)
    assert max([rank(*loser), rank(*winner)]) == max([rank(*winner), rank(*loser)])


# -- within one run ------------------------------------------------------------


def test_the_first_copy_of_a_key_speaks_for_it() -> None:
    winners = Winners()
    assert winners.enter(mapped("1")) == Contest()


def test_a_later_copy_displaces_the_earlier_winner() -> None:
    winners = Winners()
    winners.enter(mapped("1", T0))
    contest = winners.enter(mapped("2", LATER))
    assert contest.lost_to is None
    assert contest.beat is not None and contest.beat.source_id == "1"
    assert winners.enter(mapped("3", EARLIER)) == Contest(lost_to="2")


def test_an_outranked_copy_is_the_duplicate_and_the_winner_stays() -> None:
    winners = Winners()
    winners.enter(mapped("1", EARLIER))
    assert winners.enter(mapped("2", LATER, aktif=False)) == Contest(lost_to="1")
    assert winners.enter(mapped("3", T0)) == Contest(beat=Copy.of(mapped("1", EARLIER)))


def test_the_same_record_seen_again_takes_its_own_place() -> None:
    winners = Winners()
    winners.enter(mapped("1", LATER))
    assert winners.enter(mapped("1", T0, pagu="1.00")) == Contest()
    # Its new time is what a later copy is measured against.
    assert winners.enter(mapped("2", LATER)).beat == Copy.of(mapped("1", T0, pagu="1.00"))


def test_copies_of_other_keys_do_not_meet() -> None:
    winners = Winners()
    winners.enter(mapped("1", LATER))
    assert winners.enter(mapped("2", T0, kode_sub_kegiatan="1.02.02.2.01.0002")) == Contest()


# -- against copies of earlier runs and E-Planning's source ----------------------


def test_alone_it_speaks_for_its_key() -> None:
    assert judge(mapped("1"), [], None) == Verdict()


def test_its_own_earlier_copy_is_no_rival() -> None:
    assert judge(mapped("1", T0), [kept("1", LATER)], None) == Verdict()


def test_a_kept_copy_that_outranks_it_goes_in_its_place() -> None:
    better = kept("2", LATER)
    verdict = judge(mapped("1", T0), [kept("3", EARLIER), better], None)
    assert verdict == Verdict(replaced_by=better)
    stand_in = in_place_of(mapped("1", T0), better)
    assert (stand_in.source_id, stand_in.updated_at, stand_in.notes) == ("1", T0, ())
    assert stand_in.record == better.record()
    assert stand_in.record.sumber is not None and stand_in.record.sumber.id == "2"


def test_it_outranks_every_kept_copy_below_it() -> None:
    older, off = kept("2", EARLIER), kept("3", LATER, aktif=False)
    assert judge(mapped("1", T0), [older, off], None) == Verdict(outranks=(older, off))


def test_e_planning_s_unknown_newer_source_makes_it_the_duplicate() -> None:
    assert judge(mapped("1", T0), [], remote("2", LATER)) == Verdict(duplicate_of="2")


@pytest.mark.parametrize(
    ("current", "known"),
    [
        pytest.param(remote("2", EARLIER), [], id="E-Planning's source is older"),
        pytest.param(remote("2", LATER, aktif=False), [], id="E-Planning's is switched off"),
        pytest.param(remote("1", LATER), [], id="E-Planning's source is this record"),
        pytest.param(remote(None, None), [], id="E-Planning names no source"),
    ],
)
def test_e_planning_s_source_does_not_outrank_it(current: RemoteEntry, known: list[Copy]) -> None:
    assert judge(mapped("1", T0), known, current) == Verdict()


def test_a_source_a_kept_copy_knows_is_ranked_as_that_copy() -> None:
    older = kept("2", EARLIER)
    # E-Planning says "2" is newer, but the kept copy of 2 is what counts.
    assert judge(mapped("1", T0), [older], remote("2", LATER)) == Verdict(outranks=(older,))


def test_a_kept_copy_carries_its_content_and_a_copy_of_this_run_does_not() -> None:
    copy = kept("2", LATER, pagu="5.00")
    assert str(copy.record().pagu) == "5.00"
    assert (copy.nama_sub_skpd, copy.kode_sub_kegiatan) == ("Dinas Kesehatan", "1.02.02.2.01.0001")
    with pytest.raises(ValueError):
        Copy.of(mapped("1")).record()
