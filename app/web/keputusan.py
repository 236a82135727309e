"""Decisions from the pages: the same decide service as the API
(app.mismatches.keputusan), kept in the mismatch's history and in the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel

from app.http.deps import SessionDep, client_address
from app.http.inputs import Note, Text
from app.mismatches.keputusan import Pemutus, TidakAda, decide_one
from app.mismatches.siklus import ATURAN, DecisionRefused, Keputusan
from app.web.errors import HalamanGalat, TidakDitemukan
from app.web.forms import Form
from app.web.scope import JEJAK_KEPUTUSAN, MismatchId, kembali_dengan
from app.web.sessions import OpdHalamanDep, PenggunaDep, check_csrf, safe_next

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
    session: SessionDep,
    pengguna: PenggunaDep,
    lingkup: OpdHalamanDep,
    form: FormDep,
) -> RedirectResponse:
    check_csrf(request, pengguna.csrf, form.csrf)
    catatan = form.alasan if ATURAN[keputusan].alasan_wajib else form.catatan
    pemutus = Pemutus(
        pengguna.principal, lingkup.opd, client_address(request), 303, {"lewat": "laporan"}
    )
    try:
        decide_one(session, mismatch_id, keputusan, catatan, pemutus=pemutus)
    except TidakAda:
        raise TidakDitemukan(
            f"ketidaksesuaian #{mismatch_id} tidak ada dalam laporan Anda"
        ) from None
    except DecisionRefused as exc:
        # The life cycle names a finding "mismatch N"; the pages say it in Bahasa Indonesia.
        pesan = str(exc).replace(f"mismatch {mismatch_id} ", f"ketidaksesuaian #{mismatch_id} ")
        raise HalamanGalat(pesan, status_code=409, judul="Keputusan tidak dapat disimpan") from None
    back = safe_next(form.kembali) or f"/laporan/mismatch/{mismatch_id}"
    # The page says what was saved, with a way to undo it (app/web/templates).
    said = kembali_dengan(back, {"diputuskan": str(mismatch_id)}, buang=JEJAK_KEPUTUSAN)
    return RedirectResponse(said, status_code=303)
