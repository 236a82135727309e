"""A run's plan (table ``rencana``): what it decided for each record, kept
until it is pushed, approved, refused or replaced (docs/design.md, "Preview,
approval and the guard")."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.orm import Session

from app.models import PlanStatus, Rencana
from app.repositories.natural_keys import rows_for_keys
from mappings.eplanning import NaturalKey

# Rows a run may still push: its own, or an approved plan's.
WAITING = (PlanStatus.PRATINJAU, PlanStatus.DITAHAN)


def save(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Add a page's plan rows. A key the run planned before on an earlier page
    is decided again here: the earlier row, never pushed, gives way."""
    if not rows:
        return
    run_id = rows[0]["run_id"]
    _give_way(
        session,
        run_id,
        [
            NaturalKey(r["tahun_anggaran"], r["tahap"], r["kode_sub_skpd"], r["kode_sub_kegiatan"])
            for r in rows
        ],
    )
    session.execute(insert(Rencana), list(rows))


def _give_way(session: Session, run_id: int, keys: Iterable[NaturalKey]) -> None:
    within = ("run_id", run_id)
    found = rows_for_keys(session, Rencana, keys, within=within, columns=("id", "status"))
    mark(session, [row.id for row in found if row.status in DECIDED_AGAIN], PlanStatus.DIGANTIKAN)


# A run's rows that a later decision of the same run replaces: never pushed.
DECIDED_AGAIN = (PlanStatus.TERTUNDA, PlanStatus.PRATINJAU)


def drop_sources(session: Session, run_id: int, source_ids: Iterable[str]) -> list[Row[Any]]:
    """A copy superseded later in the run: its row, not yet pushed, is dropped.
    Returns the rows dropped (their records need an outcome of their own)."""
    ids = sorted(set(source_ids))
    dropped: list[Row[Any]] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        where = (
            Rencana.run_id == run_id,
            Rencana.source_id.in_(chunk),
            Rencana.status.in_(DECIDED_AGAIN),
        )
        dropped += session.execute(select(*Rencana.__table__.c).where(*where)).all()
        session.execute(update(Rencana).where(*where).values(status=PlanStatus.DIGANTIKAN))
    return dropped


def next_page(
    session: Session, run_id: int, status: PlanStatus, *, after_id: int, limit: int
) -> list[Row[Any]]:
    """The next rows of a run's plan in one status, in the order they were decided."""
    stmt = (
        select(*Rencana.__table__.c)
        .where(Rencana.run_id == run_id, Rencana.status == status, Rencana.id > after_id)
        .order_by(Rencana.id)
        .limit(limit)
    )
    return list(session.execute(stmt).all())


def mark(
    session: Session, ids: Sequence[int], status: PlanStatus, *, run_id: int | None = None
) -> None:
    """Rows pushed (``run_id``: the run that pushed them), held, approved or refused."""
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        values: dict[str, Any] = {"status": status}
        if run_id is not None:
            values["diterapkan_run_id"] = run_id
        session.execute(update(Rencana).where(Rencana.id.in_(chunk)).values(**values))


def hold(session: Session, run_id: int, opds: Iterable[str]) -> None:
    """The guard holds these OPDs' rows of the run's plan for an admin."""
    session.execute(
        update(Rencana)
        .where(
            Rencana.run_id == run_id,
            Rencana.status == PlanStatus.TERTUNDA,
            Rencana.kode_skpd.in_(sorted(set(opds))),
        )
        .values(status=PlanStatus.DITAHAN)
    )


# The actions that write: only these rows are ever pushed.
WRITES = ("create", "update", "deactivate")


