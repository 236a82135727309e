"""eplanning mirror: E-Planning's copy of each record, as last read or written

A run looks up the keys of the page in hand here instead of holding the whole
E-Planning scope in memory; an incremental run does not read E-Planning at all
once a full read has filled the mirror for its tahun/tahap.

Revision ID: 9d41c7e2b5a0
Revises: 27a37a8f8b6c
Create Date: 2026-12-02 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9d41c7e2b5a0"
down_revision: str | None = "27a37a8f8b6c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "eplanning_mirror",
        sa.Column("tahun_anggaran", sa.Integer(), nullable=False),
        sa.Column("tahap", sa.String(length=20), nullable=False),
        sa.Column("kode_sub_skpd", sa.String(length=40), nullable=False),
        sa.Column("kode_sub_kegiatan", sa.String(length=40), nullable=False),
        sa.Column("kode_skpd", sa.String(length=40), nullable=True),
        sa.Column("versi", sa.Integer(), nullable=False),
        sa.Column("diperbarui_oleh", sa.String(length=100), nullable=False),
        sa.Column("aktif", sa.Boolean(), nullable=False),
        sa.Column("sync_hash", sa.String(length=64), nullable=False),
        sa.Column("sumber_id", sa.String(length=64), nullable=True),
        sa.Column("sumber_diperbarui_pada", sa.DateTime(timezone=True), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("read_run_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint(
            "tahun_anggaran",
            "tahap",
            "kode_sub_skpd",
            "kode_sub_kegiatan",
            name=op.f("pk_eplanning_mirror"),
        ),
    )
    op.create_table(
        "eplanning_mirror_scope",
        sa.Column("tahun_anggaran", sa.Integer(), nullable=False),
        sa.Column("tahap", sa.String(length=20), nullable=False),
        sa.Column("read_run_id", sa.Integer(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tahun_anggaran", "tahap", name=op.f("pk_eplanning_mirror_scope")),
    )


def downgrade() -> None:
    op.drop_table("eplanning_mirror_scope")
    op.drop_table("eplanning_mirror")
