"""Mismatches for planners: the list, one with its history, decisions on one or
many, and the report files. A key scoped to OPDs sees only theirs; any other
mismatch answers 404, as if it did not exist."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from app.access.keys import Principal
from app.access.opd_scope import OpdScope
from app.access.slots import Held
from app.api.mismatch_schemas import (
    BULK_MAX,
    AkuiIn,
    BukaKembaliIn,
    KecualikanIn,
    KeputusanMassalIn,
    KeputusanMassalOut,
    KodeSkpd,
    MismatchDetail,
    MismatchOut,
    MismatchPage,
)
from app.http.deps import (
    ExportSlotsDep,
    OpdScopeDep,
    PrincipalDep,
    SessionDep,
    client_address,
)
from app.http.errors import ApiError, Conflict, ErrorOut, NotFound, TooManyRequests
from app.http.export_answer import Ekspor, EksporAnswer, export_slot
from app.http.inputs import Id, TahunAnggaran, TextRule
from app.http.pagination import Cursor, Limit, cut, decode_cursor
from app.laporan import export
from app.mismatches import daftar, keputusan, siklus
from app.mismatches.daftar import MismatchFilter
from app.mismatches.keputusan import Pemutus, TerlaluBanyak, TidakAda
from app.mismatches.siklus import DecisionRefused, Keputusan
from app.report import angka
from app.vocabulary import Kategori, StatusFilter, Tahap

router = APIRouter(prefix="/api/v1/mismatches", tags=["mismatches"])

MismatchId = Annotated[Id, Path()]
XLSX = export.XLSX_MEDIA_TYPE
# A search reads every row of the tahun/tahap: it is kept short.
Q_MAX = 100
Cari = Annotated[str, TextRule(Q_MAX)]
CONFLICT: dict[int | str, dict[str, Any]] = {409: {"model": ErrorOut}}


async def mismatch_filter(
    scope: OpdScopeDep,
    tahun_anggaran: Annotated[TahunAnggaran | None, Query()] = None,
    tahap: Annotated[Tahap | None, Query()] = None,
    kode_skpd: Annotated[KodeSkpd | None, Query()] = None,
    kategori: Annotated[Kategori | None, Query()] = None,
    status: Annotated[StatusFilter | None, Query(description="terbuka: baru dan diakui")] = None,
    q: Annotated[
        Cari | None,
        Query(description="Cari di kode, nama dan nilai (tanpa beda huruf besar)"),
    ] = None,
) -> MismatchFilter:
    """The query's filter, always within the caller's OPDs."""
    return MismatchFilter(
        tahun_anggaran=tahun_anggaran,
        tahap=tahap,
        kode_skpd=_own(scope, kode_skpd),
        kategori=kategori.value if kategori else None,
        status=status.value if status else None,
        q=(q or "").strip() or None,
        opd=scope.opd,
    )


def _own(scope: OpdScope, kode_skpd: str | None) -> str | None:
    """An OPD filter outside the caller's OPDs answers 404, as their pages do."""
    if kode_skpd is not None and not scope.shows(kode_skpd):
        raise NotFound("perangkat daerah ini tidak ada dalam cakupan kunci Anda")
    return kode_skpd


FilterDep = Annotated[MismatchFilter, Depends(mismatch_filter)]


@router.get("", response_model=MismatchPage, summary="Daftar mismatch, terlama dulu")
def list_mismatches(
    session: SessionDep,
    f: FilterDep,
    limit: Limit = 100,
    cursor: Cursor = "",
) -> MismatchPage:
    rows = daftar.page(session, f, after_id=decode_cursor(cursor), limit=limit + 1)
    page, next_cursor = cut(rows, limit)
    return MismatchPage(items=[MismatchOut.of(m) for m in page], next_cursor=next_cursor)


async def report_filter(
    scope: OpdScopeDep,
    tahun_anggaran: Annotated[TahunAnggaran, Query()],
    tahap: Annotated[Tahap, Query()],
    kode_skpd: Annotated[KodeSkpd | None, Query()] = None,
    kategori: Annotated[Kategori | None, Query()] = None,
    status: Annotated[StatusFilter | None, Query(description="terbuka: baru dan diakui")] = None,
    q: Annotated[Cari | None, Query()] = None,
) -> MismatchFilter:
    """A report is of one tahun anggaran and tahap: the document says both are
    required, and a request without them gets the same 422 as any invalid query."""
    return await mismatch_filter(scope, tahun_anggaran, tahap, kode_skpd, kategori, status, q)


