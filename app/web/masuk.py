"""Signing in with a key once per browser session, and signing out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from app.access import audit, keys
from app.access.keys import ANONYMOUS, Principal
from app.api.deps import audit_action, client_address
from app.api.inputs import Text, TextRule
from app.web.forms import Form
from app.web.render import page
from app.web.scope import TANPA_OPD
from app.web.sessions import (
    COOKIE,
    SIGN_IN_COOKIE,
    DbDep,
    PenggunaDep,
    check_csrf,
    clear_cookie,
    new_token,
    safe_next,
    set_cookie,
    sign_in,
)
from app.web.sessions import sign_out as sign_out_session

router = APIRouter(prefix="/laporan", include_in_schema=False)


class FormulirMasuk(BaseModel):
    csrf: Text = ""
    kunci: Annotated[str, TextRule(200, strip=True)] = ""
    lanjut: Text = ""


class FormulirKeluar(BaseModel):
    csrf: Text = ""


MasukDep = Annotated[FormulirMasuk, Depends(Form(FormulirMasuk))]
KeluarDep = Annotated[FormulirKeluar, Depends(Form(FormulirKeluar))]


def _form(request: Request, *, lanjut: str | None, pesan: str | None, status_code: int) -> Response:
    token = new_token()
    response = page(
        request,
        "masuk.html",
        status_code=status_code,
        csrf=token,
        lanjut=safe_next(lanjut) or "",
        pesan=pesan,
    )
    set_cookie(response, SIGN_IN_COOKIE, token, request.app.state.settings)
    return response


@router.get("/masuk", response_class=HTMLResponse)
def sign_in_form(request: Request, lanjut: Annotated[Text | None, Query()] = None) -> Response:
    return _form(request, lanjut=lanjut, pesan=None, status_code=200)


@router.post("/masuk")
def sign_in_post(request: Request, session: DbDep, form: MasukDep) -> Response:
    check_csrf(request, request.cookies.get(SIGN_IN_COOKIE), form.csrf)
    principal = keys.authenticate(session, form.kunci) if form.kunci else None
    lanjut = form.lanjut
    if principal is None:
        audit.record(
            session,
            principal=ANONYMOUS,
            action="akses.ditolak",
            target="POST /laporan/masuk",
            status_code=401,
            client=client_address(request),
            detail={"alasan": "kunci API tidak dikenal atau sudah dicabut"},
        )
        return _form(
            request,
            lanjut=lanjut,
            pesan="Kunci tidak dikenal atau sudah dicabut. Periksa kembali kunci Anda.",
            status_code=401,
        )
    settings = request.app.state.settings
    token = sign_in(session, principal, settings, replaces=request.cookies.get(COOKIE))
    request.state.principal = principal
    audit_action(request, session, action="laporan.masuk", target="/laporan", status_code=303)
    response = RedirectResponse(safe_next(lanjut) or _landing(principal), status_code=303)
    set_cookie(response, COOKIE, token, settings)
    clear_cookie(response, SIGN_IN_COOKIE, settings)
    return response


def _landing(principal: Principal) -> str:
    """A key scoped to one OPD goes straight to that OPD's page."""
    if principal.opd is not None and len(principal.opd) == 1:
        (kode,) = principal.opd
        return f"/laporan/opd/{kode or TANPA_OPD}"
    return "/laporan"


@router.post("/keluar")
def sign_out(request: Request, session: DbDep, pengguna: PenggunaDep, form: KeluarDep) -> Response:
    check_csrf(request, pengguna.csrf, form.csrf)
    sign_out_session(session, pengguna)
    audit_action(request, session, action="laporan.keluar", target="/laporan", status_code=303)
    response = RedirectResponse("/laporan/masuk", status_code=303)
    clear_cookie(response, COOKIE, request.app.state.settings)
    return response
