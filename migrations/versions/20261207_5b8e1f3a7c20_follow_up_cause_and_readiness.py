"""follow-up on findings (ditanggapi_pada, selesai_pada), one cause counted once
(penyebab_id) and SAKIP readiness per indicator level

Revision ID: 5b8e1f3a7c20
Revises: 3f6d2a9c81e4
Create Date: 2026-12-07 08:00:00.000000

Backfilled from mismatch_event: ``ditanggapi_pada`` is a person's first
decision after a run last opened the finding (``baru`` from ``selesai`` or
``dikecualikan``), ``selesai_pada`` the last move to ``selesai`` of a finding
that is still selesai. Readiness per level cannot be read back from
record_state: the keluaran sub kegiatan level keeps the old figure (it was
that level's), the other levels start not ready, and ``siap_sakip`` (all four)
with them, until the next run that reads the records again.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision: str = "5b8e1f3a7c20"
down_revision: str | None = "3f6d2a9c81e4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FK = "fk_mismatch_penyebab_id_mismatch"
_LEVELS = (
    "siap_capaian_program",
    "siap_keluaran_kegiatan",
    "siap_hasil_kegiatan",
    "siap_keluaran_sub_kegiatan",
)


@contextmanager
def _history_kept() -> Iterator[None]:
    """On SQLite a column that references a table is added or dropped with a
    copy of the table, and dropping the old one empties mismatch_event (ON
    DELETE CASCADE): keep the history aside meanwhile."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("CREATE TABLE _mismatch_event_simpan AS SELECT * FROM mismatch_event")
    yield
    if sqlite:
        op.execute("DELETE FROM mismatch_event")
        op.execute("INSERT INTO mismatch_event SELECT * FROM _mismatch_event_simpan")
        op.execute("DROP TABLE _mismatch_event_simpan")


def upgrade() -> None:
    with _history_kept(), op.batch_alter_table("mismatch", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ditanggapi_pada", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("selesai_pada", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("penyebab_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_mismatch_penyebab_id"), ["penyebab_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f(_FK), "mismatch", ["penyebab_id"], ["id"], ondelete="SET NULL"
        )
    with op.batch_alter_table("record_state", schema=None) as batch_op:
        for name in _LEVELS:
            batch_op.add_column(
                sa.Column(name, sa.Boolean(), server_default=sa.false(), nullable=False)
            )
    _backfill()


def _backfill() -> None:
    # A run's reopening: back to baru from a settled state, written by a run.
    op.execute(
        """
        UPDATE mismatch SET ditanggapi_pada = (
            SELECT MIN(e.at) FROM mismatch_event e
            WHERE e.mismatch_id = mismatch.id AND e.run_id IS NULL
              AND e.at >= COALESCE((
                  SELECT MAX(r.at) FROM mismatch_event r
                  WHERE r.mismatch_id = mismatch.id AND r.run_id IS NOT NULL
                    AND r.ke = 'baru'
              ), mismatch.first_seen_at)
        )
        """
    )
    op.execute(
        """
        UPDATE mismatch SET selesai_pada = (
            SELECT MAX(e.at) FROM mismatch_event e
            WHERE e.mismatch_id = mismatch.id AND e.ke = 'selesai'
        )
        WHERE status = 'selesai'
        """
    )
    op.execute(
        "UPDATE record_state SET siap_keluaran_sub_kegiatan = siap_sakip, siap_sakip = "
        + sa.false().compile(dialect=op.get_bind().dialect).string
    )


def downgrade() -> None:
    with op.batch_alter_table("record_state", schema=None) as batch_op:
        for name in reversed(_LEVELS):
            batch_op.drop_column(name)
    with _history_kept(), op.batch_alter_table("mismatch", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f(_FK), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_mismatch_penyebab_id"))
        batch_op.drop_column("penyebab_id")
        batch_op.drop_column("selesai_pada")
        batch_op.drop_column("ditanggapi_pada")
