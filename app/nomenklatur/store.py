"""Versioned nomenclature per tahun anggaran (the repository for it)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import NomenklaturItem, NomenklaturVersion
from app.nomenklatur.reader import NomenklaturEntry, SourceFormat, entry_of
from mappings.nomenklatur import Nomenklatur, Referensi


def save_version(
    session: Session,
    *,
    tahun_anggaran: int,
    label: str,
    source: Path,
    source_format: SourceFormat,
    entries: Sequence[NomenklaturEntry],
) -> NomenklaturVersion:
    """Store a new version; older versions stay for history. Duplicate rows of one
    code and jenis pemda in the file keep the first occurrence."""
    version = NomenklaturVersion(
        tahun_anggaran=tahun_anggaran,
        label=label,
        source_file=source.name,
        source_format=source_format,
        item_count=0,
    )
    seen: set[tuple[str, str]] = set()
    for entry in entries:
        if (entry.jenis_pemda, entry.kode) in seen:
            continue
        seen.add((entry.jenis_pemda, entry.kode))
        version.items.append(
            NomenklaturItem(
                kode=entry.kode,
                nama=entry.nama,
                indikator=entry.indikator,
                satuan=entry.satuan,
                jenis_pemda=entry.jenis_pemda,
                kode_sebelumnya=entry.kode_sebelumnya,
            )
        )
    version.item_count = len(version.items)
    session.add(version)
    session.flush()
    return version


def save_items(
    session: Session,
    *,
    tahun_anggaran: int,
    label: str,
    source: Path,
    items: Sequence[Mapping[str, Any]],
) -> NomenklaturVersion:
    """Store items in E-Planning's ``referensi/nomenklatur`` shape (the stand-ins'
    sample) as a new version."""
    return save_version(
        session,
        tahun_anggaran=tahun_anggaran,
        label=label,
        source=source,
        source_format="sipd",  # the sample holds the SIPD export's fields
        entries=[entry_of(item) for item in items],
    )


def current_version(session: Session, tahun_anggaran: int) -> NomenklaturVersion | None:
    """The newest version imported for the year."""
    return session.scalars(
        select(NomenklaturVersion)
        .where(NomenklaturVersion.tahun_anggaran == tahun_anggaran)
        .order_by(NomenklaturVersion.id.desc())
        .limit(1)
    ).first()


def reference(session: Session, tahun_anggaran: int, jenis_pemda: str) -> Nomenklatur | None:
    """The current version's items for one jenis pemda, read once per run (a
    version is some thousands of rows); None when no version is imported."""
    version = current_version(session, tahun_anggaran)
    if version is None:
        return None
    rows = session.execute(
        select(
            NomenklaturItem.kode,
            NomenklaturItem.nama,
            NomenklaturItem.satuan,
            NomenklaturItem.kode_sebelumnya,
        ).where(
            NomenklaturItem.version_id == version.id, NomenklaturItem.jenis_pemda == jenis_pemda
        )
    )
    return Nomenklatur.of(version.label, [Referensi(*row) for row in rows])


def items_as_reference(session: Session, version_id: int) -> list[dict[str, str | None]]:
    """The version in E-Planning's `referensi/nomenklatur` item shape."""
    rows = session.scalars(
        select(NomenklaturItem)
        .where(NomenklaturItem.version_id == version_id)
        .order_by(NomenklaturItem.kode)
    )
    return [
        {
            "kode": r.kode,
            "nama": r.nama,
            "indikator": r.indikator,
            "satuan": r.satuan,
            "jenis_pemda": r.jenis_pemda,
            "kode_sebelumnya": r.kode_sebelumnya,
        }
        for r in rows
    ]


def all_versions(session: Session) -> Sequence[NomenklaturVersion]:
    return session.scalars(select(NomenklaturVersion).order_by(NomenklaturVersion.id)).all()


def knows_bidang(session: Session, bidang: str) -> bool:
    """Whether any imported version has a sub kegiatan of this bidang urusan
    ('1.02'): the first pair of a kode_skpd names the OPD's main bidang."""
    found = session.scalar(
        select(NomenklaturItem.id).where(NomenklaturItem.kode.startswith(f"{bidang}.")).limit(1)
    )
    return found is not None
