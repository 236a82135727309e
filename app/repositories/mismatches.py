"""Mismatches: one open row per (record, kategori, field), refreshed each run."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from app.models import Mismatch, utcnow

OPEN_STATUSES = ("baru", "diakui")


@dataclass(frozen=True)
class MismatchRow:
    tahun_anggaran: int
    tahap: str
    source_id: str | None
    kategori: str
    field: str | None
    nilai_eprogram: str | None
    nilai_eplanning: str | None
    keterangan: str | None
    kode_skpd: str | None = None
    kode_sub_skpd: str | None = None
    kode_sub_kegiatan: str | None = None


def record(session: Session, run_id: int, rows: Iterable[MismatchRow]) -> None:
    now = utcnow()
    for row in rows:
        existing = session.scalars(
            select(Mismatch).where(
                Mismatch.tahun_anggaran == row.tahun_anggaran,
                Mismatch.tahap == row.tahap,
                Mismatch.source_id == row.source_id,
                Mismatch.kategori == row.kategori,
                Mismatch.field == row.field,
                Mismatch.status.in_(OPEN_STATUSES),
            )
        ).first()
        if existing is None:
            existing = Mismatch(
                tahun_anggaran=row.tahun_anggaran,
                tahap=row.tahap,
                source_id=row.source_id,
                kategori=row.kategori,
                field=row.field,
                status="baru",
                first_run_id=run_id,
                first_seen_at=now,
            )
            session.add(existing)
        existing.kode_skpd = row.kode_skpd
        existing.kode_sub_skpd = row.kode_sub_skpd
        existing.kode_sub_kegiatan = row.kode_sub_kegiatan
        existing.nilai_eprogram = row.nilai_eprogram
        existing.nilai_eplanning = row.nilai_eplanning
        existing.keterangan = row.keterangan
        existing.last_run_id = run_id
        existing.last_seen_at = now
    session.flush()


def resolve_for_sources(
    session: Session, *, tahun_anggaran: int, tahap: str, source_ids: Iterable[str], run_id: int
) -> None:
    """Records that went through cleanly lose the mismatches this run did not
    report again (call after :func:`record` for the same page)."""
    ids = list(source_ids)
    for start in range(0, len(ids), 500):
        session.execute(
            update(Mismatch)
            .where(
                Mismatch.tahun_anggaran == tahun_anggaran,
                Mismatch.tahap == tahap,
                Mismatch.source_id.in_(ids[start : start + 500]),
                Mismatch.status.in_(OPEN_STATUSES),
                or_(Mismatch.last_run_id.is_(None), Mismatch.last_run_id != run_id),
            )
            .values(status="selesai", last_run_id=run_id, last_seen_at=utcnow())
        )


def open_for_scope(session: Session, *, tahun_anggaran: int, tahap: str) -> list[Mismatch]:
    return list(
        session.scalars(
            select(Mismatch)
            .where(
                Mismatch.tahun_anggaran == tahun_anggaran,
                Mismatch.tahap == tahap,
                Mismatch.status.in_(OPEN_STATUSES),
            )
            .order_by(Mismatch.kode_skpd, Mismatch.kode_sub_kegiatan, Mismatch.id)
        )
    )
