"""The service's own records: runs, outcomes, checkpoints, push state, mismatches,
dead letters and the versioned nomenclature. Times are stored in UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from app import clock

# The enums live in app.vocabulary, which imports no ORM, so that `sinkron --help` need
# not load SQLAlchemy's; `X as X` re-exports them (mypy strict) for `from app.models`.
from app.vocabulary import DeadLetterStatus as DeadLetterStatus  # noqa: PLC0414
from app.vocabulary import MismatchStatus as MismatchStatus  # noqa: PLC0414
from app.vocabulary import Outcome as Outcome  # noqa: PLC0414
from app.vocabulary import PlanStatus as PlanStatus  # noqa: PLC0414
from app.vocabulary import RunStatus as RunStatus  # noqa: PLC0414
from app.vocabulary import Stage as Stage  # noqa: PLC0414
from app.vocabulary import Trigger as Trigger  # noqa: PLC0414

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The service's now (``app.clock``): a test may move it."""
    return clock.now()


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store aware datetimes only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


# Still asking for a planner's attention.
OPEN_MISMATCH = (MismatchStatus.BARU, MismatchStatus.DIAKUI)

Money = Numeric(20, 2)


class SyncRun(Base):
    __tablename__ = "sync_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tahun_anggaran: Mapped[int]
    tahap: Mapped[str] = mapped_column(String(20))
    kode_skpd: Mapped[list[Any] | None]
    full: Mapped[bool]
    trigger: Mapped[str] = mapped_column(String(20))
    triggered_by: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), index=True)
    stage: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    records_pulled: Mapped[int] = mapped_column(default=0)
    outcome_counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    stage_seconds: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    # Set by an admin; the run stops at its next page boundary, in whichever
    # process is carrying it out.
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    # A run that succeeded pulling nothing from a scope no run ever brought a
    # record of: most often a wrong tahun or tahap, which the run's warning says.
    scope_empty: Mapped[bool] = mapped_column(default=False)
    # The process carrying the run out ("host:pid") and its lease token.
    holder: Mapped[str | None] = mapped_column(String(200))
    lease_token: Mapped[int | None]
    # A POST /runs Idempotency-Key: a double click starts one run.
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    # The cron time a scheduled run was made for: two replicas firing the same
    # schedule insert the same (tahun, tahap, scheduled_for) and one of them loses.
    scheduled_for: Mapped[datetime | None]
    # A preview decides and writes nothing to E-Planning: its plan waits in
    # table rencana for an admin (docs/design.md, "Preview, approval, guard").
    pratinjau: Mapped[bool] = mapped_column(default=False, server_default="0")
    # An admin's trigger that skips the guard (audited).
    paksa: Mapped[bool] = mapped_column(default=False, server_default="0")
    # The run whose plan this run applies (an approval), else None.
    menerapkan_run_id: Mapped[int | None]
    # The OPDs whose writes the guard held, each with why (kode_skpd → reason).
    ditahan: Mapped[dict[str, Any] | None]
    # An admin's decision on this run's waiting plan: "disetujui", "ditolak",
    # or "digantikan" when a later run decided the same records again.
    keputusan: Mapped[str | None] = mapped_column(String(20))
    diputuskan_oleh: Mapped[str | None] = mapped_column(String(100))
    diputuskan_pada: Mapped[datetime | None]
    alasan: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_sync_run_scope", "tahun_anggaran", "tahap", "id"),
        UniqueConstraint("tahun_anggaran", "tahap", "scheduled_for"),
    )


class RecordOutcome(Base):
    """Where one source record of a run ended (docs/design.md, promise 1)."""

    __tablename__ = "record_outcome"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("sync_run.id", ondelete="CASCADE"))
    source_id: Mapped[str] = mapped_column(String(64))
    source_updated_at: Mapped[datetime | None]
    kode_skpd: Mapped[str | None] = mapped_column(String(40))
    kode_sub_skpd: Mapped[str | None] = mapped_column(String(40))
    kode_sub_kegiatan: Mapped[str | None] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(20))
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    versi: Mapped[int | None]
    changed_fields: Mapped[list[Any] | None]
    message: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    run: Mapped[SyncRun] = relationship()

    __table_args__ = (
        UniqueConstraint("run_id", "source_id"),
        Index("ix_record_outcome_run_outcome", "run_id", "outcome"),
    )


