"""Decisions from the pages: the same transitions as the API, kept in the
mismatch's history and in the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from app.api.deps import audit_action
from app.repositories import mismatches
from app.repositories.mismatches import DecisionRefused, Keputusan
from app.web import scope
from app.web.errors import HalamanGalat, TidakDitemukan
from app.web.forms import form_fields
from app.web.sessions import (
    CSRF_FIELD,
    DbDep,
    OpdHalamanDep,
    PenggunaDep,
    check_csrf,
    safe_next,
)

router = APIRouter(prefix="/laporan", include_in_schema=False)

CATATAN_MAX = 2000
FormDep = Annotated[dict[str, str], Depends(form_fields)]


@router.post("/mismatch/{mismatch_id}/{keputusan}")
def decide(
    request: Request,
    *,
    mismatch_id: str,
    keputusan: str,
    session: DbDep,
    pengguna: PenggunaDep,
    lingkup: OpdHalamanDep,
    form: FormDep,
) -> RedirectResponse:
    check_csrf(request, pengguna.csrf, form.get(CSRF_FIELD))
    try:
        chosen = Keputusan(keputusan)
    except ValueError:
        raise TidakDitemukan(f"keputusan '{keputusan}' tidak dikenal") from None
    # Excepting asks for a reason (alasan); the other decisions take a note.
    catatan = form.get("alasan" if chosen is Keputusan.KECUALIKAN else "catatan", "")
    if len(catatan) > CATATAN_MAX:
        raise HalamanGalat(f"catatan paling panjang {CATATAN_MAX} karakter")
    found = mismatches.get(session, scope.mismatch_id(mismatch_id), opd=lingkup.opd)
    if found is None:
        raise TidakDitemukan(f"ketidaksesuaian #{mismatch_id} tidak ada dalam laporan Anda")
    dari = found.status
    try:
        mismatches.decide(session, found, chosen, oleh=pengguna.principal.name, catatan=catatan)
    except DecisionRefused as exc:
        raise HalamanGalat(
            str(exc), status_code=409, judul="Keputusan tidak dapat disimpan"
        ) from None
    audit_action(
        request,
        session,
        action=f"mismatch.{chosen.value}",
        target=f"mismatch {mismatch_id}",
        status_code=303,
        detail={"dari": dari, "ke": found.status, "catatan": found.catatan, "lewat": "laporan"},
    )
    back = safe_next(form.get("kembali")) or f"/laporan/mismatch/{mismatch_id}"
    return RedirectResponse(back, status_code=303)
