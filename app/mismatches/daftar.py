"""What planners read: the list and its pages, counts, a search, one mismatch
with its history, the export's stream and the summary's open counts, always
within the OPDs the caller may see."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, or_, select, tuple_
from sqlalchemy.orm import Session, selectinload

from app.models import OPEN_MISMATCH, Mismatch
from app.text_search import contains_folded
from app.vocabulary import StatusFilter

_CHUNK = 500


@dataclass(frozen=True)
class MismatchFilter:
    """What a planner asks for. ``opd`` is the caller's OPD scope (None: all)."""

    tahun_anggaran: int | None = None
    tahap: str | None = None
    kode_skpd: str | None = None
    kategori: str | None = None
    status: str | None = None
    q: str | None = None
    opd: frozenset[str] | None = field(default=None)
    # Only problems filed under no OPD (a record whose OPD could not be read).
    tanpa_opd: bool = False

    def where(self) -> list[Any]:
        conditions: list[Any] = []
        if self.tahun_anggaran is not None:
            conditions.append(Mismatch.tahun_anggaran == self.tahun_anggaran)
        if self.tahap is not None:
            conditions.append(Mismatch.tahap == self.tahap)
        if self.kode_skpd is not None:
            conditions.append(Mismatch.kode_skpd == self.kode_skpd)
        if self.opd is not None:
            conditions.append(Mismatch.kode_skpd.in_(sorted(self.opd)))
        if self.tanpa_opd:
            conditions.append(Mismatch.kode_skpd.is_(None))
        if self.kategori is not None:
            conditions.append(Mismatch.kategori == self.kategori)
        if self.status == StatusFilter.TERBUKA:
            conditions.append(Mismatch.status.in_(OPEN_MISMATCH))
        elif self.status is not None:
            conditions.append(Mismatch.status == self.status)
        if self.q:
            words = self.q.strip().lower()
            # Codes and names only: a search over the whole tahun/tahap reads
            # every row, and each column costs.
            searched = (
                Mismatch.kode_sub_kegiatan,
                Mismatch.nama_sub_kegiatan,
                Mismatch.kode_sub_skpd,
                Mismatch.kode_skpd,
            )
            conditions.append(or_(*(contains_folded(column, words) for column in searched)))
        return conditions


def _select(f: MismatchFilter) -> Select[Mismatch]:
    return select(Mismatch).where(*f.where())


def page(
    session: Session, f: MismatchFilter, *, after_id: int | None, limit: int
) -> Sequence[Mismatch]:
    """One page in id order (fetch ``limit + 1`` to know whether more follow)."""
    stmt = _select(f).order_by(Mismatch.id).limit(limit)
    if after_id is not None:
        stmt = stmt.where(Mismatch.id > after_id)
    return session.scalars(stmt).all()


def stream(session: Session, f: MismatchFilter, *, chunk: int = 1000) -> Iterator[Mismatch]:
    """Every match, OPD by OPD, kategori by kategori and status by status (rows
    without an OPD first), a chunk at a time (exports: never the whole list in
    memory)."""
    # Keyset pages over plain columns with a row-value comparison: the index
    # ix_mismatch_opd_kategori is walked from where the last chunk ended, never
    # sorted again (the NULL OPD has no place in a row-value order, so it goes first).
    yield from _keyset(
        session,
        _select(f).where(Mismatch.kode_skpd.is_(None)),
        (Mismatch.kategori, Mismatch.status, Mismatch.id),
        chunk,
    )
    yield from _keyset(
        session,
        _select(f).where(Mismatch.kode_skpd.is_not(None)),
        (Mismatch.kode_skpd, Mismatch.kategori, Mismatch.status, Mismatch.id),
        chunk,
    )


def _keyset(
    session: Session, stmt: Select[Mismatch], key: tuple[Any, ...], chunk: int
) -> Iterator[Mismatch]:
    after: tuple[Any, ...] | None = None
    while True:
        page = stmt.order_by(*key).limit(chunk)
        if after is not None:
            page = page.where(tuple_(*key) > tuple_(*after))
        rows = session.scalars(page).all()
        yield from rows
        if len(rows) < chunk:
            return
        after = tuple(getattr(rows[-1], column.key) for column in key)
        session.expunge_all()


def count(session: Session, f: MismatchFilter) -> int:
    return int(session.scalar(select(func.count()).select_from(Mismatch).where(*f.where())) or 0)


