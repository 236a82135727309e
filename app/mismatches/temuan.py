"""What a run found: one problem of one record, before it is stored. Pure.

A problem is named by its ``identitas`` (the record, the kategori, the field):
found again, it is the same mismatch, whatever became of it.
"""

from __future__ import annotations

from dataclasses import dataclass

_IDENTITAS_MAX = 400  # mismatch.identitas


@dataclass(frozen=True)
class MismatchRow:
    """One problem a run found. ``kategori`` is a :class:`~app.vocabulary.Kategori`."""

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
    nama_sub_kegiatan: str | None = None

    @property
    def identitas(self) -> str:
        return identitas(
            source_id=self.source_id,
            kode_sub_skpd=self.kode_sub_skpd,
            kode_sub_kegiatan=self.kode_sub_kegiatan,
            kategori=self.kategori,
            field=self.field,
        )


def identitas(
    *,
    source_id: str | None,
    kode_sub_skpd: str | None,
    kode_sub_kegiatan: str | None,
    kategori: str,
    field: str | None,
) -> str:
    """The name of one problem: an E-Program record's (by its id) or, for what
    exists only in E-Planning, a natural key's."""
    record = (
        f"src:{source_id}" if source_id else f"epl:{kode_sub_skpd or ''}/{kode_sub_kegiatan or ''}"
    )
    return f"{record}|{kategori}|{field or ''}"[:_IDENTITAS_MAX]
