"""The life of a mismatch (docs/design.md, "Life cycle") in one table of cases:
every state against every decision and every finding of a run."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass

import pytest

from app.mismatches import siklus
from app.mismatches.siklus import DecisionRefused, Keputusan
from app.vocabulary import MismatchStatus

RUN = 12
SAME = (("100", "90"), ("100", "90"))
CHANGED = (("100", "90"), ("100", "95"))


@dataclass(frozen=True)
class Case:
    status: MismatchStatus
    event: str  # a decision, "found" (values as in ``values``) or "not_found"
    ke: MismatchStatus | None  # None: the status stays, nothing is kept
    catatan: str | None = None  # what the history keeps (part of it for runs)
    values: tuple[tuple[str | None, str | None], tuple[str | None, str | None]] = SAME


B, D, S, K = (
    MismatchStatus.BARU,
    MismatchStatus.DIAKUI,
    MismatchStatus.SELESAI,
    MismatchStatus.DIKECUALIKAN,
)
CASES = {
    # a person acknowledges what is new, and only that
    "baru, akui": Case(B, "akui", D, "rapat 2 Des"),
    "diakui, akui": Case(D, "akui", None),
    "dikecualikan, akui": Case(K, "akui", None),
    "selesai, akui": Case(S, "akui", None),
    # an exception needs a reason, from new or acknowledged
    "baru, kecualikan": Case(B, "kecualikan", K, "nama lama di SK"),
    "diakui, kecualikan": Case(D, "kecualikan", K, "nama lama di SK"),
    "dikecualikan, kecualikan": Case(K, "kecualikan", None),
    "selesai, kecualikan": Case(S, "kecualikan", None),
    # reopening takes a decision back
    "baru, buka-kembali": Case(B, "buka-kembali", None),
    "diakui, buka-kembali": Case(D, "buka-kembali", B, "nilai berubah"),
    "dikecualikan, buka-kembali": Case(K, "buka-kembali", B, "nilai berubah"),
    "selesai, buka-kembali": Case(S, "buka-kembali", None),
    # found again by a run
    "baru, found again": Case(B, "found", None),
    "diakui, found again": Case(D, "found", None),
    "diakui, found again with other values": Case(D, "found", None, values=CHANGED),
    "dikecualikan, found again with the same values": Case(K, "found", None),
    "dikecualikan, found again with other values": Case(
        K, "found", B, f"nilai berubah pada run {RUN}: E-Program 100 → 100", CHANGED
    ),
    "selesai, found again": Case(S, "found", B, f"ditemukan lagi pada run {RUN}"),
    # not found by a run that looked
    "baru, not found": Case(B, "not_found", S, f"tidak ditemukan lagi pada run {RUN}"),
    "diakui, not found": Case(D, "not_found", S, f"tidak ditemukan lagi pada run {RUN}"),
    "dikecualikan, not found": Case(K, "not_found", S, f"tidak ditemukan lagi pada run {RUN}"),
    "selesai, not found": Case(S, "not_found", None),
}


def step(case: Case) -> siklus.Perpindahan | None:
    if case.event == "found":
        before, now = case.values
        return siklus.found_again(case.status, before, now, run_id=RUN)
    if case.event == "not_found":
        return siklus.not_found(case.status, run_id=RUN)
    return siklus.decide(case.status, Keputusan(case.event), case.catatan or "catatan")


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_what_each_event_does_to_each_state(case: Case) -> None:
    change = step(case)

    if case.ke is None:
        assert change is None
        return
    assert change is not None
    assert (change.dari, change.ke) == (case.status, case.ke)
    assert case.catatan is not None and change.catatan is not None
    assert change.catatan.startswith(case.catatan)


def test_every_state_meets_every_event() -> None:
    events = {"found", "not_found", *Keputusan}
    assert {(c.status, c.event) for c in CASES.values()} >= {
        (s, e) for s in MismatchStatus for e in events
    }


def test_a_changed_exception_names_both_values_before_and_after() -> None:
    change = siklus.found_again(K, ("100", None), ("120", "90"), run_id=RUN)

    assert change is not None
    assert change.catatan == (
        f"nilai berubah pada run {RUN}: E-Program 100 → 120, E-Planning - → 90"
    )


@pytest.mark.parametrize(
    ("status", "allowed"),
    [
        (B, (Keputusan.AKUI, Keputusan.KECUALIKAN)),
        (D, (Keputusan.KECUALIKAN, Keputusan.BUKA_KEMBALI)),
        (K, (Keputusan.BUKA_KEMBALI,)),
        (S, ()),
    ],
)
def test_the_decisions_each_state_offers(
    status: MismatchStatus, allowed: tuple[Keputusan, ...]
) -> None:
    assert siklus.allowed(status) == allowed
    for keputusan in Keputusan:
        applies = siklus.decide(status, keputusan, "alasan") is not None
        assert applies is (keputusan in allowed)


@pytest.mark.parametrize("catatan", [None, "", "   \n"])
def test_an_exception_without_a_reason_is_refused_whatever_the_status(
    catatan: str | None,
) -> None:
    for status in MismatchStatus:
        with pytest.raises(DecisionRefused, match="alasan wajib diisi"):
            siklus.decide(status, Keputusan.KECUALIKAN, catatan)


def test_a_note_is_trimmed_and_a_blank_one_kept_as_none() -> None:
    akui = siklus.decide(B, Keputusan.AKUI, "  rapat  ")
    blank = siklus.decide(B, Keputusan.AKUI, "  ")

    assert akui is not None and akui.catatan == "rapat"
    assert blank is not None and blank.catatan is None


def test_a_refusal_says_which_states_the_decision_is_for() -> None:
    assert siklus.refusal(Keputusan.AKUI, D) == "berstatus 'diakui'; 'akui' hanya untuk status baru"
    assert siklus.refusal(Keputusan.BUKA_KEMBALI, S) == (
        "berstatus 'selesai'; 'buka-kembali' hanya untuk status diakui, dikecualikan"
    )


def test_a_run_settles_exactly_the_states_it_can_find_gone() -> None:
    assert {
        s for s in MismatchStatus if siklus.not_found(s, run_id=RUN) is not None
    } == siklus.MASIH_ADA
    assert siklus.AWAL is MismatchStatus.BARU


def test_the_rules_load_no_database_no_http_and_no_spreadsheet() -> None:
    pure = (
        "app.mismatches.siklus",
        "app.mismatches.kategori",
        "app.mismatches.temuan",
        "app.laporan.kolom",
        "app.vocabulary",
    )
    probe = f"import sys\nfor m in {pure!r}: __import__(m)\nprint(' '.join(sorted(sys.modules)))"
    loaded = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True
    ).stdout.split()

    heavy = ("sqlalchemy", "fastapi", "starlette", "openpyxl", "jinja2", "pydantic")
    assert [m for m in loaded if m.split(".")[0] in heavy] == []
