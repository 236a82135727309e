"""Templates and how values read on the report pages (Bahasa Indonesia, WIB, Rupiah)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from app.http.deps import get_settings
from app.mismatches import kategori, siklus
from app.models import utcnow
from app.report import (
    MISMATCH_STATUS_LABELS,
    TAHAP_LABELS,
    angka,
    persen,
    rupiah,
    tahap_label,
    waktu_wib,
)

TEMPLATES = Path(__file__).parent / "templates"


_PLAIN_DECIMAL = re.compile(r"-?\d+(\.\d+)?")
_MONEY_FIELDS = ("pagu", "pagu_dana")


def nilai(value: str | None, field: str | None) -> str | Markup:
    """A mismatch's value as a planner reads it: pagu in Rupiah when it is a
    number (kept on one line); anything else, including unreadable money like
    '12O.000.000', as it was written."""
    if value is None or value == "":
        return "-"
    last = (field or "").rsplit(".", 1)[-1]
    if last in _MONEY_FIELDS and _PLAIN_DECIMAL.fullmatch(value.strip()):
        try:
            amount = rupiah(Decimal(value.strip()))
        except InvalidOperation:
            return value
        return Markup('<span class="uang">{}</span>').format(amount)
    return value


@dataclass(frozen=True)
class Tombol:
    """How a decision's form reads on a page: its button, and the prompt of its
    text field (a reason when the life cycle requires one, else a note)."""

    label: str
    field: str
    placeholder: str
    wajib: bool


_TOMBOL = {
    siklus.Keputusan.AKUI: "Akui",
    siklus.Keputusan.KECUALIKAN: "Kecualikan",
    siklus.Keputusan.BUKA_KEMBALI: "Buka kembali",
}


def keputusan_untuk(status: str) -> list[tuple[siklus.Keputusan, Tombol]]:
    """The decisions a mismatch in ``status`` offers (the life cycle says which),
    each with its form's words."""
    forms = []
    for keputusan in siklus.allowed(status):
        wajib = siklus.ATURAN[keputusan].alasan_wajib
        prompt = ("alasan", "Alasan (wajib)") if wajib else ("catatan", "Catatan (opsional)")
        forms.append((keputusan, Tombol(_TOMBOL[keputusan], *prompt, wajib=wajib)))
    return forms


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        # Every value is escaped: a name with <script> shows as text.
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        rupiah=rupiah,
        waktu=waktu_wib,
        persen=persen,
        angka=angka,
        nilai=nilai,
        kategori=kategori.label,
        saran=kategori.saran,
        status=lambda code: MISMATCH_STATUS_LABELS.get(code, code),
        tahap=tahap_label,
    )
    env.globals.update(
        KATEGORI=kategori.KATEGORI, TAHAP_LABELS=TAHAP_LABELS, keputusan_untuk=keputusan_untuk
    )
    return env


ENV = _environment()


def page(
    request: Request, template: str, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """Render a page with the signed-in reader (if any) and their form token."""
    pengguna = getattr(request.state, "pengguna", None)
    html = ENV.get_template(template).render(
        pengguna=pengguna,
        PEMDA=get_settings(request).pemda,
        dibuat=utcnow(),
        **context,
    )
    # The headers (Content-Security-Policy, no-store...) are app.http.headers'.
    return HTMLResponse(html, status_code=status_code)
