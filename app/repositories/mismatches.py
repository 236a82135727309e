"""Mismatches: one row per problem, whatever became of it, and its life.

A problem is named by its ``identitas`` (the record, the kategori, the field):
found again, it is the same row. Runs move rows between ``baru`` and
``selesai``; people move them with decisions (:func:`decide`). Every change of
status is kept in ``mismatch_event``.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import (
    Boolean,
    Row,
    Select,
    Table,
    bindparam,
    func,
    insert,
    literal,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from app.models import OPEN_MISMATCH, Mismatch, MismatchEvent, MismatchStatus, utcnow

# Re-exported (X as X for mypy strict); defined with no ORM import for `sinkron --help`.
from app.vocabulary import StatusFilter as StatusFilter  # noqa: PLC0414

# Who moves a mismatch when no person does.
SISTEM = "sistem"
_CHUNK = 500
_IDENTITAS_MAX = 400


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


# -- what runs do --------------------------------------------------------------


def record(session: Session, run_id: int, rows: Iterable[MismatchRow]) -> None:
    """Store the problems a run found: refresh the known ones, open new ones.

    A resolved problem found again opens again (``selesai`` → ``baru``); an
    excepted one stays quiet while both values stay the same and opens again
    when either changes.
    """
    latest = {(r.tahun_anggaran, r.tahap, r.identitas): r for r in rows}
    if not latest:
        return
    now = utcnow()
    existing = _by_identity(session, latest)
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for ident, row in latest.items():
        values = _values(row)
        found = existing.get(ident)
        if found is None:
            new.append(
                {
                    **values,
                    "tahun_anggaran": row.tahun_anggaran,
                    "tahap": row.tahap,
                    "identitas": ident[2],
                    "source_id": row.source_id,
                    "kategori": row.kategori,
                    "field": row.field,
                    "status": MismatchStatus.BARU,
                    "first_run_id": run_id,
                    "first_seen_at": now,
                    "last_run_id": run_id,
                    "last_seen_at": now,
                }
            )
            continue
        status = found.status
        reason = _reopen_reason(found, row, run_id)
        if reason is not None:
            events.append(
                _event(found.id, status, MismatchStatus.BARU, reason, run_id=run_id, at=now)
            )
            status = MismatchStatus.BARU
        changed.append(
            {"b_id": found.id, "b_status": status, "b_run": run_id, "b_at": now}
            | {f"b_{name}": value for name, value in values.items()}
        )
    if new:
        session.execute(insert(Mismatch), new)
    if changed:
        # One statement for the page's known problems, executed for each row.
        table = Mismatch.__table__
        assert isinstance(table, Table)
        session.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(
                status=bindparam("b_status"),
                last_run_id=bindparam("b_run"),
                last_seen_at=bindparam("b_at"),
                **{name: bindparam(f"b_{name}") for name in _VALUES},
            ),
            changed,
        )
    if events:
        session.execute(insert(MismatchEvent), events)


_VALUES = (
    "kode_skpd",
    "kode_sub_skpd",
    "kode_sub_kegiatan",
    "nama_sub_kegiatan",
    "nilai_eprogram",
    "nilai_eplanning",
    "keterangan",
)


def _values(row: MismatchRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in _VALUES}


def _reopen_reason(found: Any, row: MismatchRow, run_id: int) -> str | None:
    if found.status == MismatchStatus.SELESAI:
        return f"ditemukan lagi pada run {run_id}"
    if found.status == MismatchStatus.DIKECUALIKAN and (
        found.nilai_eprogram != row.nilai_eprogram or found.nilai_eplanning != row.nilai_eplanning
    ):
        return (
            f"nilai berubah pada run {run_id}: E-Program {found.nilai_eprogram or '-'} → "
            f"{row.nilai_eprogram or '-'}, E-Planning {found.nilai_eplanning or '-'} → "
            f"{row.nilai_eplanning or '-'}"
        )
    return None


def _by_identity(
    session: Session, rows: dict[tuple[int, str, str], MismatchRow]
) -> dict[tuple[int, str, str], Row[Any]]:
    """The stored problems with these identities, as plain rows."""
    found: dict[tuple[int, str, str], Row[Any]] = {}
    columns = (
        Mismatch.id,
        Mismatch.identitas,
        Mismatch.status,
        Mismatch.nilai_eprogram,
        Mismatch.nilai_eplanning,
    )
    for tahun, tahap in {(t, p) for t, p, _ in rows}:
        names = sorted(i for t, p, i in rows if (t, p) == (tahun, tahap))
        for start in range(0, len(names), _CHUNK):
            for mismatch in session.execute(
                select(*columns).where(
                    Mismatch.tahun_anggaran == tahun,
                    Mismatch.tahap == tahap,
                    Mismatch.identitas.in_(names[start : start + _CHUNK]),
                )
            ):
                found[(tahun, tahap, mismatch.identitas)] = cast("Row[Any]", mismatch)
    return found


def _event(
    mismatch_id: int,
    dari: str | None,
    ke: str,
    catatan: str | None,
    *,
    run_id: int | None,
    at: Any,
    oleh: str = SISTEM,
) -> dict[str, Any]:
    return {
        "mismatch_id": mismatch_id,
        "dari": dari,
        "ke": ke,
        "catatan": catatan,
        "run_id": run_id,
        "at": at,
        "oleh": oleh,
    }


_STILL_THERE = (MismatchStatus.BARU, MismatchStatus.DIAKUI, MismatchStatus.DIKECUALIKAN)


def resolve_for_sources(
    session: Session,
    *,
    tahun_anggaran: int,
    tahap: str,
    source_ids: Iterable[str],
    run_id: int,
    found: Collection[str] | None = None,
) -> None:
    """The records a run went through lose the problems it did not find again
    (call after :func:`record` for the same page).

    Without ``found``, "found again" means "seen earlier in this run". With it
    (the identities the page found), a record the feed sends twice in one run
    keeps only what its latest copy has.
    """
    ids = sorted(set(source_ids))
    for start in range(0, len(ids), _CHUNK):
        _resolve(
            session,
            run_id,
            Mismatch.tahun_anggaran == tahun_anggaran,
            Mismatch.tahap == tahap,
            Mismatch.source_id.in_(ids[start : start + _CHUNK]),
            found=found,
        )


def resolve_unseen(
    session: Session,
    *,
    tahun_anggaran: int,
    tahap: str,
    kategori: str,
    run_id: int,
    kode_skpd: Sequence[str] = (),
) -> None:
    """Problems of ``kategori`` that a run looking at everything of its scope
    (a full run) did not find again are gone."""
    conditions = [
        Mismatch.tahun_anggaran == tahun_anggaran,
        Mismatch.tahap == tahap,
        Mismatch.kategori == kategori,
    ]
    if kode_skpd:
        conditions.append(Mismatch.kode_skpd.in_(list(kode_skpd)))
    _resolve(session, run_id, *conditions)


def _resolve(
    session: Session, run_id: int, *conditions: Any, found: Collection[str] | None = None
) -> None:
    if found is None:
        conditions += (or_(Mismatch.last_run_id.is_(None), Mismatch.last_run_id != run_id),)
    gone = [
        m
        for m in session.execute(
            select(Mismatch.id, Mismatch.status, Mismatch.identitas).where(
                *conditions, Mismatch.status.in_(_STILL_THERE)
            )
        )
        if found is None or m.identitas not in found
    ]
    if not gone:
        return
    now = utcnow()
    session.execute(
        update(Mismatch)
        .where(Mismatch.id.in_([m.id for m in gone]))
        .values(status=MismatchStatus.SELESAI, last_run_id=run_id, last_seen_at=now)
        .execution_options(synchronize_session=False)
    )
    note = f"tidak ditemukan lagi pada run {run_id}"
    session.execute(
        insert(MismatchEvent),
        [_event(m.id, m.status, MismatchStatus.SELESAI, note, run_id=run_id, at=now) for m in gone],
    )


# -- what people do --------------------------------------------------------------


class Keputusan(enum.StrEnum):
    """A planner's decision on a mismatch."""

    AKUI = "akui"
    KECUALIKAN = "kecualikan"
    BUKA_KEMBALI = "buka-kembali"


