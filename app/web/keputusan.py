"""Decisions from the pages: the same transitions as the API, kept in the
mismatch's history and in the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel

from app.api.deps import audit_action
from app.api.inputs import Note, Text
from app.repositories import mismatches
from app.repositories.mismatches import DecisionRefused, Keputusan
from app.web.errors import HalamanGalat, TidakDitemukan
from app.web.forms import Form
from app.web.scope import MismatchId
from app.web.sessions import DbDep, OpdHalamanDep, PenggunaDep, check_csrf, safe_next

router = APIRouter(prefix="/laporan", include_in_schema=False)


class FormulirKeputusan(BaseModel):
    """The decision form of a mismatch's page (and of the OPD table's rows)."""

    csrf: Text = ""
    # Excepting asks for a reason (alasan); the other decisions take a note.
    catatan: Note = ""
    alasan: Note = ""
    kembali: Text = ""


FormDep = Annotated[FormulirKeputusan, Depends(Form(FormulirKeputusan))]


@router.post("/mismatch/{mismatch_id}/{keputusan}")
def decide(
    request: Request,
    *,
    mismatch_id: MismatchId,
    keputusan: Annotated[Keputusan, Path()],
    session: DbDep,
    pengguna: PenggunaDep,
    lingkup: OpdHalamanDep,
    form: FormDep,
) -> RedirectResponse:
    check_csrf(request, pengguna.csrf, form.csrf)
    catatan = form.alasan if keputusan is Keputusan.KECUALIKAN else form.catatan
    found = mismatches.get(session, mismatch_id, opd=lingkup.opd)
    if found is None:
        raise TidakDitemukan(f"ketidaksesuaian #{mismatch_id} tidak ada dalam laporan Anda")
    dari = found.status
    try:
        mismatches.decide(session, found, keputusan, oleh=pengguna.principal.name, catatan=catatan)
    except DecisionRefused as exc:
        raise HalamanGalat(
            str(exc), status_code=409, judul="Keputusan tidak dapat disimpan"
        ) from None
    audit_action(
        request,
        session,
        action=f"mismatch.{keputusan.value}",
        target=f"mismatch {mismatch_id}",
        status_code=303,
        detail={"dari": dari, "ke": found.status, "catatan": found.catatan, "lewat": "laporan"},
    )
    back = safe_next(form.kembali) or f"/laporan/mismatch/{mismatch_id}"
    return RedirectResponse(back, status_code=303)
