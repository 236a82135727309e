"""A page's ledger: what each push answer leaves to record, in one table of cases."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from app.models import DeadLetterStatus, Outcome
from app.sync.copies import Copy
from app.sync.ledger import Ledger, duplicate, outranked, pushed, replaced_by_copy, superseded
from app.sync.push import PlannedWrite, PushResult
from app.sync.reconcile import Action
from connectors.eplanning import OperationResult
from tests.unit.samples import T0, body, mapped, planned

ITEM = mapped("8156", T0, pagu="296187500.00")
KEY = ITEM.record.natural_key()
RUN = 7


def write(action: Action, if_match: int | None) -> PlannedWrite:
    return planned(ITEM, action, if_match)


def stored(versi: int, *, by: str = "integrasi-eprogram", aktif: bool = True) -> dict[str, Any]:
    return {
        **body("8156", T0, aktif=aktif),
        "versi": versi,
        "diperbarui_oleh": by,
        "diperbarui_pada": T0.isoformat(),
    }


@dataclass(frozen=True)
class Case:
    action: Action
    if_match: int | None
    answer: OperationResult | None
    outcome: Outcome
    versi: int | None = None
    kategori: tuple[str, ...] = ()  # the report rows, by category
    written: bool = False  # the push state remembers the versi
    held: bool = False  # E-Planning's copy comes back for the rest of the run
    message: str | None = None  # part of the outcome's message


CASES = {
    "201: created": Case(
        Action.CREATE, None, OperationResult(201, record=stored(1)), Outcome.CREATED, 1,
        written=True, held=True,
    ),
    "200: updated": Case(
        Action.UPDATE, 3, OperationResult(200, record=stored(4), berubah=True), Outcome.UPDATED, 4,
        written=True, held=True,
    ),
    "200 with berubah false: unchanged": Case(
        Action.UPDATE, 3, OperationResult(200, record=stored(4), berubah=False), Outcome.UNCHANGED,
        4, written=True, held=True,
    ),
    "200 that kept the versi: unchanged": Case(
        Action.UPDATE, 3, OperationResult(200, record=stored(3)), Outcome.UNCHANGED, 3,
        written=True, held=True,
    ),
    "200 on a delete: deactivated": Case(
        Action.DEACTIVATE, 3, OperationResult(200, record=stored(4, aktif=False)),
        Outcome.DEACTIVATED, 4, written=True, held=True,
    ),
    "404 on a delete: nothing to switch off": Case(
        Action.DEACTIVATE, 3, OperationResult(404, errors=[{"code": "tidak_ditemukan"}]),
        Outcome.UNCHANGED, message="tidak ada di E-Planning",
    ),
    "409 with current: a planner's edit meanwhile": Case(
        Action.UPDATE, 3,
        OperationResult(409, errors=[{"code": "versi_berubah"}], current=stored(5, by="budi")),
        Outcome.CONFLICT, 5, kategori=("diubah_manual",), held=True, message="409 versi_berubah",
    ),
    "409 without current": Case(
        Action.UPDATE, 3, OperationResult(409, errors=[{"code": "versi_berubah"}]),
        Outcome.CONFLICT, message="409 versi_berubah",
    ),
    "422: rejected, by category": Case(
        Action.CREATE, None,
        OperationResult(422, errors=[
            {"field": "kode_sub_kegiatan", "code": "tidak_ada_di_nomenklatur", "message": "x"},
            {"field": "sumber_dana[0].pagu", "code": "sumber_dana_tidak_sama", "message": "y"},
        ]),
        Outcome.REJECTED, kategori=("kode_tidak_di_nomenklatur", "sumber_dana_tidak_sama"),
        message="kode_sub_kegiatan: tidak_ada_di_nomenklatur (x)",
    ),
    "422 without reasons": Case(
        Action.CREATE, None, OperationResult(422), Outcome.REJECTED, kategori=("ditolak",),
        message="E-Planning menjawab 422",
    ),
    "404 on a put: rejected": Case(
        Action.UPDATE, 3, OperationResult(404, errors=[{"code": "tidak_ditemukan"}]),
        Outcome.REJECTED, kategori=("ditolak",),
    ),
    "no answer after the retries: a dead letter": Case(
        Action.UPDATE, 3, None, Outcome.DEAD_LETTER, message="503 terus",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_push_answer_in_the_ledger(case: Case) -> None:
    planned = write(case.action, case.if_match)
    answer = PushResult(
        planned, planned.operation, case.answer, "503 terus" if not case.answer else None
    )
    entry = pushed(answer, ITEM, RUN)
    book = Ledger()
    book.add(entry)

    [row] = book.outcomes
    assert (row.source_id, row.outcome, row.versi) == ("8156", case.outcome, case.versi)
    assert row.idempotency_key == planned.operation.idempotency_key
    if case.message:
        assert row.message is not None and case.message in row.message
    assert tuple(m.kategori for m in book.mismatches) == case.kategori
    assert all(m.source_id == "8156" and m.kode_sub_kegiatan == KEY.kode_sub_kegiatan
               for m in book.mismatches)  # fmt: skip
    if case.written:
        [written] = book.written
        assert (written.key, written.versi, written.content_hash) == (
            KEY,
            case.versi,
            planned.sync_hash,
        )
    else:
        assert book.written == []
    assert (entry.held is not None) == case.held
    if case.answer is None:
        [letter] = book.dead_letters
        assert (letter.status, letter.error, letter.run_id) == (
            DeadLetterStatus.OPEN,
            "503 terus",
            RUN,
        )
        assert letter.idempotency_key == planned.operation.idempotency_key
        assert book.attempts == {}
    else:
        assert book.dead_letters == []
        assert book.attempts == {planned.operation.idempotency_key: case.answer.status}


def test_a_rejected_field_shows_the_value_that_was_sent() -> None:
    planned = write(Action.CREATE, None)
    error = {"field": "pagu", "code": "pagu_tidak_sah", "message": "terlalu besar"}
    entry = pushed(
        PushResult(planned, planned.operation, OperationResult(422, errors=[error])), ITEM, RUN
    )
    [row] = entry.mismatches
    assert (row.kategori, row.field, row.nilai_eprogram) == ("ditolak", "pagu", "296187500.00")
    assert Decimal(row.nilai_eprogram or "0") == ITEM.record.pagu


def test_a_conflict_409_names_who_changed_it() -> None:
    planned = write(Action.UPDATE, 3)
    current = stored(5, by="budi")
    result = OperationResult(409, errors=[{"code": "versi_berubah"}], current=current)
    [row] = pushed(PushResult(planned, planned.operation, result), ITEM, RUN).mismatches
    # The planner's copy came back with the 409: the row shows both values of the
    # field they changed and says who changed it, as a conflict found before pushing.
    assert (row.kategori, row.field) == ("diubah_manual", "pagu")
    assert row.nilai_eplanning == current["pagu"]
    assert row.keterangan is not None and "budi (versi 5)" in row.keterangan


# -- the copy rule's entries -------------------------------------------------------


def test_a_duplicate_is_an_outcome_and_a_duplikat_row() -> None:
    entry = duplicate(mapped("9", T0), "8156")
    assert entry.outcome is not None and entry.outcome.outcome is Outcome.DUPLICATE
    [row] = entry.mismatches
    assert (row.kategori, row.nilai_eprogram, row.nilai_eplanning) == ("duplikat", "9", "8156")


def test_a_copy_superseded_later_in_the_run_changes_its_recorded_outcome() -> None:
    entry = superseded(Copy.of(mapped("9", T0)), "8156")
    assert (entry.outcome, entry.superseded, entry.outranked) == (None, ("9", "8156"), ("9",))
    assert [row.source_id for row in entry.mismatches] == ["9"]


def test_copies_of_earlier_runs_it_outranks_leave_the_summary() -> None:
    entry = outranked((Copy.of(mapped("9")), Copy.of(mapped("10"))), "8156")
    assert entry.outcome is None and entry.outranked == ("9", "10")
    assert [(r.source_id, r.nilai_eplanning) for r in entry.mismatches] == [
        ("9", "8156"),
        ("10", "8156"),
    ]


def test_a_record_replaced_by_a_kept_copy_names_the_copy() -> None:
    winner = mapped("9", T0).record
    entry = replaced_by_copy(mapped("8156", T0), winner)
    assert entry.outcome is None and entry.replaced == ("8156", winner)
    [row] = entry.mismatches
    assert (row.source_id, row.nilai_eplanning) == ("8156", "9")


def test_nothing_is_written_for_copies_that_lose() -> None:
    book = Ledger()
    book.add(duplicate(mapped("9", T0), "8156"))
    book.add(outranked((Copy.of(mapped("10")),), "8156"))
    assert (book.written, book.dead_letters, book.attempts) == ([], [], {})
