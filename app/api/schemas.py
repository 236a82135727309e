"""Response models of the service."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class RunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    status: str
    tahun_anggaran: int
    tahap: str
    kode_skpd: list[str] | None
    full: bool
    trigger: str
    triggered_by: str | None
    stage: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    records_pulled: int
    outcome_counts: dict[str, int]
    stage_seconds: dict[str, float]
    error: str | None


class RunPage(BaseModel):
    items: list[RunOut]
    next_cursor: str | None


class ErrorOut(BaseModel):
    error: str
    detail: str