def get(session: Session, mismatch_id: int, *, opd: frozenset[str] | None) -> Mismatch | None:
    """A mismatch with its history; None also when it lies outside ``opd``."""
    row = session.scalars(
        select(Mismatch).where(Mismatch.id == mismatch_id).options(selectinload(Mismatch.events))
    ).first()
    if row is None or (opd is not None and row.kode_skpd not in opd):
        return None
    return row


def ids_matching(session: Session, f: MismatchFilter, *, limit: int) -> list[int]:
    """Ids for a decision on many at once, bounded by ``limit``."""
    return list(
        session.scalars(
            _select(f).with_only_columns(Mismatch.id).order_by(Mismatch.id).limit(limit)
        )
    )


def by_ids(
    session: Session, ids: Sequence[int], *, opd: frozenset[str] | None
) -> dict[int, Mismatch]:
    """The mismatches with these ids that lie inside ``opd`` (None: all)."""
    found: dict[int, Mismatch] = {}
    wanted = sorted(set(ids))
    for start in range(0, len(wanted), _CHUNK):
        stmt = select(Mismatch).where(Mismatch.id.in_(wanted[start : start + _CHUNK]))
        if opd is not None:
            stmt = stmt.where(Mismatch.kode_skpd.in_(sorted(opd)))
        found.update((m.id, m) for m in session.scalars(stmt))
    return found


@dataclass(frozen=True)
class KategoriStats:
    """How many rows of one kategori match, and the longest text of each column
    asked about (so an export can size its columns before it writes the first row)."""

    kategori: str
    jumlah: int
    longest: dict[str, int]


def kategori_stats(
    session: Session, f: MismatchFilter, *, measured: Sequence[str]
) -> list[KategoriStats]:
    """Per kategori of the matches: the count and the longest value of each
    ``measured`` text column."""
    columns = [getattr(Mismatch, name) for name in measured]
    rows = session.execute(
        select(
            Mismatch.kategori,
            func.count(),
            *(func.max(func.length(column)) for column in columns),
        )
        .where(*f.where())
        .group_by(Mismatch.kategori)
    ).all()
    return [
        KategoriStats(
            kategori=row[0],
            jumlah=int(row[1]),
            longest={name: int(n or 0) for name, n in zip(measured, row[2:], strict=True)},
        )
        for row in rows
    ]


def open_per_opd(
    session: Session, *, tahun_anggaran: int, tahap: str, opd: frozenset[str] | None = None
) -> list[tuple[str | None, str, int]]:
    """The summary's input: (kode_skpd, kategori, open mismatches) of a tahun/tahap,
    each cause counted once (a finding that follows from another is left out,
    app.mismatches.sebab)."""
    conditions = [
        Mismatch.tahun_anggaran == tahun_anggaran,
        Mismatch.tahap == tahap,
        Mismatch.status.in_(OPEN_MISMATCH),
        Mismatch.penyebab_id.is_(None),
    ]
    if opd is not None:
        conditions.append(Mismatch.kode_skpd.in_(sorted(opd)))
    rows = session.execute(
        select(Mismatch.kode_skpd, Mismatch.kategori, func.count())
        .where(*conditions)
        .group_by(Mismatch.kode_skpd, Mismatch.kategori)
    )
    return [(kode, kategori, int(n)) for kode, kategori, n in rows]


def scopes(session: Session) -> set[tuple[int, str]]:
    """The (tahun anggaran, tahap) pairs that have mismatches."""
    pairs = session.execute(select(Mismatch.tahun_anggaran, Mismatch.tahap).distinct())
    return {(int(tahun), str(tahap)) for tahun, tahap in pairs}


# The columns a page may sort the list by (its ``urut``; a leading "-": descending).
URUTAN: dict[str, Any] = {
    "id": Mismatch.id,
    "sub_kegiatan": Mismatch.kode_sub_kegiatan,
    "kategori": Mismatch.kategori,
    "isian": Mismatch.field,
    "status": Mismatch.status,
    "ditemukan": Mismatch.first_seen_at,
    "terakhir": Mismatch.last_seen_at,
}


def numbered_page(
    session: Session, f: MismatchFilter, *, urut: str, offset: int, limit: int
) -> Sequence[Mismatch]:
    """One numbered page of the list sorted by ``urut`` (a key of URUTAN, "-"
    first for descending), ties in id order."""
    column = URUTAN[urut.removeprefix("-")]
    order = (column.desc() if urut.startswith("-") else column.asc()).nulls_last()
    stmt = _select(f).order_by(order, Mismatch.id).offset(offset).limit(limit)
    return session.scalars(stmt).all()
