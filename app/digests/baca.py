"""The digests' queries: contacts, the outbox, and what is new or waiting per OPD."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from app.digests.alamat import PEMDA
from app.mismatches.tindak_lanjut import TindakLanjutOpd, sejak_baku, umur_hari
from app.mismatches.tindak_lanjut_baca import baca_tindak_lanjut
from app.models import (
    OPEN_MISMATCH,
    DigestOutbox,
    Mismatch,
    MismatchStatus,
    OpdKontak,
    RecordState,
)
from app.repositories import runs

# -- contacts ---------------------------------------------------------------------


def kontak_set(session: Session, kode_skpd: str, emails: Sequence[str]) -> None:
    """The list of ``kode_skpd`` (or PEMDA) becomes exactly ``emails``."""
    session.execute(delete(OpdKontak).where(OpdKontak.kode_skpd == kode_skpd))
    session.add_all(OpdKontak(kode_skpd=kode_skpd, email=e) for e in emails)
    session.flush()


def kontak_hapus(session: Session, kode_skpd: str, emails: Sequence[str] = ()) -> int:
    """Remove these addresses from the list (all of them when none is named); how many."""
    stmt = delete(OpdKontak).where(OpdKontak.kode_skpd == kode_skpd)
    if emails:
        stmt = stmt.where(OpdKontak.email.in_(list(emails)))
    return int(session.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]


def kontak_semua(session: Session) -> dict[str, list[str]]:
    """Every list: kode_skpd (PEMDA for the pemda's) → its addresses, sorted."""
    found: dict[str, list[str]] = {}
    rows = session.execute(
        select(OpdKontak.kode_skpd, OpdKontak.email).order_by(OpdKontak.kode_skpd, OpdKontak.email)
    )
    for kode, email in rows:
        found.setdefault(kode, []).append(email)
    return found


def kontak_opd(session: Session) -> dict[str, list[str]]:
    """The OPDs' lists, the pemda's left out."""
    return {k: v for k, v in kontak_semua(session).items() if k != PEMDA}


# -- what is new or waiting -----------------------------------------------------------


def baru_pada_run(session: Session, run_id: int) -> dict[str, int]:
    """Open findings first found by this run, per OPD (one cause counted once:
    a finding that follows from another is left out)."""
    rows = session.execute(
        select(Mismatch.kode_skpd, func.count())
        .where(
            Mismatch.first_run_id == run_id,
            Mismatch.status.in_(OPEN_MISMATCH),
            Mismatch.kode_skpd.is_not(None),
            Mismatch.penyebab_id.is_(None),
        )
        .group_by(Mismatch.kode_skpd)
    )
    return {str(kode): int(n) for kode, n in rows}


def baru_sejak(
    session: Session,
    *,
    tahun_anggaran: int,
    tahap: str,
    kode_skpd: str,
    sejak: datetime | None,
    limit: int,
) -> tuple[list[Mismatch], int]:
    """Open findings of an OPD first found after ``sejak`` (all when None), a
    consequence of another left out: the first ``limit`` of them, oldest first,
    and how many there are."""
    conditions: list[Any] = [
        Mismatch.tahun_anggaran == tahun_anggaran,
        Mismatch.tahap == tahap,
        Mismatch.kode_skpd == kode_skpd,
        Mismatch.status.in_(OPEN_MISMATCH),
        Mismatch.penyebab_id.is_(None),
    ]
    if sejak is not None:
        conditions.append(Mismatch.first_seen_at > sejak)
    jumlah = session.scalar(select(func.count()).select_from(Mismatch).where(*conditions)) or 0
    rows = session.scalars(
        select(Mismatch)
        .where(*conditions)
        .order_by(Mismatch.first_seen_at, Mismatch.id)
        .limit(limit)
    ).all()
    return list(rows), int(jumlah)


@dataclass(frozen=True)
class Menunggu:
    """An OPD's findings no one has answered for longer than the limit."""

    jumlah: int
    tertua_hari: int


def lewat_batas(
    session: Session, *, tahun_anggaran: int, tahap: str, sekarang: datetime, batas_hari: int
) -> dict[str, Menunggu]:
    """Per OPD: findings belum ditanggapi (``baru``, no person's decision since a run
    last opened them; a consequence of another left out) whose age is past
    ``batas_hari`` whole days, as the follow-up counts ages."""
    rows = session.execute(
        select(Mismatch.kode_skpd, func.count(), func.min(Mismatch.first_seen_at))
        .where(
            Mismatch.tahun_anggaran == tahun_anggaran,
            Mismatch.tahap == tahap,
            Mismatch.status == MismatchStatus.BARU,
            Mismatch.ditanggapi_pada.is_(None),
            Mismatch.penyebab_id.is_(None),
            Mismatch.first_seen_at <= sekarang - timedelta(days=batas_hari + 1),
            Mismatch.kode_skpd.is_not(None),
        )
        .group_by(Mismatch.kode_skpd)
    )
    return {str(kode): Menunggu(int(n), umur_hari(tertua, sekarang)) for kode, n, tertua in rows}


def tindak_lanjut(
    session: Session, *, tahun_anggaran: int, tahap: str, sekarang: datetime, batas_hari: int
) -> dict[str, TindakLanjutOpd]:
    """Every OPD's follow-up (status, rank, counts) over the default period."""
    figures = baca_tindak_lanjut(
        session,
        tahun_anggaran=tahun_anggaran,
        tahap=tahap,
        sejak=sejak_baku(sekarang),
        sekarang=sekarang,
        batas_hari=batas_hari,
        kode_skpd=None,
    )
    return {o.kode_skpd: o for o in figures.opd if o.kode_skpd is not None}


def ditahan(session: Session, *, tahun_anggaran: int, tahap: str) -> dict[str, datetime]:
    """OPD → since when its writes wait for an admin, when the scope's latest run
    held them (app.repositories.runs.held_now)."""
    held = runs.held_now(session, tahun_anggaran=tahun_anggaran, tahap=tahap)
    if held is None or held.finished_at is None:
        return {}
    return dict.fromkeys(held.ditahan or {}, held.finished_at)


def nama_opd(session: Session, kode_skpd: Sequence[str]) -> dict[str, str]:
    """The OPDs' names as the runs recorded them."""
    if not kode_skpd:
        return {}
    rows = session.execute(
        select(RecordState.kode_skpd, func.max(RecordState.nama_skpd))
        .where(RecordState.kode_skpd.in_(sorted(set(kode_skpd))))
        .group_by(RecordState.kode_skpd)
    )
    return {str(kode): str(nama) for kode, nama in rows if nama}


# -- the outbox -------------------------------------------------------------------------


def simpan(session: Session, digest: DigestOutbox) -> None:
    """A digest into the outbox; its key is unique, so a replica that recorded it
    first makes this transaction fail (IntegrityError), as it should."""
    session.add(digest)


def ada(session: Session, kunci: str) -> bool:
    return session.scalar(select(DigestOutbox.id).where(DigestOutbox.kunci == kunci)) is not None


def terakhir(
    session: Session, *, tahun_anggaran: int, tahap: str, kode_skpd: str
) -> datetime | None:
    """When the OPD's last digest was made (sent or still waiting to be)."""
    return session.scalar(
        select(func.max(DigestOutbox.dibuat_pada)).where(
            DigestOutbox.tahun_anggaran == tahun_anggaran,
            DigestOutbox.tahap == tahap,
            DigestOutbox.kode_skpd == kode_skpd,
        )
    )


def periode_terakhir(session: Session, jenis: str) -> datetime | None:
    """The latest period a digest of this kind was recorded for."""
    return session.scalar(select(func.max(DigestOutbox.periode)).where(DigestOutbox.jenis == jenis))


def _belum_selesai(*, surel: bool, webhook: bool) -> Any:
    """Not yet out by every way configured."""
    waiting = []
    if surel:
        waiting.append(DigestOutbox.terkirim_pada.is_(None))
    if webhook:
        waiting.append(DigestOutbox.webhook_terkirim_pada.is_(None))
    return or_(*waiting)


def tertunda(
    session: Session, *, sejak: datetime, sekarang: datetime, surel: bool, webhook: bool
) -> list[int]:
    """Digests made after ``sejak`` not yet out, whose next try is due."""
    return list(
        session.scalars(
            select(DigestOutbox.id)
            .where(
                DigestOutbox.dibuat_pada >= sejak,
                _belum_selesai(surel=surel, webhook=webhook),
                or_(DigestOutbox.coba_setelah.is_(None), DigestOutbox.coba_setelah <= sekarang),
            )
            .order_by(DigestOutbox.id)
        )
    )


def klaim(
    session: Session,
    digest_id: int,
    *,
    sekarang: datetime,
    sampai: datetime,
    surel: bool,
    webhook: bool,
) -> DigestOutbox | None:
    """Take the digest for sending until ``sampai``; None when another process has
    it or it is out already. One UPDATE decides, on SQLite and PostgreSQL alike."""
    taken = session.execute(
        update(DigestOutbox)
        .where(
            DigestOutbox.id == digest_id,
            _belum_selesai(surel=surel, webhook=webhook),
            or_(DigestOutbox.coba_setelah.is_(None), DigestOutbox.coba_setelah <= sekarang),
        )
        .values(coba_setelah=sampai, percobaan=DigestOutbox.percobaan + 1),
        execution_options={"synchronize_session": False},
    )
    if not taken.rowcount:  # type: ignore[attr-defined]
        return None
    return session.get(DigestOutbox, digest_id, populate_existing=True)


def selesai(
    session: Session,
    digest_id: int,
    *,
    surel: datetime | None,
    webhook: datetime | None,
    galat: str | None,
    coba_setelah: datetime | None,
) -> None:
    """What a try achieved: the times a channel went out (None: unchanged), the error."""
    values: dict[str, Any] = {"galat_terakhir": galat, "coba_setelah": coba_setelah}
    if surel is not None:
        values["terkirim_pada"] = surel
    if webhook is not None:
        values["webhook_terkirim_pada"] = webhook
    session.execute(
        update(DigestOutbox).where(DigestOutbox.id == digest_id).values(**values),
        execution_options={"synchronize_session": False},
    )