class Rencana(Base):
    """One record of a run's plan: what the run decided to do to it in
    E-Planning, with the versi it saw and the fields that would change.

    A writing run pushes its plan at its apply stage; a preview keeps every
    record's decision for an admin; the guard holds an OPD's rows until an
    admin approves (they are pushed, each with ``If-Match`` = ``versi``) or
    refuses them.
    """

    __tablename__ = "rencana"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("sync_run.id", ondelete="CASCADE"))
    source_id: Mapped[str] = mapped_column(String(64))
    source_updated_at: Mapped[datetime]
    tahun_anggaran: Mapped[int]
    tahap: Mapped[str] = mapped_column(String(20))
    kode_skpd: Mapped[str] = mapped_column(String(40))
    kode_sub_skpd: Mapped[str] = mapped_column(String(40))
    kode_sub_kegiatan: Mapped[str] = mapped_column(String(40))
    nama_sub_kegiatan: Mapped[str | None] = mapped_column(Text)
    aksi: Mapped[str] = mapped_column(String(20))
    # The versi of E-Planning's copy the decision saw (None: it held none).
    versi: Mapped[int | None]
    aktif: Mapped[bool]
    sync_hash: Mapped[str] = mapped_column(String(64))
    # The record as it would go to E-Planning (JSON), and E-Program's names.
    body: Mapped[str] = mapped_column(Text)
    nama: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # [{"field", "sebelum", "sesudah"}] for an update or a conflict.
    perubahan: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(20))
    diterapkan_run_id: Mapped[int | None]

    __table_args__ = (
        Index("ix_rencana_run_status", "run_id", "status", "id"),
        Index("ix_rencana_run_opd", "run_id", "kode_skpd", "aksi"),
        # A page's keys in one run: run_id leads, so a lookup of a page's keys
        # seeks each key within the run (see app/repositories/rencana.py).
        Index(
            "ix_rencana_run_key",
            "run_id",
            "tahun_anggaran",
            "tahap",
            "kode_sub_skpd",
            "kode_sub_kegiatan",
        ),
        Index("ix_rencana_run_source", "run_id", "source_id"),
    )


