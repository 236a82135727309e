"""service: leases, api keys, audit, run control

Revision ID: bc149ae510fa
Revises: 2a154ca8e64d
Create Date: 2026-11-28 16:40:50.661027
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "bc149ae510fa"
down_revision: str | None = "2a154ca8e64d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_key")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_key_key_hash")),
        sa.UniqueConstraint("name", name=op.f("uq_api_key_name")),
    )
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=True),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=True),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("client", sa.String(length=100), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_at"), ["at"], unique=False)

    op.create_table(
        "lease",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=True),
        sa.Column("token", sa.Integer(), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_lease")),
    )
    with op.batch_alter_table("sync_run", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("cancel_requested", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("holder", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("lease_token", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("idempotency_key", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("scheduled_for", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_sync_run_idempotency_key"), ["idempotency_key"]
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_sync_run_tahun_anggaran_tahap_scheduled_for"),
            ["tahun_anggaran", "tahap", "scheduled_for"],
        )


def downgrade() -> None:
    with op.batch_alter_table("sync_run", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_sync_run_tahun_anggaran_tahap_scheduled_for"), type_="unique"
        )
        batch_op.drop_constraint(batch_op.f("uq_sync_run_idempotency_key"), type_="unique")
        batch_op.drop_column("scheduled_for")
        batch_op.drop_column("idempotency_key")
        batch_op.drop_column("lease_token")
        batch_op.drop_column("holder")
        batch_op.drop_column("cancel_requested")

    op.drop_table("lease")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_at"))

    op.drop_table("audit_event")
    op.drop_table("api_key")
