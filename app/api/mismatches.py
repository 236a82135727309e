"""Mismatches for planners: the list, one with its history, decisions on one or
many, and the report files. A key scoped to OPDs sees only theirs; any other
mismatch answers 404, as if it did not exist."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from app.access.keys import Principal
from app.access.opd_scope import OpdScope
from app.access.slots import Held
from app.api.deps import OpdScopeDep, PrincipalDep, SessionDep, audit_action
from app.api.errors import ApiError, Conflict, NotFound, TooManyRequests
from app.api.export_answer import Ekspor, EksporAnswer, export_slot
from app.api.inputs import Id, TahunAnggaran, TextRule
from app.api.mismatch_schemas import (
    BULK_MAX,
    AkuiIn,
    BukaKembaliIn,
    Kategori,
    KecualikanIn,
    KeputusanMassalIn,
    KeputusanMassalOut,
    KodeSkpd,
    MismatchDetail,
    MismatchOut,
    MismatchPage,
)
from app.api.pagination import Cursor, Limit, cut, decode_cursor
from app.api.schemas import ErrorOut, TahapIn
from app.laporan import export
from app.models import Mismatch
from app.report import angka
from app.repositories import mismatches
from app.repositories.mismatches import DecisionRefused, Keputusan, MismatchFilter, StatusFilter

router = APIRouter(prefix="/api/v1/mismatches", tags=["mismatches"])

MismatchId = Annotated[Id, Path()]
XLSX = export.XLSX_MEDIA_TYPE
# A search reads every row of the tahun/tahap: it is kept short.
Q_MAX = 100
Cari = Annotated[str, TextRule(Q_MAX)]
CONFLICT: dict[int | str, dict[str, Any]] = {409: {"model": ErrorOut}}


def mismatch_filter(
    scope: OpdScopeDep,
    tahun_anggaran: Annotated[TahunAnggaran | None, Query()] = None,
    tahap: Annotated[TahapIn | None, Query()] = None,
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
    rows = mismatches.page(session, f, after_id=decode_cursor(cursor), limit=limit + 1)
    page, next_cursor = cut(rows, limit)
    return MismatchPage(items=[MismatchOut.of(m) for m in page], next_cursor=next_cursor)


def report_filter(
    scope: OpdScopeDep,
    tahun_anggaran: Annotated[TahunAnggaran, Query()],
    tahap: Annotated[TahapIn, Query()],
    kode_skpd: Annotated[KodeSkpd | None, Query()] = None,
    kategori: Annotated[Kategori | None, Query()] = None,
    status: Annotated[StatusFilter | None, Query(description="terbuka: baru dan diakui")] = None,
    q: Annotated[Cari | None, Query()] = None,
) -> MismatchFilter:
    """A report is of one tahun anggaran and tahap: the document says both are
    required, and a request without them gets the same 422 as any invalid query."""
    return mismatch_filter(scope, tahun_anggaran, tahap, kode_skpd, kategori, status, q)


ReportFilterDep = Annotated[MismatchFilter, Depends(report_filter)]


def api_export_slot(request: Request, principal: PrincipalDep) -> Iterator[Held]:
    """One of the caller's export slots while the file is made and sent (429 when none)."""
    with export_slot(request, principal, _busy) as held:
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
    catatan = body.alasan if body.keputusan is Keputusan.KECUALIKAN else body.catatan
    if body.keputusan is Keputusan.KECUALIKAN and not catatan:
        raise ApiError("alasan: wajib diisi untuk 'kecualikan'", code="validasi", status_code=422)
    rows = _chosen(session, body, scope)
    result = mismatches.decide_many(
        session, rows, body.keputusan, oleh=principal.name, catatan=catatan
    )
    skipped = sum(result.dilewati.values())
    audit_action(
        request,
        session,
        action="mismatch.keputusan_massal",
        target=f"{len(rows)} mismatch",
        status_code=200,
        detail={
            "keputusan": body.keputusan.value,
            "diubah": result.diubah,
            "dilewati": skipped,
            "catatan": catatan,
            "pilihan": body.model_dump(
                mode="json", exclude={"keputusan", "catatan", "alasan", "ids"}, exclude_none=True
            )
            or {"ids": len(body.ids or ())},
        },
    )
    session.commit()  # durable before the answer, as for one decision
    return KeputusanMassalOut(
        keputusan=body.keputusan.value,
        cocok=len(rows),
        diubah=result.diubah,
        dilewati=skipped,
        dilewati_per_status=result.dilewati,
    )


