"""record_state keeps the program's and kegiatan's names beside their codes

The OPD page's pagu tables show "kode — nama" for each program and kegiatan,
with the names as E-Program gives them (``nama_program``, ``nama_giat``). Rows
written before this revision have no names: they show the code alone until
the next run of their tahun/tahap writes them again.

Plain ``add_column`` (an ALTER TABLE on SQLite too), not a batch table copy.

Revision ID: 8e1b4c6d2f70
Revises: 7dab3c5e9f42
Create Date: 2026-12-07 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8e1b4c6d2f70"
down_revision: str | None = "7dab3c5e9f42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("record_state", sa.Column("nama_program", sa.Text(), nullable=True))
    op.add_column("record_state", sa.Column("nama_kegiatan", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("record_state", "nama_kegiatan")
    op.drop_column("record_state", "nama_program")