class Checkpoint(Base):
    """The pull position of one tahun/tahap (docs/design.md, promise 3)."""

    __tablename__ = "checkpoint"

    tahun_anggaran: Mapped[int] = mapped_column(primary_key=True)
    tahap: Mapped[str] = mapped_column(String(20), primary_key=True)
    # Highest source `update_at` fully recorded, as E-Program writes it (WIB text),
    # and the ids seen at exactly that second: the next pull asks for that second
    # again (updated_since is inclusive) and skips these.
    watermark: Mapped[str | None] = mapped_column(String(32))
    watermark_ids: Mapped[list[Any]] = mapped_column(default=list)
    # Set while a pass is under way: where to continue after a crash, and the run
    # that began the pass (the runs that continue it keep it).
    pass_updated_since: Mapped[str | None] = mapped_column(String(32))
    pass_after: Mapped[str | None] = mapped_column(String(255))
    pass_run_id: Mapped[int | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PushedState(Base):
    """What the service last wrote to E-Planning for one natural key."""

    __tablename__ = "pushed_state"

    tahun_anggaran: Mapped[int] = mapped_column(primary_key=True)
    tahap: Mapped[str] = mapped_column(String(20), primary_key=True)
    kode_sub_skpd: Mapped[str] = mapped_column(String(40), primary_key=True)
    kode_sub_kegiatan: Mapped[str] = mapped_column(String(40), primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    versi: Mapped[int]
    aktif: Mapped[bool]
    source_id: Mapped[str | None] = mapped_column(String(64))
    run_id: Mapped[int | None]
    pushed_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class EPlanningMirror(Base):
    """E-Planning's copy of one record as last read or written by the service.

    Full runs refresh it from E-Planning and every push keeps it current, so a
    run looks up only the keys of the page in hand (an indexed query) instead of
    holding the whole scope in memory, and an incremental run need not read
    E-Planning at all: a planner's edit since is answered by 409 versi_berubah.
    """

    __tablename__ = "eplanning_mirror"

    tahun_anggaran: Mapped[int] = mapped_column(primary_key=True)
    tahap: Mapped[str] = mapped_column(String(20), primary_key=True)
    kode_sub_skpd: Mapped[str] = mapped_column(String(40), primary_key=True)
    kode_sub_kegiatan: Mapped[str] = mapped_column(String(40), primary_key=True)
    kode_skpd: Mapped[str | None] = mapped_column(String(40))
    versi: Mapped[int]
    diperbarui_oleh: Mapped[str] = mapped_column(String(100))
    aktif: Mapped[bool]
    sync_hash: Mapped[str] = mapped_column(String(64))
    sumber_id: Mapped[str | None] = mapped_column(String(64))
    sumber_diperbarui_pada: Mapped[datetime | None]
    body: Mapped[str] = mapped_column(Text)
    # The run whose read of E-Planning last saw it (a full read forgets the rest).
    read_run_id: Mapped[int | None]


class EPlanningMirrorScope(Base):
    """A tahun/tahap whose mirror was filled by a complete read of E-Planning."""

    __tablename__ = "eplanning_mirror_scope"

    tahun_anggaran: Mapped[int] = mapped_column(primary_key=True)
    tahap: Mapped[str] = mapped_column(String(20), primary_key=True)
    read_run_id: Mapped[int]
    read_at: Mapped[datetime] = mapped_column(default=utcnow)


class PushKey(Base):
    """An idempotency key, stored before the first attempt (docs/design.md, promise 2)."""

    __tablename__ = "push_key"

    idempotency_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    tahun_anggaran: Mapped[int]
    tahap: Mapped[str] = mapped_column(String(20))
    kode_sub_skpd: Mapped[str] = mapped_column(String(40))
    kode_sub_kegiatan: Mapped[str] = mapped_column(String(40))
    op: Mapped[str] = mapped_column(String(10))
    content_hash: Mapped[str] = mapped_column(String(64))
    base_versi: Mapped[int | None]
    first_run_id: Mapped[int | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_status: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Mismatch(Base):
    """A difference a planner should see (docs: mismatch categories).

    ``identitas`` names the problem ("what record, which kategori, which field"),
    so the same problem found again is the same row, whatever became of it.
    """

    __tablename__ = "mismatch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tahun_anggaran: Mapped[int]
    tahap: Mapped[str] = mapped_column(String(20))
    identitas: Mapped[str] = mapped_column(String(400))
    kode_skpd: Mapped[str | None] = mapped_column(String(40))
    kode_sub_skpd: Mapped[str | None] = mapped_column(String(40))
    kode_sub_kegiatan: Mapped[str | None] = mapped_column(String(40))
    nama_sub_kegiatan: Mapped[str | None] = mapped_column(Text)
    source_id: Mapped[str | None] = mapped_column(String(64))
    kategori: Mapped[str] = mapped_column(String(40))
    field: Mapped[str | None] = mapped_column(String(100))
    nilai_eprogram: Mapped[str | None] = mapped_column(Text)
    nilai_eplanning: Mapped[str | None] = mapped_column(Text)
    keterangan: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=MismatchStatus.BARU)
    first_run_id: Mapped[int | None]
    last_run_id: Mapped[int | None]
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The latest decision, kept on the row for lists; the whole story is in
    # mismatch_event.
    diputuskan_oleh: Mapped[str | None] = mapped_column(String(100))
    diputuskan_pada: Mapped[datetime | None]
    catatan: Mapped[str | None] = mapped_column(Text)
    # Follow-up (app.mismatches.tindak_lanjut): a person's first decision since
    # a run last opened it (None: belum ditanggapi), and when a run last found
    # it gone (None unless selesai).
    ditanggapi_pada: Mapped[datetime | None]
    selesai_pada: Mapped[datetime | None]
    # The finding this one follows from (one cause, counted once): left out
    # of counts and rankings while it has one.
    penyebab_id: Mapped[int | None] = mapped_column(
        ForeignKey("mismatch.id", ondelete="SET NULL"), index=True
    )

    events: Mapped[list[MismatchEvent]] = relationship(
        back_populates="mismatch",
        cascade="all, delete-orphan",
        order_by="MismatchEvent.id",
    )

    __table_args__ = (
        UniqueConstraint("tahun_anggaran", "tahap", "identitas"),
        Index("ix_mismatch_scope", "tahun_anggaran", "tahap", "kode_skpd", "status"),
        Index("ix_mismatch_record", "tahun_anggaran", "tahap", "source_id"),
        Index("ix_mismatch_kategori", "tahun_anggaran", "tahap", "kategori", "status"),
        # The list's order within a tahun/tahap: pages and searches (q) walk it by
        # id and stop at a full page, never sorting the whole tahun/tahap.
        Index("ix_mismatch_list", "tahun_anggaran", "tahap", "id"),
        # The exports' order (mismatches.stream) and the summary's open counts per
        # OPD and kategori, read from the index alone.
        Index(
            "ix_mismatch_opd_kategori",
            "tahun_anggaran",
            "tahap",
            "kode_skpd",
            "kategori",
            "status",
            "id",
        ),
    )


class MismatchEvent(Base):
    """One step in a mismatch's life: who moved it from what to what, and why."""

    __tablename__ = "mismatch_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mismatch_id: Mapped[int] = mapped_column(
        ForeignKey("mismatch.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    oleh: Mapped[str] = mapped_column(String(100))
    # The e-mail of the person whose key made the change; None for a run.
    oleh_email: Mapped[str | None] = mapped_column(String(254))
    dari: Mapped[str | None] = mapped_column(String(20))
    ke: Mapped[str] = mapped_column(String(20))
    catatan: Mapped[str | None] = mapped_column(Text)
    run_id: Mapped[int | None]

    mismatch: Mapped[Mismatch] = relationship(back_populates="events")

    __table_args__ = (
        # The newest decision a person made (app.repositories.versi_data).
        Index("ix_mismatch_event_orang", "run_id", "id"),
    )


class RecordState(Base):
    """Where each E-Program record of a tahun/tahap stands after its latest run:
    the figures the planners' summary adds up per OPD, program and kegiatan."""

    __tablename__ = "record_state"

    tahun_anggaran: Mapped[int] = mapped_column(primary_key=True)
    tahap: Mapped[str] = mapped_column(String(20), primary_key=True)
    source_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kode_skpd: Mapped[str | None] = mapped_column(String(40))
    nama_skpd: Mapped[str | None] = mapped_column(Text)
    kode_sub_skpd: Mapped[str | None] = mapped_column(String(40))
    kode_program: Mapped[str | None] = mapped_column(String(40))
    nama_program: Mapped[str | None] = mapped_column(Text)
    kode_kegiatan: Mapped[str | None] = mapped_column(String(40))
    nama_kegiatan: Mapped[str | None] = mapped_column(Text)
    kode_sub_kegiatan: Mapped[str | None] = mapped_column(String(40))
    nama_sub_kegiatan: Mapped[str | None] = mapped_column(Text)
    # Counts in the summary: active in E-Program and not a superseded copy.
    dalam_lingkup: Mapped[bool]
    # E-Planning holds exactly what E-Program says.
    tepat: Mapped[bool]
    # Ready for SAKIP: each of the four indicator levels has an indicator with
    # a name, a numeric target and a satuan (the four columns below).
    siap_sakip: Mapped[bool]
    siap_capaian_program: Mapped[bool] = mapped_column(default=False)
    siap_keluaran_kegiatan: Mapped[bool] = mapped_column(default=False)
    siap_hasil_kegiatan: Mapped[bool] = mapped_column(default=False)
    siap_keluaran_sub_kegiatan: Mapped[bool] = mapped_column(default=False)
    pagu_eprogram: Mapped[Decimal | None] = mapped_column(Money)
    pagu_eplanning: Mapped[Decimal | None] = mapped_column(Money)
    # The outcome and run of the run that last changed the row: a run where the
    # record stands as it stood writes nothing (app.repositories.ringkasan).
    outcome: Mapped[str] = mapped_column(String(20))
    run_id: Mapped[int | None]

    __table_args__ = (Index("ix_record_state_opd", "tahun_anggaran", "tahap", "kode_skpd"),)


class OpdSnapshot(Base):
    """An OPD's summary figures as one run left them: the planners' trend line."""

    __tablename__ = "opd_snapshot"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("sync_run.id", ondelete="CASCADE"))
    tahun_anggaran: Mapped[int]
    tahap: Mapped[str] = mapped_column(String(20))
    kode_skpd: Mapped[str] = mapped_column(String(40))
    jumlah: Mapped[int]
    tepat: Mapped[int]
    siap_sakip: Mapped[int]
    pagu_eprogram: Mapped[Decimal] = mapped_column(Money)
    pagu_eplanning: Mapped[Decimal] = mapped_column(Money)
    mismatch_terbuka: Mapped[int]
    at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("run_id", "kode_skpd"),
        Index("ix_opd_snapshot_scope", "tahun_anggaran", "tahap", "kode_skpd", "run_id"),
    )


class DeadLetter(Base):
    """A push that outlived its retries, kept with everything needed to replay it."""

    __tablename__ = "dead_letter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("sync_run.id", ondelete="CASCADE"))
    source_id: Mapped[str | None] = mapped_column(String(64))
    tahun_anggaran: Mapped[int]
    tahap: Mapped[str] = mapped_column(String(20))
    kode_sub_skpd: Mapped[str] = mapped_column(String(40))
    kode_sub_kegiatan: Mapped[str] = mapped_column(String(40))
    op: Mapped[str] = mapped_column(String(10))
    idempotency_key: Mapped[str] = mapped_column(String(255))
    if_match: Mapped[int | None]
    payload: Mapped[dict[str, Any] | None]
    error: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(20), default=DeadLetterStatus.OPEN, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]