ReportFilterDep = Annotated[MismatchFilter, Depends(report_filter)]


def api_export_slot(
    request: Request, principal: PrincipalDep, slots: ExportSlotsDep
) -> Iterator[Held]:
    """One of the caller's export slots while the file is made and sent (429 when none)."""
    with export_slot(request, slots, principal, _busy) as held:
        yield held


def _busy(detail: str, retry_after: float) -> TooManyRequests:
    return TooManyRequests(detail, retry_after=retry_after)


ExportSlotDep = Annotated[Held, Depends(api_export_slot)]
BUSY: dict[int | str, dict[str, Any]] = {
    429: {"model": ErrorOut, "description": "Ekspor lain masih dibuat; tunggu sesuai Retry-After"}
}


@router.get(
    "/export.xlsx",
    response_class=EksporAnswer,
    status_code=200,
    responses={200: {"content": {XLSX: {}}, "description": "Laporan Excel"}, **BUSY},
    summary="Laporan Excel: ringkasan per OPD dan satu lembar per kategori",
)
def export_xlsx(request: Request, f: ReportFilterDep, slot: ExportSlotDep) -> EksporAnswer:
    return EksporAnswer(Ekspor.of(request, f, "xlsx"), slot)


@router.get(
    "/export.csv",
    response_class=EksporAnswer,
    status_code=200,
    responses={
        200: {"content": {"text/csv": {}}, "description": "CSV (UTF-8 dengan BOM, ';')"},
        **BUSY,
    },
    summary="Mismatch sebagai CSV untuk Excel berbahasa Indonesia",
)
def export_csv(request: Request, f: ReportFilterDep, slot: ExportSlotDep) -> EksporAnswer:
    return EksporAnswer(Ekspor.of(request, f, "csv"), slot)


# Declared before /{mismatch_id}: Starlette answers a wrong method with the Allow
# of the first route whose path matches, and "keputusan" also fits {mismatch_id}.
@router.post(
    "/keputusan",
    response_model=KeputusanMassalOut,
    summary=f"Satu keputusan untuk banyak mismatch (ids atau filter, paling banyak {BULK_MAX})",
)
def decide_many(
    body: KeputusanMassalIn,
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    scope: OpdScopeDep,
) -> KeputusanMassalOut:
    aturan = siklus.ATURAN[body.keputusan]
    catatan = body.alasan if aturan.alasan_wajib else body.catatan
    if aturan.alasan_wajib and not catatan:
        raise ApiError(
            f"alasan: wajib diisi untuk '{body.keputusan}'", code="validasi", status_code=422
        )
    pilihan = _chosen(body, scope)
    jejak = {
        "pilihan": body.model_dump(
            mode="json", exclude={"keputusan", "catatan", "alasan", "ids"}, exclude_none=True
        )
        or {"ids": len(body.ids or ())}
    }
    try:
        hasil = keputusan.decide_many(
            session,
            pilihan,
            body.keputusan,
            catatan,
            pemutus=_pemutus(request, principal, scope, jejak),
            batas=BULK_MAX,
        )
    except TidakAda as exc:
        missing = exc.ids
        shown = ", ".join(str(i) for i in missing[:20]) + (" …" if len(missing) > 20 else "")
        raise NotFound(f"mismatch tidak ada: {shown}; tidak ada yang diubah") from None
    except TerlaluBanyak as exc:
        raise ApiError(
            f"filter cocok dengan {angka(exc.cocok)} mismatch; paling banyak {angka(exc.batas)} "
            "per keputusan: persempit filternya",
            code="terlalu_banyak",
            status_code=422,
        ) from None
    return KeputusanMassalOut(
        keputusan=body.keputusan.value,
        cocok=hasil.cocok,
        diubah=hasil.diubah,
        dilewati=sum(hasil.dilewati.values()),
        dilewati_per_status=hasil.dilewati,
    )


def _pemutus(
    request: Request,
    principal: Principal,
    scope: OpdScope,
    jejak: Mapping[str, object] | None = None,
) -> Pemutus:
    return Pemutus(principal, scope.opd, client_address(request), 200, jejak or {})


