"""The page decisions (app/sync/decisions.py): what becomes of each record of a
page, in tables of cases, with no database and no E-Planning."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import pytest

from app.models import Outcome
from app.sync.copies import Copy
from app.sync.decisions import Known, Rules, after_push, contest, decide_again, reconcile
from app.sync.ledger import Ledger, duplicate, pulled
from app.sync.push import PlannedWrite, PushResult
from app.sync.reconcile import Action, LastWrite, RemoteEntry, remote_entry, sync_hash
from app.sync.scope import Scope
from connectors.eplanning import OperationResult
from mappings.problems import MappingProblem
from mappings.subkegiatan import Mapped, Unmappable
from tests.unit.samples import EARLIER, LATER, T0, body, mapped, planned

SERVICE = "integrasi-eprogram"
RULES = Rules(service_user=SERVICE, source_wins=False)
SCOPE = Scope(2026, "renja")
ITEM = mapped("8156", T0)
KEY = ITEM.record.natural_key()


def held(
    source_id: str = "8156",
    at: datetime = T0,
    *,
    versi: int = 3,
    by: str = SERVICE,
    aktif: bool = True,
    **changes: Any,
) -> RemoteEntry:
    """E-Planning's copy of the key, as the mirror holds it."""
    return remote_entry(
        {
            **body(source_id, at, aktif=aktif, **changes),
            "versi": versi,
            "diperbarui_oleh": by,
            "diperbarui_pada": T0.isoformat(),
        }
    )


def known(
    remote: RemoteEntry | None = None, last: LastWrite | None = None, earlier: Copy | None = None
) -> Known:
    return Known(
        remote={KEY: remote} if remote else {},
        last={KEY: last} if last else {},
        earlier={KEY: earlier} if earlier else {},
    )


def ours(versi: int, item: Mapped = ITEM) -> LastWrite:
    """The service's own last write of the key, at ``versi``."""
    return LastWrite(versi=versi, sync_hash=sync_hash(item.record))


# -- reconcile: one winner against E-Planning and the copies earlier runs kept ----


@dataclass(frozen=True)
class Case:
    item: Mapped
    remote: RemoteEntry | None
    last: LastWrite | None
    action: Action | None  # the write pushed, or None: filed without a push
    outcome: Outcome | None = None  # the outcome filed before any push
    kategori: tuple[str, ...] = ()  # the report rows, by category
    if_match: int | None = None
    written: int | None = None  # the versi the push state learns without a push
    kept: tuple[Copy, ...] = ()
    source_wins: bool = False
    sent_source: str = "8156"  # whose content the write carries