class NomenklaturVersion(Base):
    __tablename__ = "nomenklatur_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tahun_anggaran: Mapped[int] = mapped_column(index=True)
    label: Mapped[str] = mapped_column(String(100))
    source_file: Mapped[str] = mapped_column(String(255))
    source_format: Mapped[str] = mapped_column(String(20))
    item_count: Mapped[int]
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)

    items: Mapped[list[NomenklaturItem]] = relationship(
        back_populates="version", cascade="all, delete-orphan"
    )


class NomenklaturItem(Base):
    __tablename__ = "nomenklatur_item"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("nomenklatur_version.id", ondelete="CASCADE")
    )
    kode: Mapped[str] = mapped_column(String(40))
    nama: Mapped[str] = mapped_column(Text)
    indikator: Mapped[str | None] = mapped_column(Text)
    satuan: Mapped[str | None] = mapped_column(String(100))
    jenis_pemda: Mapped[str] = mapped_column(String(10))
    kode_sebelumnya: Mapped[str | None] = mapped_column(String(40))

    version: Mapped[NomenklaturVersion] = relationship(back_populates="items")

    __table_args__ = (UniqueConstraint("version_id", "jenis_pemda", "kode"),)


class Lease(Base):
    """One row per exclusive job ("sync"): who holds it, until when, and a token
    that grows on every acquisition (docs/design.md, promise 4)."""

    __tablename__ = "lease"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(200))
    token: Mapped[int] = mapped_column(default=0)
    acquired_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]