_TRANSITIONS: dict[Keputusan, tuple[frozenset[str], MismatchStatus]] = {
    Keputusan.AKUI: (frozenset({MismatchStatus.BARU}), MismatchStatus.DIAKUI),
    Keputusan.KECUALIKAN: (
        frozenset({MismatchStatus.BARU, MismatchStatus.DIAKUI}),
        MismatchStatus.DIKECUALIKAN,
    ),
    Keputusan.BUKA_KEMBALI: (
        frozenset({MismatchStatus.DIAKUI, MismatchStatus.DIKECUALIKAN}),
        MismatchStatus.BARU,
    ),
}


class DecisionRefused(ValueError):
    """The decision does not apply to the mismatch as it stands; says why."""


def decide(
    session: Session, mismatch: Mismatch, keputusan: Keputusan, *, oleh: str, catatan: str | None
) -> None:
    """Apply one person's decision, keeping who, when, from, to and why."""
    if decide_many(session, [mismatch], keputusan, oleh=oleh, catatan=catatan).diubah == 0:
        allowed, _ = _TRANSITIONS[keputusan]
        raise DecisionRefused(
            f"mismatch {mismatch.id} berstatus '{mismatch.status}'; "
            f"'{keputusan}' hanya untuk status {', '.join(sorted(allowed))}"
        )


