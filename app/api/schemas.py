"""Request and response models of the service."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    computed_field,
    field_validator,
)

from app.access.opd_scope import OpdScope
from app.http.inputs import TahunAnggaran, TextRule
from app.models import DeadLetterStatus, Outcome, RunStatus, Stage
from app.report import peringatan_run
from app.sync.scope import KODE_SKPD
from app.vocabulary import Tahap

# At most this many OPD in one trigger: a kabupaten has a few dozen.
MAX_KODE_SKPD = 100


# app/access/policy.py: a run's counts are the whole pemda's, not shown to a key
# limited to OPDs.
HIDDEN = "null bagi kunci yang dibatasi ke OPD: angka run mencakup seluruh pemda."


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
    pratinjau: bool = Field(
        default=False, description="Pratinjau: memutuskan tanpa menulis ke E-Planning."
    )
    paksa: bool = Field(default=False, description="Penjaga (ambang) dilewati atas perintah admin.")
    menerapkan_run_id: int | None = Field(
        default=None, description="Run persetujuan: run yang rencananya diterapkan."
    )
    ditahan: dict[str, str] | None = Field(
        default=None,
        description="OPD yang ditahan penjaga untuk persetujuan admin, masing-masing dengan "
        "alasannya (status menunggu_persetujuan).",
    )
    keputusan: str | None = Field(
        default=None, description="Keputusan admin atas rencana: disetujui, ditolak, digantikan."
    )
    diputuskan_oleh: str | None = None
    diputuskan_pada: datetime | None = None
    alasan: str | None = None
    scope_empty: bool = Field(default=False, exclude=True)  # said in `peringatan`

    @computed_field(
        description="Yang perlu diperhatikan: cakupan yang tidak pernah berisi data (tahun "
        "anggaran atau tahap yang keliru?), atau data yang belum sampai di E-Planning "
        "(dead letter); null bila tidak ada."
    )
    def peringatan(self) -> str | None:
        return peringatan_run(self)

    def _seen_through(self, scope: OpdScope) -> None:
        if scope.limited:
            self.records_pulled = None
            self.outcome_counts = None
            # Which other OPDs the guard held is theirs to read, not this key's.
            if self.ditahan:
                self.ditahan = {k: v for k, v in self.ditahan.items() if scope.shows(k)} or None


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
    TextRule(40, KODE_SKPD),
    Field(json_schema_extra={"format": KODE_SKPD_DIKENAL}),
]


class RunCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tahun_anggaran: TahunAnggaran = Field(examples=[2026])
    tahap: Tahap = Field(examples=["renja"])
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
    pratinjau: bool = Field(
        default=False,
        description="Pratinjau: tarik, petakan, baca E-Planning dan putuskan, tanpa menulis apa "
        "pun ke E-Planning; rencananya di /api/v1/runs/{id}/rencana (selalu run penuh).",
    )
    paksa: bool = Field(
        default=False,
        description="Lewati penjaga ambang (SINKRON_AMBANG_*): semua OPD dikirim; dicatat di "
        "audit.",
    )


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


class MenungguPersetujuan(BaseModel):
    """Rencana satu run yang menunggu keputusan admin."""

    run_id: int
    jenis: Literal["ditahan", "pratinjau"] = Field(
        description="ditahan: penjaga menahan OPD ini (status menunggu_persetujuan); "
        "pratinjau: pratinjau yang selesai dan belum diputuskan."
    )
    tahun_anggaran: int
    tahap: str
    sejak: datetime | None = Field(description="Run selesai; rencana menunggu sejak saat ini.")
    berlaku_sampai: datetime | None = Field(
        description="Rencana dapat disetujui sampai saat ini (SINKRON_PRATINJAU_BERLAKU_JAM)."
    )
    kode_skpd: list[str] | None = Field(
        description="OPD yang rencananya menunggu; null: semua OPD (pratinjau seluruh pemda)."
    )
    alasan: dict[str, str] = Field(
        description="Per OPD yang ditahan: mengapa penjaga menahannya (kosong untuk pratinjau)."
    )
    rencana: str = Field(description="Alamat rencananya: GET /api/v1/runs/{id}/rencana.")
    dapat_disetujui: bool = Field(
        description="false: rencana ini tidak dapat disetujui lagi (lihat penghalang), "
        "tetapi masih dapat ditolak."
    )
    penghalang: str | None = Field(
        description="Mengapa persetujuan akan ditolak sekarang: rencana kedaluwarsa, atau run "
        "lain menulis ke E-Planning sesudahnya (buat pratinjau baru). null: dapat disetujui."
    )


class StatusOut(BaseModel):
    current_run: CurrentRun | None
    menunggu_persetujuan: list[MenungguPersetujuan] = Field(
        default_factory=list,
        description="Run yang menunggu persetujuan admin (setujui atau tolak), terbaru dulu; "
        "bagi kunci yang dibatasi ke OPD hanya yang menyangkut OPD-nya.",
    )
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


_DEPRECATED: dict[str, Any] = {"deprecated": True}
_OLD_KEY = "Nama lama, sama dengan {}; tetap dikirim untuk klien lama dan akan dihapus."


class RetryOut(BaseModel):
    dikirim_ulang: int = Field(description="Dead letter yang dikirim ulang.")
    terkirim: int = Field(description="Yang kini sampai di E-Planning (status resolved).")
    masih_terbuka: int = Field(description="Yang masih gagal dan tetap terbuka (status open).")
    ditolak: int = Field(description="Yang ditolak E-Planning untuk selamanya (status rejected).")
    items: list[DeadLetterOut]

    # The keys of versions before the Indonesian names, still sent for the scripts
    # that read them; marked deprecated in the OpenAPI document only (pydantic's
    # own `deprecated=` would warn on every answer).
    @computed_field(description=_OLD_KEY.format("dikirim_ulang"), json_schema_extra=_DEPRECATED)
    def retried(self) -> int:
        return self.dikirim_ulang

    @computed_field(description=_OLD_KEY.format("terkirim"), json_schema_extra=_DEPRECATED)
    def resolved(self) -> int:
        return self.terkirim

    @computed_field(description=_OLD_KEY.format("masih_terbuka"), json_schema_extra=_DEPRECATED)
    def still_open(self) -> int:
        return self.masih_terbuka

    @computed_field(description=_OLD_KEY.format("ditolak"), json_schema_extra=_DEPRECATED)
    def rejected(self) -> int:
        return self.ditolak


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str = Field(description="Nama orang pemegang kunci, atau layanan itu sendiri")
    actor_email: str | None = Field(default=None, description="E-mail orang itu, bila ada")
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
