"""A run's plan: what a preview or a held run would do, and the admin's
decision on it (docs/design.md, "Preview, approval and the guard")."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from app import rencana_tampil
from app.api.schemas import RunOut
from app.http.deps import (
    OpdScopeDep,
    PrincipalDep,
    SessionDep,
    SettingsDep,
    WakeDep,
    audit_action,
)
from app.http.errors import ApiError, ErrorOut, NotFound
from app.http.inputs import Id, TextRule
from app.http.pagination import Cursor, Limit, cut, decode_cursor
from app.models import PlanStatus, Trigger
from app.repositories import rencana, runs
from app.runs import persetujuan
from app.sync.reconcile import Action
from app.sync.scope import KODE_SKPD

router = APIRouter(prefix="/api/v1/runs", tags=["rencana"])
REFUSED: dict[int | str, dict[str, Any]] = {409: {"model": ErrorOut}, 404: {"model": ErrorOut}}
RunId = Annotated[Id, Path()]


class Perubahan(BaseModel):
    field: str
    sebelum: Any = Field(description="Nilai di E-Planning saat rencana dibuat (null: tidak ada).")
    sesudah: Any = Field(description="Nilai yang akan dikirim.")


class RencanaOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    source_id: str
    kode_skpd: str
    kode_sub_skpd: str
    kode_sub_kegiatan: str
    nama_sub_kegiatan: str | None
    aksi: Action
    versi: int | None = Field(description="Versi E-Planning yang dilihat rencana (If-Match).")
    status: PlanStatus
    perubahan: list[Perubahan]
    diterapkan_run_id: int | None


class JumlahOpd(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kode_skpd: str
    per_aksi: dict[str, int]
    alasan_ditahan: str | None = None


class RencanaPage(BaseModel):
    run: RunOut
    berlaku_sampai: datetime | None = Field(
        description="Rencana dapat disetujui sampai saat ini (SINKRON_PRATINJAU_BERLAKU_JAM)."
    )
    per_opd: list[JumlahOpd]
    items: list[RencanaOut]
    next_cursor: str | None


class Penolakan(BaseModel):
    model_config = ConfigDict(extra="forbid")

    alasan: Annotated[str, TextRule(2000, multiline=True, strip=True, min_length=3)] = Field(
        description="Mengapa rencana ditolak (dicatat di audit)."
    )


class KeputusanOut(BaseModel):
    run: RunOut
    baris: int = Field(description="Baris rencana yang dicakup keputusan ini.")
    run_penerapan: RunOut | None = Field(
        default=None, description="Run yang mengirim rencana yang disetujui."
    )


KodeSkpd = Annotated[str | None, TextRule(40, pattern=KODE_SKPD), Query()]


@router.get(
    "/{run_id}/rencana",
    response_model=RencanaPage,
    summary="Rencana run: per data, aksi dan isian yang akan berubah",
)
def list_plan(
    run_id: RunId,
    session: SessionDep,
    scope: OpdScopeDep,
    settings: SettingsDep,
    kode_skpd: KodeSkpd = None,
    aksi: Annotated[Action | None, Query()] = None,
    limit: Limit = 100,
    cursor: Cursor = "",
) -> RencanaPage:
    run = runs.get(session, run_id)
    if run is None or not scope.shows_run(run.kode_skpd):
        raise NotFound(f"run {run_id} tidak ada")
    rows = rencana.rows_of_run(
        session,
        run_id,
        kode_skpd=kode_skpd,
        aksi=aksi,
        opd=scope.opd,
        after_id=decode_cursor(cursor, big=True),
        limit=limit + 1,
    )
    page, next_cursor = cut(rows, limit)
    return RencanaPage(
        run=RunOut.seen_through(run, scope),
        berlaku_sampai=rencana_tampil.berlaku_sampai(run, settings.pratinjau_berlaku_jam),
        per_opd=[
            JumlahOpd.model_validate(j)
            for j in rencana_tampil.per_opd(
                rencana.counts(session, run_id), run.ditahan or {}, scope.opd
            )
        ],
        items=[RencanaOut.model_validate(r) for r in page],
        next_cursor=next_cursor,
    )


@contextmanager
def _deciding(run_id: int) -> Iterator[None]:
    """A decision's refusals as the API answers them: 404 for a run that is
    not there, 409 with the refusal's code."""
    try:
        yield
    except LookupError:
        raise NotFound(f"run {run_id} tidak ada") from None
    except persetujuan.Refused as exc:
        raise ApiError(exc.detail, code=exc.code, status_code=409) from None


@router.post(
    "/{run_id}/setujui",
    status_code=202,
    response_model=KeputusanOut,
    responses=REFUSED,
    summary="Setujui rencana pratinjau atau run yang ditahan: kirim persis rencana itu",
)
def approve(
    run_id: RunId,
    request: Request,
    after: BackgroundTasks,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    wake: WakeDep,
) -> KeputusanOut:
    with _deciding(run_id):
        decided = persetujuan.approve(
            session, run_id, by=principal.name, trigger=Trigger.API,
            valid_hours=settings.pratinjau_berlaku_jam,
        )  # fmt: skip
    applying = decided.applying
    audit_action(
        request, session, action="rencana.setujui", target=f"run {run_id}", status_code=202,
        detail={"baris": decided.rows, "run_penerapan": applying.id if applying else None},
    )  # fmt: skip
    if wake is not None:
        after.add_task(wake)
    return KeputusanOut(
        run=RunOut.model_validate(decided.run),
        baris=decided.rows,
        run_penerapan=RunOut.model_validate(applying) if applying else None,
    )


@router.post(
    "/{run_id}/tolak",
    response_model=KeputusanOut,
    responses=REFUSED,
    summary="Tolak rencana: tidak ada yang dikirim",
)
def reject(
    run_id: RunId,
    body: Penolakan,
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
) -> KeputusanOut:
    with _deciding(run_id):
        decided = persetujuan.reject(
            session, run_id, by=principal.name, alasan=body.alasan,
            valid_hours=settings.pratinjau_berlaku_jam,
        )  # fmt: skip
    audit_action(
        request, session, action="rencana.tolak", target=f"run {run_id}", status_code=200,
        detail={"baris": decided.rows, "alasan": body.alasan},
    )  # fmt: skip
    return KeputusanOut(run=RunOut.model_validate(decided.run), baris=decided.rows)
