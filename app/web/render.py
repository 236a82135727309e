"""Templates and how values read on the report pages (Bahasa Indonesia, WIB, Rupiah)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from app.laporan.export import TAHAP_LABELS
from app.models import utcnow
from app.report import KATEGORI, MISMATCH_STATUS_LABELS, angka, persen, rupiah, waktu_wib

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


def kategori_label(code: str) -> str:
    info = KATEGORI.get(code)
    return info.label if info else code


def kategori_saran(code: str) -> str:
    info = KATEGORI.get(code)
    return info.saran if info else ""


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
        kategori=kategori_label,
        saran=kategori_saran,
        status=lambda code: MISMATCH_STATUS_LABELS.get(code, code),
        tahap=lambda code: TAHAP_LABELS.get(code, code),
    )
    env.globals.update(KATEGORI=KATEGORI, TAHAP_LABELS=TAHAP_LABELS)
    return env


ENV = _environment()


def page(
    request: Request, template: str, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """Render a page with the signed-in reader (if any) and their form token."""
    pengguna = getattr(request.state, "pengguna", None)
    html = ENV.get_template(template).render(
        pengguna=pengguna,
        PEMDA=request.app.state.settings.pemda,
        dibuat=utcnow(),
        **context,
    )
    # The headers (Content-Security-Policy, no-store...) are app.api.headers'.
    return HTMLResponse(html, status_code=status_code)
