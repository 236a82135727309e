"""Signing in with a key once per browser session, and signing out."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from app.access import keys
from app.access.keys import Principal
from app.http.deps import (
    SessionDep,
    SettingsDep,
    SignInFailuresDep,
    audit_action,
    client_address,
    parts,
)
from app.http.inputs import Text, TextRule
from app.web.forms import Form
from app.web.render import page
from app.web.scope import TANPA_OPD
from app.web.sessions import (
    COOKIE,
    SIGN_IN_COOKIE,
    PenggunaDep,
    check_csrf,
    clear_cookie,
    new_token,
    record_denial,
    safe_next,
    set_cookie,
    sign_in,
)
from app.web.sessions import sign_out as sign_out_session

router = APIRouter(prefix="/laporan", include_in_schema=False)
THROTTLED = "terlalu banyak percobaan masuk yang gagal dari alamat ini"


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
    set_cookie(response, SIGN_IN_COOKIE, token, parts(request).settings)
    return response


@router.get("/masuk", response_class=HTMLResponse)
def sign_in_form(request: Request, lanjut: Annotated[Text | None, Query()] = None) -> Response:
    return _form(request, lanjut=lanjut, pesan=None, status_code=200)


@router.post("/masuk")
def sign_in_post(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    failures: SignInFailuresDep,
    form: MasukDep,
) -> Response:
    check_csrf(request, request.cookies.get(SIGN_IN_COOKIE), form.csrf)
    lanjut = form.lanjut
    # Each try spends one of the address's tries before its key is looked at,
    # so tries sent at once cannot all slip through; a right key gives it back.
    # While none are left every key is refused, a right one too: a guess must
    # not learn that it was right.
    address = client_address(request) or "?"
    wait = failures.take(address)
    if wait is not None:
        record_denial(request, status_code=429, reason=THROTTLED)
        seconds = max(1, math.ceil(wait))
        answer = _form(
            request,
            lanjut=lanjut,
            pesan="Terlalu banyak percobaan masuk dengan kunci yang salah dari alamat ini. "
            f"Coba lagi setelah {seconds} detik.",
            status_code=429,
        )
        answer.headers["Retry-After"] = str(seconds)
        return answer
    principal = keys.authenticate(session, form.kunci) if form.kunci else None
    if principal is None:
        record_denial(request, status_code=401, reason="kunci API tidak dikenal atau sudah dicabut")
        return _form(
            request,
            lanjut=lanjut,
            pesan="Kunci tidak dikenal atau sudah dicabut. Periksa kembali kunci Anda.",
            status_code=401,
        )
    failures.give_back(address)
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
def sign_out(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    pengguna: PenggunaDep,
    form: KeluarDep,
) -> Response:
    check_csrf(request, pengguna.csrf, form.csrf)
    sign_out_session(session, pengguna)
    audit_action(request, session, action="laporan.keluar", target="/laporan", status_code=303)
    response = RedirectResponse("/laporan/masuk", status_code=303)
    clear_cookie(response, COOKIE, settings)
    return response