CASES = {
    "new in E-Program: created": Case(ITEM, None, None, Action.CREATE),
    "switched off and not in E-Planning: nothing to do": Case(
        mapped("8156", aktif=False), None, None, None, Outcome.UNCHANGED,
    ),
    "E-Planning holds our content: unchanged": Case(
        ITEM, held(), ours(3), None, Outcome.UNCHANGED,
    ),
    "our content at a versi the push state lacks: remembered": Case(
        ITEM, held(versi=4), ours(3), None, Outcome.UNCHANGED, written=4,
    ),
    "a planner's copy already the same: unchanged, not ours": Case(
        ITEM, held(by="budi"), ours(2), None, Outcome.UNCHANGED,
    ),
    "E-Program changed it: updated over the versi we wrote": Case(
        mapped("8156", pagu="1000.00"), held(), ours(3), Action.UPDATE, if_match=3,
    ),
    "a planner edited it since: conflict, one row per field": Case(
        mapped("8156", pagu="1000.00"), held(by="budi", versi=5), ours(3), None,
        Outcome.CONFLICT, kategori=("diubah_manual",),
    ),
    "a planner's edit when the source wins: updated over it": Case(
        mapped("8156", pagu="1000.00"), held(by="budi", versi=5), ours(3), Action.UPDATE,
        if_match=5, source_wins=True,
    ),
    "switched off in E-Program: switched off in E-Planning": Case(
        mapped("8156", aktif=False), held(), ours(3), Action.DEACTIVATE, if_match=3,
    ),
    "a copy an earlier run kept outranks it: the copy's content goes": Case(
        ITEM, None, None, Action.CREATE, kategori=("duplikat",),
        kept=(Copy.stored("9", LATER, True, ITEM.record.model_copy(
            update={"sumber": ITEM.record.sumber.model_copy(update={"id": "9"})}  # type: ignore[union-attr]
        ).model_dump_json()),),
        sent_source="9",
    ),
    "it outranks a copy an earlier run kept: that one leaves the summary": Case(
        ITEM, None, None, Action.CREATE, kategori=("duplikat",),
        kept=(Copy.of(mapped("9", EARLIER)),),
    ),
    "E-Planning's source is a newer copy no run kept: a duplicate": Case(
        ITEM, held("9", LATER), None, None, Outcome.DUPLICATE, kategori=("duplikat",),
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_winner_against_what_e_planning_holds(case: Case) -> None:
    book = Ledger()
    rules = Rules(service_user=SERVICE, source_wins=case.source_wins)
    kept = {KEY: list(case.kept)} if case.kept else {}

    writes = reconcile([case.item], kept, known(case.remote, case.last), book, rules)

    assert [w.action for w in writes] == ([case.action] if case.action else [])
    if case.action:
        [planned] = writes
        assert planned.if_match == case.if_match
        assert planned.source_id == "8156"
        assert planned.record.sumber is not None
        assert planned.record.sumber.id == case.sent_source
    assert [row.outcome for row in book.outcomes] == ([case.outcome] if case.outcome else [])
    assert tuple(m.kategori for m in book.mismatches) == case.kategori
    assert [w.versi for w in book.written] == ([case.written] if case.written else [])


# -- contest: copies of one key within the run ----------------------------------


def unmappable(source_id: str) -> Unmappable:
    problem = MappingProblem("format_kode", "kode_sub_kegiatan", "1.x", "bukan kode")
    return Unmappable(source_id, (problem,), None, T0, kode_skpd="1.02.0.00.0.00.01.0000")


@dataclass(frozen=True)
class Contest:
    page: tuple[Mapped | Unmappable, ...]
    winners: tuple[str, ...]  # the source ids that go on to reconcile
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    superseded: tuple[tuple[str, str], ...] = ()
    earlier: Copy | None = None  # the key's winner on the run's earlier pages


CONTESTS = {
    "one record: it goes on": Contest((ITEM,), ("8156",)),
    "unmappable: filed, never pushed": Contest(
        (unmappable("77"),), (), {"77": Outcome.UNMAPPABLE},
    ),
    "two copies in the page: the later wins": Contest(
        (mapped("9", EARLIER), ITEM), ("8156",), {"9": Outcome.DUPLICATE},
    ),
    "two copies, the later first: the earlier is the duplicate": Contest(
        (ITEM, mapped("9", EARLIER)), ("8156",), {"9": Outcome.DUPLICATE},
    ),
    "an earlier page's winner outranks it: a duplicate": Contest(
        (mapped("9", EARLIER),), (), {"9": Outcome.DUPLICATE}, earlier=Copy.of(ITEM),
    ),
    "it outranks an earlier page's winner: that outcome is superseded": Contest(
        (ITEM,), ("8156",), superseded=(("9", "8156"),), earlier=Copy.of(mapped("9", EARLIER)),
    ),
    "the same id again, changed meanwhile: it takes its own place": Contest(
        (mapped("8156", pagu="1000.00"),), ("8156",), earlier=Copy.of(ITEM),
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", CONTESTS.values(), ids=CONTESTS.keys())
def test_copies_of_one_key_in_the_run(case: Contest) -> None:
    book = Ledger()
    winners = contest(SCOPE, list(case.page), book, known(earlier=case.earlier), None)

    assert tuple(w.source_id for w in winners) == case.winners
    assert {row.source_id: row.outcome for row in book.outcomes} == case.outcomes
    assert tuple(book.superseded) == case.superseded
    # Every record pulled is counted once, whatever became of it.
    assert book.source_ids == {r.source_id for r in case.page}
    assert len(book.sources) + len(book.unmappable) == len(case.page)


# -- decide_again: a 409 carries E-Planning's copy -------------------------------


def answered_409(write: PlannedWrite, current: dict[str, Any] | None) -> PushResult:
    result = OperationResult(409, errors=[{"code": "versi_berubah"}], current=current)
    return PushResult(write, write.operation, result)


def stored(versi: int, by: str, **changes: Any) -> dict[str, Any]:
    return {**body("8156", T0, **changes), "versi": versi, "diperbarui_oleh": by,
            "diperbarui_pada": T0.isoformat()}  # fmt: skip


@dataclass(frozen=True)
class Again:
    current: dict[str, Any] | None
    resent: int | None  # the versi the write is sent again over, or None
    stands: bool  # the 409 stands as the answer (a conflict)
    unchanged: bool = False


AGAIN = {
    "another write of ours meanwhile: sent again over it": Again(
        stored(6, SERVICE, pagu="5.00"), resent=6, stands=False,
    ),
    "a planner's edit meanwhile: the conflict stands": Again(
        stored(6, "budi", pagu="5.00"), resent=None, stands=True,
    ),
    "our content is already there: unchanged": Again(
        stored(6, SERVICE, pagu="1000.00"), resent=None, stands=False, unchanged=True,
    ),
    "no copy came back: the answer stands": Again(None, resent=None, stands=True),
    "a copy that does not read: the answer stands": Again(
        {"versi": "x"}, resent=None, stands=True,
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", AGAIN.values(), ids=AGAIN.keys())
def test_a_409_is_decided_again_against_the_copy_it_carries(case: Again) -> None:
    item = mapped("8156", pagu="1000.00")
    write = planned(item, Action.UPDATE, 3)
    book = Ledger()
    state = known(held(), ours(3))

    again, done = decide_again([answered_409(write, case.current)], state, book, {"8156": item},
                               RULES)  # fmt: skip

    assert [w.if_match for w in again] == ([case.resent] if case.resent else [])
    assert len(done) == int(case.stands)
    assert [row.outcome for row in book.outcomes] == ([Outcome.UNCHANGED] if case.unchanged else [])
    if case.unchanged:  # the mirror learns E-Planning's copy for the rest of the page
        assert state.remote[KEY].versi == 6


def test_answers_go_into_the_ledger_and_their_copies_into_the_mirror() -> None:
    item = mapped("8156", pagu="1000.00")
    write = planned(item, Action.UPDATE, 3)
    answer = OperationResult(200, record=stored(4, SERVICE, pagu="1000.00"), berubah=True)
    book = Ledger()
    state = known(held(), ours(3))
    contest(SCOPE, [item], book, state, None)

    copies = after_push([PushResult(write, write.operation, answer)], state, book, {"8156": item},
                        scope=SCOPE, run_id=7, nomenklatur=None)  # fmt: skip

    assert [(row.outcome, row.versi) for row in book.outcomes] == [(Outcome.UPDATED, 4)]
    assert copies[KEY].versi == state.remote[KEY].versi == 4
    assert [w.versi for w in book.written] == [4]
    [record_state] = book.states
    assert record_state["source_id"] == "8156"


# -- the ledger: one way in ------------------------------------------------------


def test_a_ledger_is_written_only_through_add() -> None:
    """What a page leaves is read through properties without setters (typed as
    Sequence, Mapping and AbstractSet, so mypy refuses an append from outside);
    the lists behind them are private."""
    book = Ledger()
    book.add(pulled(ITEM))
    public = {name for name in vars(book) if not name.startswith("_")}
    assert public == set()
    views = [name for name, value in vars(Ledger).items() if isinstance(value, property)]
    assert {"outcomes", "mismatches", "written", "dead_letters", "source_ids"} <= set(views)
    for name in views:
        with pytest.raises(AttributeError):
            setattr(book, name, [])
    assert book.source_ids == {"8156"} and [s.source_id for s in book.sources] == ["8156"]


def test_revising_the_report_rows_cannot_add_or_drop_any() -> None:
    book = Ledger()
    book.add(duplicate(mapped("9", EARLIER), "8156"))
    book.revise(lambda rows: [replace(row, keterangan="x") for row in rows])
    assert [row.keterangan for row in book.mismatches] == ["x"]
    with pytest.raises(ValueError):
        book.revise(lambda rows: [*rows, *rows])
