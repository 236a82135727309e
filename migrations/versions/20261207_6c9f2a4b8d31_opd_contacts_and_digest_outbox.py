"""opd contacts and the digest outbox: who is told what waits for an OPD, and
each digest recorded once until it is sent

Revision ID: 6c9f2a4b8d31
Revises: 5b8e1f3a7c20
Create Date: 2026-12-07 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6c9f2a4b8d31"
down_revision: str | None = "5b8e1f3a7c20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "opd_kontak",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kode_skpd", sa.String(length=40), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("dibuat_pada", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opd_kontak")),
        sa.UniqueConstraint("kode_skpd", "email", name=op.f("uq_opd_kontak_kode_skpd_email")),
    )
    op.create_table(
        "digest_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kunci", sa.String(length=200), nullable=False),
        sa.Column("jenis", sa.String(length=20), nullable=False),
        sa.Column("tahun_anggaran", sa.Integer(), nullable=False),
        sa.Column("tahap", sa.String(length=20), nullable=False),
        sa.Column("kode_skpd", sa.String(length=40), nullable=False),
        sa.Column("penerima", sa.JSON(), nullable=False),
        sa.Column("subjek", sa.String(length=300), nullable=False),
        sa.Column("teks", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("periode", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dibuat_pada", sa.DateTime(timezone=True), nullable=False),
        sa.Column("terkirim_pada", sa.DateTime(timezone=True), nullable=True),
        sa.Column("webhook_terkirim_pada", sa.DateTime(timezone=True), nullable=True),
        sa.Column("percobaan", sa.Integer(), server_default="0", nullable=False),
        sa.Column("coba_setelah", sa.DateTime(timezone=True), nullable=True),
        sa.Column("galat_terakhir", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_outbox")),
        sa.UniqueConstraint("kunci", name=op.f("uq_digest_outbox_kunci")),
    )
    op.create_index(
        "ix_digest_outbox_opd",
        "digest_outbox",
        ["tahun_anggaran", "tahap", "kode_skpd", "dibuat_pada"],
        unique=False,
    )
    op.create_index(
        "ix_digest_outbox_terkirim",
        "digest_outbox",
        ["terkirim_pada", "dibuat_pada"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_digest_outbox_terkirim", table_name="digest_outbox")
    op.drop_index("ix_digest_outbox_opd", table_name="digest_outbox")
    op.drop_table("digest_outbox")
    op.drop_table("opd_kontak")
