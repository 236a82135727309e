"""The OPD page's export buttons: the same files as the API's exports
(app.http.export_answer), for the table as it is filtered on the page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from app.access.slots import Held
from app.http.deps import ExportSlotsDep
from app.http.export_answer import Ekspor, EksporAnswer, export_slot
from app.web.errors import TerlaluBanyak
from app.web.scope import TabelDep
from app.web.sessions import PenggunaDep

router = APIRouter(prefix="/laporan", include_in_schema=False)


def page_export_slot(
    request: Request, pengguna: PenggunaDep, slots: ExportSlotsDep
) -> Iterator[Held]:
    """One of the reader's export slots while the file is made and sent (a 429 page when none)."""
    with export_slot(request, slots, pengguna.principal, _busy) as held:
        yield held


def _busy(pesan: str, retry_after: float) -> TerlaluBanyak:
    return TerlaluBanyak(pesan, retry_after=retry_after)


SlotDep = Annotated[Held, Depends(page_export_slot)]


@router.get("/opd/{kode_skpd}/ekspor.xlsx")
def ekspor_xlsx(request: Request, tabel: TabelDep, slot: SlotDep) -> EksporAnswer:
    return EksporAnswer(Ekspor.of(request, tabel.filter, "xlsx"), slot)


@router.get("/opd/{kode_skpd}/ekspor.csv")
def ekspor_csv(request: Request, tabel: TabelDep, slot: SlotDep) -> EksporAnswer:
    return EksporAnswer(Ekspor.of(request, tabel.filter, "csv"), slot)
