"""Runs: history, per-record outcomes, triggering and cancelling."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Header, Path, Query, Request, Response
from sqlalchemy.exc import IntegrityError

from app.access.opd_scope import OpdScope
from app.api.schemas import (
    RecordOutcomeOut,
    RecordOutcomePage,
    RunCreate,
    RunOut,
    RunPage,
    RunSummaryOut,
)
from app.http.deps import (
    KnownOpdDep,
    OpdScopeDep,
    PrincipalDep,
    SessionDep,
    WakeDep,
    audit_action,
)
from app.http.errors import ApiError, Conflict, ErrorOut, Invalid, NotFound
from app.http.inputs import Id, TahunAnggaran
from app.http.known_opd import KnownOpd, OpdListUnavailable
from app.http.pagination import Cursor, Limit, cut, decode_cursor
from app.models import Outcome, RunStatus, SyncRun, Trigger
from app.report import STATUS_LABELS
from app.repositories import outcomes, runs
from app.vocabulary import Tahap

router = APIRouter(prefix="/api/v1/runs", tags=["runs"])
CONFLICT: dict[int | str, dict[str, Any]] = {409: {"model": ErrorOut}}


RunId = Annotated[Id, Path()]


def _get(session: SessionDep, run_id: int, scope: OpdScope | None = None) -> SyncRun:
    """The run; 404 also for a run that covered none of the caller's OPDs."""
    run = runs.get(session, run_id)
    if run is None or (scope is not None and not scope.shows_run(run.kode_skpd)):
        raise NotFound(f"run {run_id} tidak ada")
    return run


Tahun = Annotated[TahunAnggaran | None, Query()]


async def _tahun_anggaran(
    tahun_anggaran: Tahun = None,
    tahun: Annotated[
        TahunAnggaran | None,
        Query(
            deprecated=True,
            description=(
                "Nama lama `tahun_anggaran`; pakai `tahun_anggaran`. Bila keduanya "
                "diisi, nilainya harus sama (422 bila berbeda)."
            ),
        ),
    ] = None,
) -> int | None:
    """`tahun_anggaran`, or the older `tahun` it replaced; both must agree."""
    if tahun_anggaran is not None and tahun is not None and tahun_anggaran != tahun:
        raise Invalid(
            f"tahun ({tahun}) dan tahun_anggaran ({tahun_anggaran}) berbeda; "
            "pakai tahun_anggaran saja"
        )
    return tahun_anggaran if tahun_anggaran is not None else tahun


@router.get("", response_model=RunPage, summary="Riwayat run, terbaru dulu")
def list_runs(
    session: SessionDep,
    scope: OpdScopeDep,
    tahun_anggaran: Annotated[int | None, Depends(_tahun_anggaran)],
    limit: Limit = 50,
    cursor: Cursor = "",
    status: Annotated[RunStatus | None, Query()] = None,
    tahap: Annotated[Tahap | None, Query()] = None,
    trigger: Annotated[Trigger | None, Query()] = None,
) -> RunPage:
    rows = runs.page(
        session,
        limit=limit,
        before_id=decode_cursor(cursor),
        status=status,
        tahun_anggaran=tahun_anggaran,
        tahap=tahap,
        trigger=trigger,
        opd=scope.opd,
    )
    page, next_cursor = cut(rows, limit)
    return RunPage(items=[RunSummaryOut.of(r, scope) for r in page], next_cursor=next_cursor)


