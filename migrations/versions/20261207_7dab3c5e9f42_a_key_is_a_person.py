"""a key is a person: the holder's e-mail on the key, and in the history and audit log

The key's ``name`` is its holder's name (``sinkron keys create --name "Nama
Orang" --email ...``); the e-mail says who that is. A decision's history row
and an audit row keep the e-mail the key had when it was made.

Revision ID: 7dab3c5e9f42
Revises: 6c9f2a4b8d31
Create Date: 2026-12-07 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7dab3c5e9f42"
down_revision: str | None = "6c9f2a4b8d31"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=254), nullable=True))
    with op.batch_alter_table("mismatch_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("oleh_email", sa.String(length=254), nullable=True))
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("actor_email", sa.String(length=254), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_column("actor_email")
    with op.batch_alter_table("mismatch_event", schema=None) as batch_op:
        batch_op.drop_column("oleh_email")
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.drop_column("email")
