"""index mismatch_event (run_id, id): the newest decision a person made

The overview is kept until the figures' data changes
(app.repositories.versi_data); a person's decision is told by the newest
history row without a run, read from this index instead of a scan of every
run's history rows.

Revision ID: b3d5f7a9c1e2
Revises: 9a7c3e5f1b20
Create Date: 2026-12-07 17:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "b3d5f7a9c1e2"
down_revision: str | None = "9a7c3e5f1b20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_mismatch_event_orang", "mismatch_event", ["run_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_mismatch_event_orang", table_name="mismatch_event")
