"""Run history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from app.api.deps import SessionDep
from app.api.errors import ApiError, NotFound
from app.api.schemas import RunOut, RunPage
from app.models import SyncRun

router = APIRouter(prefix="/api/v1/runs", tags=["runs"])


@router.get("", response_model=RunPage)
def list_runs(
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(description="next_cursor dari halaman sebelumnya")] = None,
) -> RunPage:
    stmt = select(SyncRun).order_by(SyncRun.id.desc()).limit(limit + 1)
    if cursor is not None:
        if not cursor.isdigit():
            raise ApiError("cursor tidak valid", code="cursor_tidak_valid")
        stmt = stmt.where(SyncRun.id < int(cursor))
    rows = list(session.scalars(stmt))
    next_cursor = str(rows[limit - 1].id) if len(rows) > limit else None
    return RunPage(items=[RunOut.model_validate(r) for r in rows[:limit]], next_cursor=next_cursor)


@router.get("/{run_id}", response_model=RunOut)
def get_run(run_id: int, session: SessionDep) -> RunOut:
    run = session.get(SyncRun, run_id)
    if run is None:
        raise NotFound(f"run {run_id} tidak ada")
    return RunOut.model_validate(run)
