"""Mismatches: one open row per (record, kategori, field), refreshed each run."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import insert, or_, select, update
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
    """Refresh the open mismatch of each (record, kategori, field), or open a new one."""
    rows = list(rows)
    if not rows:
        return
    now = utcnow()
    existing = _open_by_identity(session, rows)
    new: list[dict[str, object]] = []
    for row in rows:
        values = {
            "kode_skpd": row.kode_skpd,
            "kode_sub_skpd": row.kode_sub_skpd,
            "kode_sub_kegiatan": row.kode_sub_kegiatan,
            "nilai_eprogram": row.nilai_eprogram,
            "nilai_eplanning": row.nilai_eplanning,
            "keterangan": row.keterangan,
            "last_run_id": run_id,
            "last_seen_at": now,
        }
        found = existing.get(_identity(row))
        if found is not None:
            for name, value in values.items():
                setattr(found, name, value)
            continue
        new.append(
            {
                **values,
                "tahun_anggaran": row.tahun_anggaran,
                "tahap": row.tahap,
                "source_id": row.source_id,
                "kategori": row.kategori,
                "field": row.field,
                "status": "baru",
                "first_run_id": run_id,
                "first_seen_at": now,
            }
        )
    if new:
        session.execute(insert(Mismatch), new)
    session.flush()


def _identity(row: MismatchRow | Mismatch) -> tuple[int, str, str | None, str, str | None]:
    return (row.tahun_anggaran, row.tahap, row.source_id, row.kategori, row.field)


def _open_by_identity(
    session: Session, rows: list[MismatchRow]
) -> dict[tuple[int, str, str | None, str, str | None], Mismatch]:
    found: dict[tuple[int, str, str | None, str, str | None], Mismatch] = {}
    scopes = {(r.tahun_anggaran, r.tahap) for r in rows}
    for tahun, tahap in scopes:
        ids = sorted({r.source_id for r in rows if r.source_id is not None})
        for start in range(0, len(ids), 500):
            for mismatch in session.scalars(
                select(Mismatch).where(
                    Mismatch.tahun_anggaran == tahun,
                    Mismatch.tahap == tahap,
                    Mismatch.source_id.in_(ids[start : start + 500]),
                    Mismatch.status.in_(OPEN_STATUSES),
                )
            ):
                found[_identity(mismatch)] = mismatch
    return found


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
