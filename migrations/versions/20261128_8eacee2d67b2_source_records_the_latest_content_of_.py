"""source records: the latest content of every E-Program record

Revision ID: 8eacee2d67b2
Revises: bc149ae510fa
Create Date: 2026-11-28 17:28:58.639155
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8eacee2d67b2"
down_revision: str | None = "bc149ae510fa"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "source_record",
        sa.Column("tahun_anggaran", sa.Integer(), nullable=False),
        sa.Column("tahap", sa.String(length=20), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("kode_sub_skpd", sa.String(length=40), nullable=False),
        sa.Column("kode_sub_kegiatan", sa.String(length=40), nullable=False),
        sa.Column("aktif", sa.Boolean(), nullable=False),
        sa.Column("source_updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint(
            "tahun_anggaran", "tahap", "source_id", name=op.f("pk_source_record")
        ),
    )
    with op.batch_alter_table("source_record", schema=None) as batch_op:
        batch_op.create_index(
            "ix_source_record_key",
            ["tahun_anggaran", "tahap", "kode_sub_skpd", "kode_sub_kegiatan"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("source_record", schema=None) as batch_op:
        batch_op.drop_index("ix_source_record_key")

    op.drop_table("source_record")