class ApiKey(Base):
    """A client's key; only its SHA-256 is stored."""

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # A key is a person's: their name, and the e-mail that says who they are
    # (None on a key made before keys named people).
    name: Mapped[str] = mapped_column(String(100), unique=True)
    email: Mapped[str | None] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(20))
    # The OPDs (kode_skpd) a planner key is limited to; None for every OPD.
    kode_skpd: Mapped[list[Any] | None]
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class AuditEvent(Base):
    """Who did what, and every denied request."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    actor_email: Mapped[str | None] = mapped_column(String(254))
    role: Mapped[str | None] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(50))
    target: Mapped[str | None] = mapped_column(String(200))
    status_code: Mapped[int | None]
    client: Mapped[str | None] = mapped_column(String(100))
    detail: Mapped[dict[str, Any] | None]
    # Repeated denials from one address within a short window are one row:
    # how many there were, and when the last one came.
    count: Mapped[int] = mapped_column(default=1, server_default="1")
    last_at: Mapped[datetime | None]


class SourceRecord(Base):
    """The latest mapped content of every E-Program record, by source id.

    A natural key can have several E-Program records (an operator's copies).
    An incremental run sees only what changed; this table lets it compare the
    record in hand with the other copies it saw on earlier runs, so switching
    one copy off does not take the still-active real record with it.
    """

    __tablename__ = "source_record"

    tahun_anggaran: Mapped[int] = mapped_column(primary_key=True)
    tahap: Mapped[str] = mapped_column(String(20), primary_key=True)
    source_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kode_sub_skpd: Mapped[str] = mapped_column(String(40))
    kode_sub_kegiatan: Mapped[str] = mapped_column(String(40))
    aktif: Mapped[bool]
    source_updated_at: Mapped[datetime]
    body: Mapped[str] = mapped_column(Text)
    run_id: Mapped[int | None]

    __table_args__ = (
        Index(
            "ix_source_record_key", "tahun_anggaran", "tahap", "kode_sub_skpd", "kode_sub_kegiatan"
        ),
    )


class WebSession(Base):
    """A planner's sign-in on the report pages: the cookie holds the token, this
    row its SHA-256, the key it was made with and the form token (CSRF)."""

    __tablename__ = "web_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_key.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class UpstreamContact(Base):
    """How the last call to E-Program or E-Planning went, as every replica sees it."""

    __tablename__ = "upstream_contact"

    system: Mapped[str] = mapped_column(String(20), primary_key=True)
    reachable: Mapped[bool]
    checked_at: Mapped[datetime]
    detail: Mapped[str | None] = mapped_column(Text)


# -- digests: who is told what waits for an OPD (app/digests) -----------------


class OpdKontak(Base):
    """An address told what waits for an OPD; ``kode_skpd`` is ``pemda`` for the
    pemda-wide list (the Bappeda head, the Bupati's office)."""

    __tablename__ = "opd_kontak"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kode_skpd: Mapped[str] = mapped_column(String(40))
    email: Mapped[str] = mapped_column(String(254))
    dibuat_pada: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("kode_skpd", "email"),)


class DigestOutbox(Base):
    """A digest composed once and sent until it is out: ``kunci`` (kind, whose list,
    period) is unique, so every replica records it once; a failed send waits
    until ``coba_setelah`` and is tried again."""

    __tablename__ = "digest_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kunci: Mapped[str] = mapped_column(String(200), unique=True)
    jenis: Mapped[str] = mapped_column(String(20))
    tahun_anggaran: Mapped[int]
    tahap: Mapped[str] = mapped_column(String(20))
    kode_skpd: Mapped[str] = mapped_column(String(40))
    penerima: Mapped[list[Any]]
    subjek: Mapped[str] = mapped_column(String(300))
    teks: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]]
    run_id: Mapped[int | None]
    periode: Mapped[datetime]
    dibuat_pada: Mapped[datetime] = mapped_column(default=utcnow)
    terkirim_pada: Mapped[datetime | None]
    webhook_terkirim_pada: Mapped[datetime | None]
    percobaan: Mapped[int] = mapped_column(default=0, server_default="0")
    coba_setelah: Mapped[datetime | None]
    galat_terakhir: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_digest_outbox_opd", "tahun_anggaran", "tahap", "kode_skpd", "dibuat_pada"),
        Index("ix_digest_outbox_terkirim", "terkirim_pada", "dibuat_pada"),
    )
