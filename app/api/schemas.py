"""Request and response models of the service."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    computed_field,
    field_validator,
)

from app.access.opd_scope import OpdScope
from app.models import DeadLetterStatus, Outcome, RunStatus, Stage
from app.sync.scope import KODE_SKPD

TahapIn = Literal["renja", "rkpd", "kua_ppas", "apbd", "apbd_perubahan"]
# At most this many OPD in one trigger: a kabupaten has a few dozen.
MAX_KODE_SKPD = 100


# app/access/policy.py: a run's counts are the whole pemda's, not shown to a key
# limited to OPDs.
HIDDEN = "null bagi kunci yang dibatasi ke OPD: angka run mencakup seluruh pemda."


class Tahap(enum.StrEnum):
    RENJA = "renja"
    RKPD = "rkpd"
    KUA_PPAS = "kua_ppas"
    APBD = "apbd"
    APBD_PERUBAHAN = "apbd_perubahan"


class _RunBase(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    status: RunStatus
    tahun_anggaran: int
    tahap: str
    full: bool
    trigger: str  # a Trigger; tests and older rows may carry other words
    triggered_by: str | None
    stage: Stage | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    records_pulled: int | None = Field(description=HIDDEN)
    outcome_counts: dict[str, int] | None = Field(description=HIDDEN)
    stage_seconds: dict[str, float]
    error: str | None
    cancel_requested: bool
    scheduled_for: datetime | None

    @computed_field(description="Ada data yang belum sampai di E-Planning (dead letter).")
    def peringatan(self) -> str | None:
        dead = (self.outcome_counts or {}).get("dead_letter", 0)
        if not dead:
            return None
        return (
            f"{dead} data gagal dikirim ke E-Planning dan menjadi dead letter; "
            "run berikutnya mengirimnya ulang, atau kirim ulang lewat /api/v1/dead-letters/retry"
        )

    def _seen_through(self, scope: OpdScope) -> None:
        if scope.limited:
            self.records_pulled = None
            self.outcome_counts = None


class RunOut(_RunBase):
    kode_skpd: list[str] | None = Field(
        description="null: semua OPD; bagi kunci yang dibatasi ke OPD hanya OPD-nya"
    )

    @classmethod
    def seen_through(cls, run: Any, scope: OpdScope) -> Self:
        """The run as a caller limited to ``scope`` may read it."""
        out = cls.model_validate(run)
        out.kode_skpd = scope.cut(run.kode_skpd)
        out._seen_through(scope)
        return out


class RunSummaryOut(_RunBase):
    """A run in a list: the OPD it covers are counted, not listed."""

    jumlah_kode_skpd: int | None = Field(default=None, description="null: semua OPD")

    @classmethod
    def of(cls, run: Any, scope: OpdScope) -> Self:
        summary = cls.model_validate(run)
        covered = scope.cut(run.kode_skpd)
        summary.jumlah_kode_skpd = len(covered) if covered else None
        summary._seen_through(scope)
        return summary


class RunPage(BaseModel):
    items: list[RunSummaryOut]
    next_cursor: str | None


# Only the OPDs E-Planning lists for the year are accepted (422 otherwise): the
# format names that set, which the pattern alone cannot; the fuzz tests draw from it.
KODE_SKPD_DIKENAL = "kode-skpd-dikenal"
KodeSkpdDikenal = Annotated[
    str,
    StringConstraints(pattern=KODE_SKPD, max_length=40),
    Field(json_schema_extra={"format": KODE_SKPD_DIKENAL}),
]


class RunCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tahun_anggaran: int = Field(ge=2000, le=2100, examples=[2026])
    tahap: TahapIn = Field(examples=["renja"])
    kode_skpd: list[KodeSkpdDikenal] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_KODE_SKPD,
        description=(
            "Hanya OPD ini (kode_skpd, 8 segmen, yang dikenal E-Planning; kode ganda "
            f"dihitung sekali; paling banyak {MAX_KODE_SKPD}); tidak diisi = semua OPD."
        ),
        examples=[["1.02.0.00.0.00.01.0000"]],
    )

    @field_validator("kode_skpd", mode="before")
    @classmethod
    def _once_each(cls, value: Any) -> Any:
        """Each code once, before the length is checked: a list that repeats one
        OPD 500 times names one OPD."""
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return list(dict.fromkeys(value))
        return value

    full: bool = Field(default=False, description="Tarik semua data, bukan hanya yang berubah.")


class RecordOutcomeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    source_id: str
    outcome: Outcome
    kode_skpd: str | None
    kode_sub_skpd: str | None
    kode_sub_kegiatan: str | None
    idempotency_key: str | None
    versi: int | None
    changed_fields: list[str] | None
    message: str | None
    source_updated_at: datetime | None
    recorded_at: datetime


class RecordOutcomePage(BaseModel):
    items: list[RecordOutcomeOut]
    next_cursor: str | None


class CurrentRun(BaseModel):
    id: int
    tahun_anggaran: int
    tahap: str
    kode_skpd: list[str] | None
    status: RunStatus
    stage: Stage | None
    records_so_far: int | None = Field(description=HIDDEN)
    started_at: datetime | None


class ScopeStatus(BaseModel):
    tahun_anggaran: int
    tahap: str
    last_run: RunOut
    open_dead_letters: int | None = Field(
        description=f"Dead letter yang masih terbuka di cakupan ini; {HIDDEN}"
    )


class SystemContact(BaseModel):
    reachable: bool | None = Field(description="null: belum pernah dihubungi")
    checked_at: datetime | None
    detail: str | None


class StatusOut(BaseModel):
    current_run: CurrentRun | None
    scopes: list[ScopeStatus]
    next_scheduled_run: datetime | None = Field(description="Dalam WIB (Asia/Jakarta).")
    schedule: str | None
    eprogram: SystemContact
    eplanning: SystemContact
    open_dead_letters: int | None = Field(
        description=f"Semua dead letter yang masih terbuka; {HIDDEN}"
    )


class DeadLetterOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    run_id: int
    source_id: str | None
    tahun_anggaran: int
    tahap: str
    kode_sub_skpd: str
    kode_sub_kegiatan: str
    op: str
    idempotency_key: str
    error: str
    attempts: int
    status: DeadLetterStatus
    created_at: datetime
    resolved_at: datetime | None


class DeadLetterPage(BaseModel):
    items: list[DeadLetterOut]
    next_cursor: str | None


class RetryOut(BaseModel):
    retried: int
    resolved: int
    still_open: int
    rejected: int
    items: list[DeadLetterOut]


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str
    role: str | None
    action: str
    target: str | None
    status_code: int | None
    client: str | None
    detail: dict[str, Any] | None
    count: int = Field(description="Penolakan serupa dari alamat yang sama, digabung")
    last_at: datetime | None


class AuditPage(BaseModel):
    items: list[AuditOut]
    next_cursor: str | None


class ErrorOut(BaseModel):
    error: str = Field(examples=["tidak_ditemukan"])
    detail: str = Field(examples=["run 42 tidak ada"])
