"""the plan (table rencana): previews, the guard's held writes, approvals

A run's decisions per record are kept in ``rencana``; ``sync_run`` gains
``pratinjau`` (a preview), ``paksa`` (the guard skipped), ``menerapkan_run_id``
(an approval: the run whose plan it applies) and the admin's decision.

Revision ID: 9a7c3e5f1b20
Revises: 8e1b4c6d2f70
Create Date: 2026-12-07 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9a7c3e5f1b20"
down_revision: str | None = "8e1b4c6d2f70"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "sync_run", sa.Column("pratinjau", sa.Boolean(), server_default="0", nullable=False)
    )
    op.add_column("sync_run", sa.Column("paksa", sa.Boolean(), server_default="0", nullable=False))
    op.add_column("sync_run", sa.Column("menerapkan_run_id", sa.Integer(), nullable=True))
    op.add_column("sync_run", sa.Column("ditahan", sa.JSON(), nullable=True))
    op.add_column("sync_run", sa.Column("keputusan", sa.String(length=20), nullable=True))
    op.add_column("sync_run", sa.Column("diputuskan_oleh", sa.String(length=100), nullable=True))
    op.add_column(
        "sync_run", sa.Column("diputuskan_pada", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("sync_run", sa.Column("alasan", sa.Text(), nullable=True))
    op.create_table(
        "rencana",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("source_updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tahun_anggaran", sa.Integer(), nullable=False),
        sa.Column("tahap", sa.String(length=20), nullable=False),
        sa.Column("kode_skpd", sa.String(length=40), nullable=False),
        sa.Column("kode_sub_skpd", sa.String(length=40), nullable=False),
        sa.Column("kode_sub_kegiatan", sa.String(length=40), nullable=False),
        sa.Column("nama_sub_kegiatan", sa.Text(), nullable=True),
        sa.Column("aksi", sa.String(length=20), nullable=False),
        sa.Column("versi", sa.Integer(), nullable=True),
        sa.Column("aktif", sa.Boolean(), nullable=False),
        sa.Column("sync_hash", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("nama", sa.JSON(), nullable=False),
        sa.Column("perubahan", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("diterapkan_run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["sync_run.id"], name=op.f("fk_rencana_run_id_sync_run"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rencana")),
    )
    op.create_index("ix_rencana_run_status", "rencana", ["run_id", "status", "id"])
    op.create_index("ix_rencana_run_opd", "rencana", ["run_id", "kode_skpd", "aksi"])
    op.create_index(
        "ix_rencana_run_key",
        "rencana",
        ["run_id", "tahun_anggaran", "tahap", "kode_sub_skpd", "kode_sub_kegiatan"],
    )
    op.create_index("ix_rencana_run_source", "rencana", ["run_id", "source_id"])


def downgrade() -> None:
    op.drop_index("ix_rencana_run_source", table_name="rencana")
    op.drop_index("ix_rencana_run_key", table_name="rencana")
    op.drop_index("ix_rencana_run_opd", table_name="rencana")
    op.drop_index("ix_rencana_run_status", table_name="rencana")
    op.drop_table("rencana")
    for column in (
        "alasan",
        "diputuskan_pada",
        "diputuskan_oleh",
        "keputusan",
        "ditahan",
        "menerapkan_run_id",
        "paksa",
        "pratinjau",
    ):
        op.drop_column("sync_run", column)
