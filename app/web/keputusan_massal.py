"""One decision on many mismatches from an OPD's page: the rows a planner
ticked, or every row the filter picks ("akui semua yang tersaring"). The page
first asks to confirm, naming how many; then the same decide service as the API
(app.mismatches.keputusan.decide_many) saves it, and the OPD page says what was
done, with a way to undo it."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from app.http.deps import SessionDep, client_address
from app.http.inputs import Note, Text
from app.mismatches import daftar, siklus
from app.mismatches.daftar import MismatchFilter
from app.mismatches.keputusan import Pemutus, TidakAda, decide_many
from app.mismatches.siklus import ATURAN, DecisionRefused, Keputusan
from app.web.errors import HalamanGalat, TidakDitemukan
from app.web.forms import Form
from app.web.render import page
from app.web.scope import (
    BATAS_MASSAL,
    JEJAK_KEPUTUSAN,
    DaftarId,
    TabelDep,
    TabelOpd,
    kembali_dengan,
    url,
)
from app.web.sessions import OpdHalamanDep, PenggunaDep, check_csrf, safe_next

router = APIRouter(prefix="/laporan", include_in_schema=False)

_KATA = {
    Keputusan.AKUI: ("Akui", "diakui"),
    Keputusan.KECUALIKAN: ("Kecualikan", "dikecualikan"),
    Keputusan.BUKA_KEMBALI: ("Buka kembali", "dibuka kembali"),
}


class FormulirMassal(BaseModel):
    """The bulk decision form under an OPD's table (its filter is in the
    form's address, as the page's own)."""

    csrf: Text = ""
    keputusan: Text = ""
    # The ticked rows ("12,13,20"); empty with ``semua``: every filtered row.
    ids: DaftarId = ""
    semua: Text = ""
    catatan: Note = ""
    alasan: Note = ""
    yakin: Text = ""
    kembali: Text = ""


FormDep = Annotated[FormulirMassal, Depends(Form(FormulirMassal))]


@router.post("/opd/{kode_skpd}/keputusan", response_model=None)
def decide_bulk(
    request: Request,
    *,
    tabel: TabelDep,
    session: SessionDep,
    pengguna: PenggunaDep,
    lingkup: OpdHalamanDep,
    form: FormDep,
) -> Response:
    check_csrf(request, pengguna.csrf, form.csrf)
    keputusan = _keputusan(form.keputusan)
    # The bulk form has one text field for both a note and a reason.
    catatan = form.alasan or form.catatan
    if ATURAN[keputusan].alasan_wajib and not catatan.strip():
        raise HalamanGalat("alasan wajib diisi untuk mengecualikan")
    ids = _picked(session, tabel, keputusan, form)
    back = safe_next(form.kembali) or url(tabel.path, tabel.query())
    label, done = _KATA[keputusan]
    if form.yakin != "1" or not ids:
        return page(
            request,
            "konfirmasi.html",
            label=label,
            selesai=done,
            jumlah=len(ids),
            keputusan=keputusan.value,
            form=form,
            ids=",".join(map(str, ids)),
            action=url(f"{tabel.path}/keputusan", tabel.query()),
            batal=back,
            catatan=catatan,
        )
    pemutus = Pemutus(
        pengguna.principal,
        lingkup.opd,
        client_address(request),
        303,
        {"lewat": "laporan"},
    )
    try:
        hasil = decide_many(session, ids, keputusan, catatan, pemutus=pemutus, batas=BATAS_MASSAL)
    except TidakAda:
        raise TidakDitemukan("sebagian ketidaksesuaian tidak ada dalam laporan Anda") from None
    except DecisionRefused as exc:
        raise HalamanGalat(str(exc), status_code=409) from None
    said = {"massal": str(hasil.diubah), "keputusan": keputusan.value}
    if keputusan != Keputusan.BUKA_KEMBALI:
        said["urung"] = ",".join(map(str, ids))
    return RedirectResponse(kembali_dengan(back, said, buang=JEJAK_KEPUTUSAN), status_code=303)


def _keputusan(asked: str) -> Keputusan:
    try:
        return Keputusan(asked)
    except ValueError:
        pilihan = ", ".join(k.value for k in Keputusan)
        raise HalamanGalat(f"keputusan '{asked}' tidak dikenal; pilih {pilihan}") from None


def _picked(
    session: SessionDep, tabel: TabelOpd, keputusan: Keputusan, form: FormulirMassal
) -> list[int]:
    """The ids the decision applies to, in id order: of the ticked rows (on
    this OPD's page) or of the filtered rows, those whose status it changes."""
    wanted = sorted({int(i) for i in form.ids.split(",") if i})
    if wanted:
        rows = daftar.by_ids(session, wanted, opd=tabel.filter.opd).values()
        if len(rows) != len(wanted):
            raise TidakDitemukan("sebagian ketidaksesuaian tidak ada dalam laporan Anda")
        mine = [m for m in rows if (m.kode_skpd or "-") == tabel.kode_skpd]
        return sorted(m.id for m in mine if m.status in ATURAN[keputusan].dari)
    if form.semua != "1":
        return []
    return _filtered(session, tabel.filter, keputusan)


def _filtered(session: SessionDep, f: MismatchFilter, keputusan: Keputusan) -> list[int]:
    ids: list[int] = []
    for status in sorted(ATURAN[keputusan].dari):
        if f.status not in (None, "terbuka", status) or (
            f.status == "terbuka" and status not in siklus.MASIH_ADA
        ):
            continue
        one = replace(f, status=status)
        cocok = daftar.count(session, one) + len(ids)
        if cocok > BATAS_MASSAL:
            raise HalamanGalat(
                f"saringan ini cocok dengan {cocok} ketidaksesuaian; paling banyak "
                f"{BATAS_MASSAL} sekaligus: persempit saringan dulu"
            )
        ids += daftar.ids_matching(session, one, limit=BATAS_MASSAL)
    return sorted(ids)
