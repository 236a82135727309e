"""The pages offer the decisions the life cycle allows, and no other: the
template asks app.mismatches.siklus rather than repeating its rules."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest

from app.mismatches import siklus
from app.vocabulary import MismatchStatus
from app.web.render import ENV

MACROS: Any = ENV.get_template("_makro.html").module
FORM = re.compile(
    r'action="/laporan/mismatch/7/([a-z-]+)".*?<input type="text" name="(\w+)"[^>]*?(required)?>',
    re.S,
)


def render(status: str) -> str:
    """The decision forms of mismatch 7 in ``status``, as its page shows them."""
    return str(
        MACROS.keputusan(SimpleNamespace(id=7, status=status), SimpleNamespace(csrf="t"), "/x")
    )


def forms(status: str) -> list[tuple[str, str, bool]]:
    """(decision, text field, required) of each form."""
    return [(k, field, bool(required)) for k, field, required in FORM.findall(render(status))]


AKUI = ("akui", "catatan", False)
KECUALIKAN = ("kecualikan", "alasan", True)  # an exception needs a reason
BUKA_KEMBALI = ("buka-kembali", "catatan", False)
OFFERED = {
    MismatchStatus.BARU: [AKUI, KECUALIKAN],
    MismatchStatus.DIAKUI: [KECUALIKAN, BUKA_KEMBALI],
    MismatchStatus.DIKECUALIKAN: [BUKA_KEMBALI],
    MismatchStatus.SELESAI: [],
}


@pytest.mark.parametrize("status", list(MismatchStatus))
def test_each_status_offers_the_decisions_the_life_cycle_allows(status: MismatchStatus) -> None:
    assert forms(status) == OFFERED[status]
    assert [k for k, _, _ in forms(status)] == list(siklus.allowed(status))


def test_a_settled_mismatch_says_why_it_offers_nothing() -> None:
    html = render("selesai")

    assert "<form" not in html
    assert "tidak ditemukan lagi pada sinkronisasi terakhir" in html
