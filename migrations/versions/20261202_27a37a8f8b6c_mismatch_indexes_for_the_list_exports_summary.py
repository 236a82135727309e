"""mismatch indexes for the list, the exports and the summary

ix_mismatch_list: the list walks one tahun/tahap by id and stops at a full page
(a search included), instead of sorting every row of the tahun/tahap.
ix_mismatch_opd_kategori: the exports walk mismatches by OPD, kategori, status
and id (a keyset with a row-value comparison), and the summary counts open
mismatches per OPD and kategori from the index alone, with no sort.

Revision ID: 27a37a8f8b6c
Revises: 2625c4642d4d
Create Date: 2026-12-02 13:15:37.522149
"""

from collections.abc import Sequence

from alembic import op

revision: str = "27a37a8f8b6c"
down_revision: str | None = "2625c4642d4d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_mismatch_list", "mismatch", ["tahun_anggaran", "tahap", "id"])
    op.create_index(
        "ix_mismatch_opd_kategori",
        "mismatch",
        ["tahun_anggaran", "tahap", "kode_skpd", "kategori", "status", "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_mismatch_opd_kategori", table_name="mismatch")
    op.drop_index("ix_mismatch_list", table_name="mismatch")