@router.post(
    "",
    status_code=202,
    response_model=RunOut,
    responses=CONFLICT,
    summary="Mulai sinkronisasi (berjalan di latar belakang)",
)
def create_run(
    body: RunCreate,
    request: Request,
    response: Response,
    after: BackgroundTasks,
    session: SessionDep,
    principal: PrincipalDep,
    known_opd: KnownOpdDep,
    wake: WakeDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            pattern=r"^[\x21-\x7e]{1,255}$",
            description="Klik ganda dengan kunci yang sama memulai satu run (ASCII, ≤ 255).",
        ),
    ] = None,
) -> RunOut:
    _refuse_unknown_opd(known_opd, body)
    runs.lock_triggers(session)
    if idempotency_key:
        earlier = runs.by_idempotency_key(session, idempotency_key)
        if earlier is not None:
            asked = (body.tahun_anggaran, body.tahap, body.kode_skpd or None,
                     body.full or body.pratinjau, body.pratinjau, body.paksa)  # fmt: skip
            if asked != (earlier.tahun_anggaran, earlier.tahap, earlier.kode_skpd, earlier.full,
                         earlier.pratinjau, earlier.paksa):  # fmt: skip
                raise ApiError(
                    f"Idempotency-Key ini sudah dipakai run {earlier.id} dengan isi lain",
                    code="idempotency_key_dipakai",
                    status_code=422,
                )
            response.headers["Location"] = f"/api/v1/runs/{earlier.id}"
            return RunOut.model_validate(earlier)
    busy = runs.active(session)
    if busy is not None:
        raise Conflict(
            f"run {busy.id} ({busy.tahun_anggaran}/{busy.tahap}) masih "
            f"{STATUS_LABELS.get(busy.status, busy.status)}; "
            "tunggu selesai atau batalkan dulu",
            code="run_berjalan",
        )
    try:
        with session.begin_nested():
            run = runs.create(
                session,
                tahun_anggaran=body.tahun_anggaran,
                tahap=body.tahap,
                kode_skpd=body.kode_skpd or (),
                # A preview compares everything: it reads E-Planning's whole scope.
                full=body.full or body.pratinjau,
                pratinjau=body.pratinjau,
                paksa=body.paksa,
                trigger=Trigger.API,
                triggered_by=principal.name,
                idempotency_key=idempotency_key,
            )
    except IntegrityError:
        raise Conflict("Idempotency-Key sedang dipakai permintaan lain; coba lagi") from None
    audit_action(
        request,
        session,
        action="run.buat",
        target=f"run {run.id}",
        status_code=202,
        detail=body.model_dump(),
    )
    response.headers["Location"] = f"/api/v1/runs/{run.id}"
    if wake is not None:
        # A task runs after the request's transaction has committed (app.http.deps):
        # the worker process, woken, finds the run.
        after.add_task(wake)
    return RunOut.model_validate(run)


def _refuse_unknown_opd(known_opd: KnownOpd, body: RunCreate) -> None:
    """Every kode_skpd must be an OPD E-Planning knows for the year (422 naming the rest)."""
    if not body.kode_skpd:
        return
    try:
        known = known_opd.codes(body.tahun_anggaran)
    except OpdListUnavailable as exc:
        raise ApiError(
            f"daftar perangkat daerah tidak dapat dibaca: {exc}",
            code="eplanning_tidak_tersedia",
            status_code=503,
        ) from None
    unknown = [code for code in body.kode_skpd if code not in known]
    if unknown:
        shown = ", ".join(unknown[:20]) + (
            f" (dan {len(unknown) - 20} lainnya)" if len(unknown) > 20 else ""
        )
        raise Invalid(
            f"kode_skpd: tidak dikenal E-Planning untuk tahun {body.tahun_anggaran}: {shown}"
        )


@router.get("/{run_id}", response_model=RunOut, summary="Satu run")
def get_run(run_id: RunId, session: SessionDep, scope: OpdScopeDep) -> RunOut:
    return RunOut.seen_through(_get(session, run_id, scope), scope)


@router.get(
    "/{run_id}/records",
    response_model=RecordOutcomePage,
    summary="Hasil per data E-Program dalam satu run",
)
def list_records(
    run_id: RunId,
    session: SessionDep,
    scope: OpdScopeDep,
    outcome: Annotated[Outcome | None, Query()] = None,
    limit: Limit = 100,
    cursor: Cursor = "",
) -> RecordOutcomePage:
    _get(session, run_id, scope)
    rows = outcomes.for_run(
        session,
        run_id,
        outcome=outcome,
        after_id=decode_cursor(cursor, big=True),
        limit=limit + 1,
        opd=scope.opd,
    )
    page, next_cursor = cut(rows, limit)
    return RecordOutcomePage(
        items=[RecordOutcomeOut.model_validate(r) for r in page], next_cursor=next_cursor
    )


@router.post(
    "/{run_id}/cancel",
    status_code=202,
    response_model=RunOut,
    responses=CONFLICT,
    summary="Batalkan run pada batas halaman berikutnya",
)
def cancel_run(
    run_id: RunId, request: Request, session: SessionDep, principal: PrincipalDep
) -> RunOut:
    run = _get(session, run_id)
    if run.status not in (RunStatus.PENDING, RunStatus.RUNNING):
        raise Conflict(
            f"run {run_id} sudah {STATUS_LABELS.get(run.status, run.status)}", code="run_selesai"
        )
    if not runs.cancel_pending(session, run_id):
        # Already taken by a worker: it stops at its next page boundary.
        runs.request_cancel(session, run_id)
    audit_action(
        request,
        session,
        action="run.batal",
        target=f"run {run_id}",
        status_code=202,
    )
    session.flush()
    session.refresh(run)
    return RunOut.model_validate(run)