def _get(session: SessionDep, mismatch_id: int, scope: OpdScope) -> Mismatch:
    mismatch = mismatches.get(session, mismatch_id, opd=scope.opd)
    if mismatch is None:
        # The same answer for another OPD's mismatch: its existence does not leak.
        raise NotFound(f"mismatch {mismatch_id} tidak ada")
    return mismatch


# Only digits are an id here, so "keputusan" is not one: GET on /keputusan is a
# 405 for that route, not a 422 for this one; "/x" names no mismatch (404).
# The digits stay text until MismatchId reads them (app.api.inputs).
@router.get(
    "/{mismatch_id:digits}", response_model=MismatchDetail, summary="Satu mismatch dan riwayatnya"
)
def get_mismatch(
    mismatch_id: MismatchId, session: SessionDep, scope: OpdScopeDep
) -> MismatchDetail:
    mismatch = _get(session, mismatch_id, scope)
    return MismatchDetail.with_history(mismatch, list(mismatch.events))


def _decide(
    request: Request,
    session: SessionDep,
    principal: Principal,
    scope: OpdScope,
    mismatch_id: int,
    keputusan: Keputusan,
    catatan: str | None,
) -> MismatchDetail:
    mismatch = _get(session, mismatch_id, scope)
    dari = mismatch.status
    try:
        mismatches.decide(session, mismatch, keputusan, oleh=principal.name, catatan=catatan)
    except DecisionRefused as exc:
        raise Conflict(str(exc), code="keputusan_ditolak") from None
    audit_action(
        request,
        session,
        action=f"mismatch.{keputusan.value}",
        target=f"mismatch {mismatch_id}",
        status_code=200,
        detail={"dari": dari, "ke": mismatch.status, "catatan": mismatch.catatan},
    )
    # Durable before the answer: yield dependencies end after the response is sent.
    session.commit()
    # The decision's event was inserted beside the loaded history: read it again.
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


def _chosen(session: SessionDep, body: KeputusanMassalIn, scope: OpdScope) -> list[Mismatch]:
    """The mismatches a decision on many names, all within the caller's OPDs."""
    by_filter = body.model_dump(
        include={"tahun_anggaran", "tahap", "kode_skpd", "kategori", "status", "q"},
        exclude_none=True,
    )
    if body.ids is not None:
        if by_filter:
            raise _invalid("pilih dengan ids atau dengan filter, tidak keduanya")
        found = mismatches.by_ids(session, body.ids, opd=scope.opd)
        missing = sorted(set(body.ids) - set(found))
        if missing:
            shown = ", ".join(str(i) for i in missing[:20]) + (" …" if len(missing) > 20 else "")
            raise NotFound(f"mismatch tidak ada: {shown}; tidak ada yang diubah")
        return list(found.values())
    if body.tahun_anggaran is None or body.tahap is None:
        raise _invalid("isi ids, atau filter dengan tahun_anggaran dan tahap")
    f = MismatchFilter(
        tahun_anggaran=body.tahun_anggaran,
        tahap=body.tahap,
        kode_skpd=_own(scope, body.kode_skpd),
        kategori=body.kategori.value if body.kategori else None,
        status=body.status.value if body.status else None,
        q=(body.q or "").strip() or None,
        opd=scope.opd,
    )
    matched = mismatches.count(session, f)
    if matched > BULK_MAX:
        raise ApiError(
            f"filter cocok dengan {angka(matched)} mismatch; paling banyak {angka(BULK_MAX)} "
            "per keputusan: persempit filternya",
            code="terlalu_banyak",
            status_code=422,
        )
    ids = mismatches.ids_matching(session, f, limit=BULK_MAX)
    return list(mismatches.by_ids(session, ids, opd=scope.opd).values())


def _invalid(detail: str) -> ApiError:
    return ApiError(detail, code="validasi", status_code=422)