def decide(session: Session, run_id: int, status: PlanStatus) -> int:
    """An admin's decision on a run's waiting writes (a preview's rows that
    would leave a record alone or file a conflict are only shown); returns how
    many writes it covers."""
    result = session.execute(
        update(Rencana)
        .where(
            Rencana.run_id == run_id,
            Rencana.status.in_(WAITING),
            Rencana.aksi.in_(WRITES),
        )
        .values(status=status)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def set_aside_earlier(
    session: Session,
    *,
    tahun_anggaran: int,
    tahap: str,
    before_run: int,
    kode_skpd: Sequence[str] = (),
) -> list[int]:
    """A run that decides its scope (or these OPDs) again: what earlier runs
    left unpushed or waiting is decided anew, so their rows give way. Returns
    the runs whose held rows gave way."""
    where = [
        Rencana.tahun_anggaran == tahun_anggaran,
        Rencana.tahap == tahap,
        Rencana.run_id < before_run,
        Rencana.status.in_((PlanStatus.TERTUNDA, PlanStatus.DITAHAN)),
    ]
    if kode_skpd:
        where.append(Rencana.kode_skpd.in_(sorted(kode_skpd)))
    waiting = session.scalars(
        select(Rencana.run_id).where(*where, Rencana.status == PlanStatus.DITAHAN).distinct()
    ).all()
    session.execute(update(Rencana).where(*where).values(status=PlanStatus.DIGANTIKAN))
    return sorted(waiting)


def take_over(session: Session, *, tahun_anggaran: int, tahap: str, run_id: int) -> int:
    """A run that continues where an earlier one stopped pushes what that run
    decided and did not push (it will not pull those records again). Returns
    how many rows it took over."""
    result = session.execute(
        update(Rencana)
        .where(
            Rencana.tahun_anggaran == tahun_anggaran,
            Rencana.tahap == tahap,
            Rencana.run_id < run_id,
            Rencana.status == PlanStatus.TERTUNDA,
        )
        .values(run_id=run_id)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def counts(session: Session, run_id: int) -> dict[tuple[str, str, str], int]:
    """(kode_skpd, aksi, status) → rows of a run's plan."""
    rows = session.execute(
        select(Rencana.kode_skpd, Rencana.aksi, Rencana.status, func.count())
        .where(Rencana.run_id == run_id)
        .group_by(Rencana.kode_skpd, Rencana.aksi, Rencana.status)
    )
    return {(kode, aksi, status): n for kode, aksi, status, n in rows}


def copies_for_keys(session: Session, run_id: int, keys: Iterable[NaturalKey]) -> list[Row[Any]]:
    """A preview's copies of these keys on its earlier pages, shaped as
    source_record rows: a preview keeps its memory across pages here."""
    found = rows_for_keys(
        session, Rencana, keys, within=("run_id", run_id), columns=(*COPY_COLUMNS, "status")
    )
    return [row for row in found if row.status != PlanStatus.DIGANTIKAN]


# A plan row as a copy of a source record (app.sync.copies reads these).
COPY_COLUMNS = (
    "tahun_anggaran",
    "tahap",
    "source_id",
    "kode_sub_skpd",
    "kode_sub_kegiatan",
    "aktif",
    "source_updated_at",
    "body",
    "run_id",
)


def rows_of_run(
    session: Session,
    run_id: int,
    *,
    kode_skpd: str | None = None,
    aksi: str | None = None,
    opd: frozenset[str] | None = None,
    after_id: int | None = None,
    limit: int | None = None,
) -> Sequence[Rencana]:
    """A run's plan as the admin reads it (rows a later decision replaced left out)."""
    stmt = select(Rencana).where(Rencana.run_id == run_id, Rencana.status != PlanStatus.DIGANTIKAN)
    if kode_skpd is not None:
        stmt = stmt.where(Rencana.kode_skpd == kode_skpd)
    if opd is not None:
        stmt = stmt.where(Rencana.kode_skpd.in_(sorted(opd)))
    if aksi is not None:
        stmt = stmt.where(Rencana.aksi == aksi)
    if after_id is not None:
        stmt = stmt.where(Rencana.id > after_id)
    stmt = stmt.order_by(Rencana.id)
    if limit is not None:
        stmt = stmt.limit(limit)
    return session.scalars(stmt).all()


def count(session: Session, run_id: int, status: PlanStatus) -> int:
    """A run's rows in one status: TERTUNDA, still to be pushed by the run;
    DISETUJUI, approved and not pushed yet."""
    return int(
        session.scalar(
            select(func.count()).where(Rencana.run_id == run_id, Rencana.status == status)
        )
        or 0
    )


def approved_opds(session: Session, run_id: int) -> list[str]:
    """The OPDs of a run's approved rows not pushed yet."""
    return list(
        session.scalars(
            select(Rencana.kode_skpd)
            .where(Rencana.run_id == run_id, Rencana.status == PlanStatus.DISETUJUI)
            .distinct()
            .order_by(Rencana.kode_skpd)
        )
    )
