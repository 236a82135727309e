"""The pull position per tahun/tahap (docs/design.md, promise 3)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Checkpoint, SyncRun


def get(session: Session, tahun_anggaran: int, tahap: str) -> Checkpoint | None:
    return session.get(Checkpoint, (tahun_anggaran, tahap))


def get_or_create(session: Session, tahun_anggaran: int, tahap: str) -> Checkpoint:
    checkpoint = get(session, tahun_anggaran, tahap)
    if checkpoint is None:
        checkpoint = Checkpoint(tahun_anggaran=tahun_anggaran, tahap=tahap, watermark_ids=[])
        session.add(checkpoint)
        session.flush()
    return checkpoint


def advance(
    session: Session,
    *,
    tahun_anggaran: int,
    tahap: str,
    pass_run_id: int,
    pass_updated_since: str | None,
    next_after: str | None,
    watermark: str | None,
    watermark_ids: list[str],
) -> None:
    """Record that every record up to ``next_after`` is durably recorded.

    Called in the same transaction as the page's outcomes, so the cursor can
    never run ahead of what was recorded. ``pass_run_id`` is the run that began
    the pass: the runs of a pass continued after a crash are told apart by it.
    """
    checkpoint = get_or_create(session, tahun_anggaran, tahap)
    if watermark is not None:
        checkpoint.watermark = watermark
        checkpoint.watermark_ids = sorted(set(watermark_ids))
    if next_after is None:
        checkpoint.pass_after = None
        checkpoint.pass_updated_since = None
        checkpoint.pass_run_id = None
    else:
        checkpoint.pass_after = next_after
        checkpoint.pass_updated_since = pass_updated_since
        checkpoint.pass_run_id = pass_run_id
    session.flush()


def runs_of_pass(session: Session, tahun_anggaran: int, tahap: str, *, began: int) -> list[int]:
    """The runs of this tahun/tahap since the one that began a pass: those that
    continued it after a crash, and any run for some OPD meanwhile (what it saw
    was in E-Program too). A handful at most."""
    return list(
        session.scalars(
            select(SyncRun.id).where(
                SyncRun.tahun_anggaran == tahun_anggaran,
                SyncRun.tahap == tahap,
                SyncRun.id >= began,
            )
        )
    )