# -- what planners read ------------------------------------------------------------


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
            pattern = f"%{escape_like(self.q.strip().lower())}%"
            conditions.append(
                or_(
                    *(
                        _ContainsFolded(column, literal(pattern))
                        # Codes and names only: a search over the whole
                        # tahun/tahap reads every row, and each column costs.
                        for column in (
                            Mismatch.kode_sub_kegiatan,
                            Mismatch.nama_sub_kegiatan,
                            Mismatch.kode_sub_skpd,
                            Mismatch.kode_skpd,
                        )
                    )
                )
            )
        return conditions


class _ContainsFolded(FunctionElement[bool]):
    """``column LIKE pattern`` ignoring case (the pattern is lower case)."""

    type = Boolean()
    inherit_cache = True
    name = "contains_folded"


@compiles(_ContainsFolded)
def _contains_folded(element: _ContainsFolded, compiler: SQLCompiler, **kw: Any) -> str:
    # lower() LIKE rather than ILIKE: on PostgreSQL it takes half the time.
    column, pattern = (compiler.process(c, **kw) for c in element.clauses)
    return f"(lower({column}) LIKE {pattern} ESCAPE '\\')"


@compiles(_ContainsFolded, "sqlite")
def _contains_folded_sqlite(element: _ContainsFolded, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite's LIKE already ignores (ASCII) case, as its lower() does: no lower()
    # on every row halves the cost of a search that scans the table.
    column, pattern = (compiler.process(c, **kw) for c in element.clauses)
    return f"({column} LIKE {pattern} ESCAPE '\\')"


def escape_like(text: str) -> str:
    """``text`` matched literally by a LIKE pattern with ``ESCAPE '\\'``."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


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


@dataclass(frozen=True)
class KategoriStats:
    """How many rows of one kategori match, and the longest text of each column
    (so an export can size its columns before it writes the first row)."""

    kategori: str
    jumlah: int
    longest: dict[str, int]


# The text columns whose length an export needs to know.
_MEASURED = (
    "kode_skpd",
    "kode_sub_skpd",
    "kode_sub_kegiatan",
    "nama_sub_kegiatan",
    "field",
    "nilai_eprogram",
    "nilai_eplanning",
    "keterangan",
    "diputuskan_oleh",
    "catatan",
)


def kategori_stats(session: Session, f: MismatchFilter) -> list[KategoriStats]:
    """Per kategori of the matches: the count and the longest value per text column."""
    columns = [getattr(Mismatch, name) for name in _MEASURED]
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
            longest={name: int(n or 0) for name, n in zip(_MEASURED, row[2:], strict=True)},
        )
        for row in rows
    ]


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
class ManyDecided:
    """A decision on many at once: how many moved, and the rest by their status."""

    diubah: int
    dilewati: dict[str, int]


def decide_many(
    session: Session,
    rows: Iterable[Mismatch],
    keputusan: Keputusan,
    *,
    oleh: str,
    catatan: str | None,
) -> ManyDecided:
    """Apply one decision to every row whose status it applies to; the others
    are skipped and counted by status. Same rules and history as :func:`decide`."""
    catatan = (catatan or "").strip() or None
    if keputusan is Keputusan.KECUALIKAN and catatan is None:
        raise DecisionRefused("alasan wajib diisi untuk mengecualikan")
    allowed, to = _TRANSITIONS[keputusan]
    now = utcnow()
    events: list[dict[str, Any]] = []
    dilewati: dict[str, int] = {}
    for mismatch in rows:
        if mismatch.status not in allowed:
            dilewati[mismatch.status] = dilewati.get(mismatch.status, 0) + 1
            continue
        events.append(
            _event(mismatch.id, mismatch.status, to, catatan, run_id=None, at=now, oleh=oleh)
        )
        mismatch.status = to
        mismatch.diputuskan_oleh, mismatch.diputuskan_pada, mismatch.catatan = oleh, now, catatan
    if events:
        session.execute(insert(MismatchEvent), events)
    session.flush()
    return ManyDecided(diubah=len(events), dilewati=dilewati)
