"""Templates and how values read on the report pages (Bahasa Indonesia, WIB, Rupiah)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from app.http.deps import parts
from app.mismatches import kategori, siklus
from app.mismatches.tindak_lanjut import ATURAN_KESIAPAN
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
from app.web import nilai

TEMPLATES = Path(__file__).parent / "templates"


def beda(m: Any) -> tuple[Markup, Markup] | None:
    """The two values of a finding with their differing words marked, when
    both are plain texts worth comparing (names, codes); else None."""
    a, b = m.nilai_eprogram, m.nilai_eplanning
    return nilai.tandai_beda(a, b) if nilai.dibandingkan(a, b, m.field) else None


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
        isian=nilai.label_isian,
        kalimat=nilai.kalimat,
        kategori=kategori.label,
        saran=kategori.saran,
        status=lambda code: MISMATCH_STATUS_LABELS.get(code, code),
        tahap=tahap_label,
    )
    env.globals.update(
        KATEGORI=kategori.KATEGORI,
        ATURAN_KESIAPAN=ATURAN_KESIAPAN,
        TAHAP_LABELS=TAHAP_LABELS,
        keputusan_untuk=keputusan_untuk,
        tampilan=nilai.tampilan,
        beda=beda,
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
        PEMDA=parts(request).settings.pemda,
        dibuat=utcnow(),
        **context,
    )
    # The headers (Content-Security-Policy, no-store...) are app.http.headers'.
    return HTMLResponse(html, status_code=status_code)
