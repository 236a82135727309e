"""initial schema

Revision ID: 2a154ca8e64d
Revises:
Create Date: 2026-11-28 16:00:39.862648
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2a154ca8e64d"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "checkpoint",
        sa.Column("tahun_anggaran", sa.Integer(), nullable=False),
        sa.Column("tahap", sa.String(length=20), nullable=False),
        sa.Column("watermark", sa.String(length=32), nullable=True),
        sa.Column("watermark_ids", sa.JSON(), nullable=False),
        sa.Column("pass_updated_since", sa.String(length=32), nullable=True),
        sa.Column("pass_after", sa.String(length=255), nullable=True),
        sa.Column("pass_run_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tahun_anggaran", "tahap", name=op.f("pk_checkpoint")),
    )
    op.create_table(
        "mismatch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tahun_anggaran", sa.Integer(), nullable=False),
        sa.Column("tahap", sa.String(length=20), nullable=False),
        sa.Column("kode_skpd", sa.String(length=40), nullable=True),
        sa.Column("kode_sub_skpd", sa.String(length=40), nullable=True),
        sa.Column("kode_sub_kegiatan", sa.String(length=40), nullable=True),
        sa.Column("source_id", sa.String(length=64), nullable=True),
        sa.Column("kategori", sa.String(length=40), nullable=False),
        sa.Column("field", sa.String(length=100), nullable=True),
        sa.Column("nilai_eprogram", sa.Text(), nullable=True),
        sa.Column("nilai_eplanning", sa.Text(), nullable=True),
        sa.Column("keterangan", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("first_run_id", sa.Integer(), nullable=True),
        sa.Column("last_run_id", sa.Integer(), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mismatch")),
    )
    with op.batch_alter_table("mismatch", schema=None) as batch_op:
        batch_op.create_index(
            "ix_mismatch_record", ["tahun_anggaran", "tahap", "source_id"], unique=False
        )
        batch_op.create_index(
            "ix_mismatch_scope", ["tahun_anggaran", "tahap", "kode_skpd", "status"], unique=False
        )

    op.create_table(
        "nomenklatur_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tahun_anggaran", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("source_file", sa.String(length=255), nullable=False),
        sa.Column("source_format", sa.String(length=20), nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nomenklatur_version")),
    )
    with op.batch_alter_table("nomenklatur_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_nomenklatur_version_tahun_anggaran"), ["tahun_anggaran"], unique=False
        )

    op.create_table(
        "push_key",
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("tahun_anggaran", sa.Integer(), nullable=False),
        sa.Column("tahap", sa.String(length=20), nullable=False),
        sa.Column("kode_sub_skpd", sa.String(length=40), nullable=False),
        sa.Column("kode_sub_kegiatan", sa.String(length=40), nullable=False),
        sa.Column("op", sa.String(length=10), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("base_versi", sa.Integer(), nullable=True),
        sa.Column("first_run_id", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("idempotency_key", name=op.f("pk_push_key")),
    )
    op.create_table(
        "pushed_state",
        sa.Column("tahun_anggaran", sa.Integer(), nullable=False),
        sa.Column("tahap", sa.String(length=20), nullable=False),
        sa.Column("kode_sub_skpd", sa.String(length=40), nullable=False),
        sa.Column("kode_sub_kegiatan", sa.String(length=40), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("versi", sa.Integer(), nullable=False),
        sa.Column("aktif", sa.Boolean(), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("pushed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "tahun_anggaran",
            "tahap",
            "kode_sub_skpd",
            "kode_sub_kegiatan",
            name=op.f("pk_pushed_state"),
        ),
    )
    op.create_table(
        "sync_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tahun_anggaran", sa.Integer(), nullable=False),
        sa.Column("tahap", sa.String(length=20), nullable=False),
        sa.Column("kode_skpd", sa.JSON(), nullable=True),
        sa.Column("full", sa.Boolean(), nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("triggered_by", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("records_pulled", sa.Integer(), nullable=False),
        sa.Column("outcome_counts", sa.JSON(), nullable=False),
        sa.Column("stage_seconds", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_run")),
    )
    with op.batch_alter_table("sync_run", schema=None) as batch_op:
        batch_op.create_index("ix_sync_run_scope", ["tahun_anggaran", "tahap", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sync_run_status"), ["status"], unique=False)

    op.create_table(
        "dead_letter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=True),
        sa.Column("tahun_anggaran", sa.Integer(), nullable=False),
        sa.Column("tahap", sa.String(length=20), nullable=False),
        sa.Column("kode_sub_skpd", sa.String(length=40), nullable=False),
        sa.Column("kode_sub_kegiatan", sa.String(length=40), nullable=False),
        sa.Column("op", sa.String(length=10), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("if_match", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["sync_run.id"],
            name=op.f("fk_dead_letter_run_id_sync_run"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dead_letter")),
    )
    with op.batch_alter_table("dead_letter", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dead_letter_status"), ["status"], unique=False)

    op.create_table(
        "nomenklatur_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("kode", sa.String(length=40), nullable=False),
        sa.Column("nama", sa.Text(), nullable=False),
        sa.Column("indikator", sa.Text(), nullable=True),
        sa.Column("satuan", sa.String(length=100), nullable=True),
        sa.Column("jenis_pemda", sa.String(length=10), nullable=False),
        sa.Column("kode_sebelumnya", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["nomenklatur_version.id"],
            name=op.f("fk_nomenklatur_item_version_id_nomenklatur_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nomenklatur_item")),
        sa.UniqueConstraint(
            "version_id",
            "jenis_pemda",
            "kode",
            name=op.f("uq_nomenklatur_item_version_id_jenis_pemda_kode"),
        ),
    )
    op.create_table(
        "record_outcome",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("source_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("kode_skpd", sa.String(length=40), nullable=True),
        sa.Column("kode_sub_skpd", sa.String(length=40), nullable=True),
        sa.Column("kode_sub_kegiatan", sa.String(length=40), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=True),
        sa.Column("versi", sa.Integer(), nullable=True),
        sa.Column("changed_fields", sa.JSON(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["sync_run.id"],
            name=op.f("fk_record_outcome_run_id_sync_run"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_outcome")),
        sa.UniqueConstraint("run_id", "source_id", name=op.f("uq_record_outcome_run_id_source_id")),
    )
    with op.batch_alter_table("record_outcome", schema=None) as batch_op:
        batch_op.create_index("ix_record_outcome_run_outcome", ["run_id", "outcome"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("record_outcome", schema=None) as batch_op:
        batch_op.drop_index("ix_record_outcome_run_outcome")

    op.drop_table("record_outcome")
    op.drop_table("nomenklatur_item")
    with op.batch_alter_table("dead_letter", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dead_letter_status"))

    op.drop_table("dead_letter")
    with op.batch_alter_table("sync_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_run_status"))
        batch_op.drop_index("ix_sync_run_scope")

    op.drop_table("sync_run")
    op.drop_table("pushed_state")
    op.drop_table("push_key")
    with op.batch_alter_table("nomenklatur_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_nomenklatur_version_tahun_anggaran"))

    op.drop_table("nomenklatur_version")
    with op.batch_alter_table("mismatch", schema=None) as batch_op:
        batch_op.drop_index("ix_mismatch_scope")
        batch_op.drop_index("ix_mismatch_record")

    op.drop_table("mismatch")
    op.drop_table("checkpoint")
