"""The OPD page's export buttons: the same files as the API's exports
(app.laporan.export), for the table as it is filtered on the page."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, StreamingResponse
from starlette.background import BackgroundTask

from app.api.deps import audit_action
from app.db import session_scope
from app.laporan import export
from app.models import utcnow
from app.repositories.mismatches import MismatchFilter
from app.web.scope import TabelDep
from app.web.sessions import DbDep

router = APIRouter(prefix="/laporan", include_in_schema=False)


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}


def _audit(request: Request, session: DbDep, f: MismatchFilter, ext: str) -> None:
    audit_action(
        request,
        session,
        action="laporan.ekspor",
        target=request.url.path,
        status_code=200,
        detail={"format": ext, "filter": export.describe(f)},
    )


@router.get("/opd/{kode_skpd}/ekspor.xlsx")
def ekspor_xlsx(request: Request, tabel: TabelDep, session: DbDep) -> FileResponse:
    path = export.xlsx_file(
        session, tabel.filter, pemda=request.app.state.settings.pemda, made_at=utcnow()
    )
    _audit(request, session, tabel.filter, "xlsx")
    return FileResponse(
        path,
        media_type=export.XLSX_MEDIA_TYPE,
        headers=_attachment(export.filename(tabel.filter, "xlsx")),
        background=BackgroundTask(path.unlink, missing_ok=True),
    )


@router.get("/opd/{kode_skpd}/ekspor.csv")
def ekspor_csv(request: Request, tabel: TabelDep, session: DbDep) -> StreamingResponse:
    _audit(request, session, tabel.filter, "csv")
    factory = request.app.state.session_factory

    def chunks() -> Iterator[bytes]:
        # Sent after the request's own transaction ends: the stream reads in one of its own.
        with session_scope(factory) as reading:
            yield from export.csv_chunks(reading, tabel.filter)

    return StreamingResponse(
        chunks(),
        media_type="text/csv; charset=utf-8",
        headers=_attachment(export.filename(tabel.filter, "csv")),
    )