# Only digits are an id here, so "keputusan" is not one: GET on /keputusan is a
# 405 for that route, not a 422 for this one; "/x" names no mismatch (404).
# The digits stay text until MismatchId reads them (app.http.inputs).
@router.get(
    "/{mismatch_id:digits}", response_model=MismatchDetail, summary="Satu mismatch dan riwayatnya"
)
def get_mismatch(
    mismatch_id: MismatchId, session: SessionDep, scope: OpdScopeDep
) -> MismatchDetail:
    mismatch = daftar.get(session, mismatch_id, opd=scope.opd)
    if mismatch is None:
        raise _not_found(mismatch_id)
    return MismatchDetail.with_history(mismatch, list(mismatch.events))


def _not_found(mismatch_id: int) -> NotFound:
    # The same answer for another OPD's mismatch: its existence does not leak.
    return NotFound(f"mismatch {mismatch_id} tidak ada")


def _decide(
    request: Request,
    session: SessionDep,
    principal: Principal,
    scope: OpdScope,
    mismatch_id: int,
    pilihan: Keputusan,
    catatan: str | None,
) -> MismatchDetail:
    try:
        mismatch = keputusan.decide_one(
            session,
            mismatch_id,
            pilihan,
            catatan,
            pemutus=_pemutus(request, principal, scope),
        )
    except TidakAda:
        raise _not_found(mismatch_id) from None
    except DecisionRefused as exc:
        raise Conflict(str(exc), code="keputusan_ditolak") from None
    # The decision's event was inserted beside the loaded history: read it again
    # (the request's transaction commits when this route returns, app.http.deps).
    session.flush()
    session.expire(mismatch, ["events"])
    return MismatchDetail.with_history(mismatch, list(mismatch.events))


@router.post(
    "/{mismatch_id}/akui",
    response_model=MismatchDetail,
    responses=CONFLICT,
    summary="Akui mismatch (baru → diakui)",
)
def akui(
    mismatch_id: MismatchId,
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    scope: OpdScopeDep,
    body: AkuiIn | None = None,
) -> MismatchDetail:
    catatan = body.catatan if body else None
    return _decide(request, session, principal, scope, mismatch_id, Keputusan.AKUI, catatan)


@router.post(
    "/{mismatch_id}/kecualikan",
    response_model=MismatchDetail,
    responses=CONFLICT,
    summary="Kecualikan mismatch dengan alasan (baru/diakui → dikecualikan)",
)
def kecualikan(
    mismatch_id: MismatchId,
    body: KecualikanIn,
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    scope: OpdScopeDep,
) -> MismatchDetail:
    return _decide(
        request, session, principal, scope, mismatch_id, Keputusan.KECUALIKAN, body.alasan
    )


@router.post(
    "/{mismatch_id}/buka-kembali",
    response_model=MismatchDetail,
    responses=CONFLICT,
    summary="Buka kembali keputusan (diakui/dikecualikan → baru)",
)
def buka_kembali(
    mismatch_id: MismatchId,
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    scope: OpdScopeDep,
    body: BukaKembaliIn | None = None,
) -> MismatchDetail:
    catatan = body.catatan if body else None
    return _decide(request, session, principal, scope, mismatch_id, Keputusan.BUKA_KEMBALI, catatan)


def _chosen(body: KeputusanMassalIn, scope: OpdScope) -> list[int] | MismatchFilter:
    """What a decision on many names: ids, or a filter within the caller's OPDs."""
    by_filter = body.model_dump(
        include={"tahun_anggaran", "tahap", "kode_skpd", "kategori", "status", "q"},
        exclude_none=True,
    )
    if body.ids is not None:
        if by_filter:
            raise _invalid("pilih dengan ids atau dengan filter, tidak keduanya")
        return list(body.ids)
    if body.tahun_anggaran is None or body.tahap is None:
        raise _invalid("isi ids, atau filter dengan tahun_anggaran dan tahap")
    return MismatchFilter(
        tahun_anggaran=body.tahun_anggaran,
        tahap=body.tahap,
        kode_skpd=_own(scope, body.kode_skpd),
        kategori=body.kategori.value if body.kategori else None,
        status=body.status.value if body.status else None,
        q=(body.q or "").strip() or None,
        opd=scope.opd,
    )


def _invalid(detail: str) -> ApiError:
    return ApiError(detail, code="validasi", status_code=422)
