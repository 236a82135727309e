"""A run's plan as an Excel file (app.laporan.rencana_xlsx): the same file as
the page's, with the API's export conventions (one audit row per export, the
caller's export slots, the writing stopped when the client leaves)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from app.api.mismatches import BUSY, ExportSlotDep
from app.http.deps import OpdScopeDep, SessionDep
from app.http.errors import ErrorOut, NotFound
from app.http.export_answer import EksporAnswer, EksporRencana
from app.http.inputs import Id, TextRule
from app.laporan.export import XLSX_MEDIA_TYPE
from app.laporan.rencana_xlsx import Pilihan
from app.repositories import runs
from app.sync.reconcile import Action
from app.sync.scope import KODE_SKPD

router = APIRouter(prefix="/api/v1/runs", tags=["rencana"])
KodeSkpd = Annotated[str | None, TextRule(40, pattern=KODE_SKPD), Query()]


@router.get(
    "/{run_id}/rencana.xlsx",
    response_class=EksporAnswer,
    status_code=200,
    responses={
        200: {"content": {XLSX_MEDIA_TYPE: {}}, "description": "Rencana run sebagai Excel"},
        404: {"model": ErrorOut},
        **BUSY,
    },
    summary="Rencana run sebagai Excel: ringkasan OPD × aksi dan setiap isian sebelum/sesudah",
)
def export_plan(
    request: Request,
    run_id: Annotated[Id, Path()],
    session: SessionDep,
    scope: OpdScopeDep,
    slot: ExportSlotDep,
    kode_skpd: KodeSkpd = None,
    aksi: Annotated[Action | None, Query()] = None,
) -> EksporAnswer:
    run = runs.get(session, run_id)
    if run is None or not scope.shows_run(run.kode_skpd):
        raise NotFound(f"run {run_id} tidak ada")
    if kode_skpd is not None and not scope.shows(kode_skpd):
        raise NotFound("perangkat daerah ini tidak ada dalam cakupan kunci ini")
    pilihan = Pilihan(run_id, scope.opd, kode_skpd, aksi)
    return EksporAnswer(EksporRencana.of(request, pilihan), slot)
