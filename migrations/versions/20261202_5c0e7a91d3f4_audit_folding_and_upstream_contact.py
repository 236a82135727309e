"""audit rows that fold repeated denials; the last upstream contact in the database

Revision ID: 5c0e7a91d3f4
Revises: 2625c4642d4d
Create Date: 2026-12-02 13:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5c0e7a91d3f4"
down_revision: str | None = "2625c4642d4d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("count", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("last_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "upstream_contact",
        sa.Column("system", sa.String(length=20), nullable=False),
        sa.Column("reachable", sa.Boolean(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("system", name=op.f("pk_upstream_contact")),
    )


def downgrade() -> None:
    op.drop_table("upstream_contact")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_column("last_at")
        batch_op.drop_column("count")
