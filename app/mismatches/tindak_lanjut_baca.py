"""What the follow-up reads: each OPD's findings, sub kegiatan and readiness,
its last activity, and the scope's last sync; the rules that make figures of
them are :mod:`app.mismatches.tindak_lanjut`'s. Always within the caller's OPDs.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from app.mismatches import tindak_lanjut as tl
from app.mismatches.daftar import MismatchFilter
from app.mismatches.tindak_lanjut import Aktivitas, OpdDasar, SinkronTerakhir, Temuan, TindakLanjut
from app.models import OPEN_MISMATCH, Mismatch, MismatchEvent, RunStatus, SyncRun
from app.repositories import ringkasan
from app.vocabulary import MismatchStatus as Status

# Runs that ended without finishing their work: the figures they left are not fresh.
_GAGAL = (RunStatus.FAILED, RunStatus.INTERRUPTED)
# How many of the scope's latest runs are read to find the last success and failure.
_RUNS_DIBACA = 200

_APA = {
    Status.DIAKUI: "mengakui",
    Status.DIKECUALIKAN: "mengecualikan",
    Status.BARU: "membuka kembali",
}


def baca_tindak_lanjut(
    session: Session,
    *,
    tahun_anggaran: int,
    tahap: str,
    sejak: datetime,
    sekarang: datetime,
    batas_hari: int,
    kode_skpd: Collection[str] | None,
    batas_basi: timedelta = timedelta(hours=26),
    figures: Sequence[ringkasan.OpdFigures] | None = None,
) -> TindakLanjut:
    """The follow-up of a tahun/tahap within ``kode_skpd`` (None: every OPD).

    ``batas_basi``: how old the last successful sync may be before the figures
    are called stale (:func:`app.mismatches.tindak_lanjut.batas_basi` reads it
    from the schedule). ``figures``: :func:`ringkasan.per_opd` of the same
    scope, when the caller has read it already (the overview shows both; at
    50,000 records it is a fifth of a second)."""
    opd = frozenset(kode_skpd) if kode_skpd is not None else None
    if figures is None:
        figures = ringkasan.per_opd(session, tahun_anggaran=tahun_anggaran, tahap=tahap, opd=opd)
    dasar = {
        f.kode_skpd: OpdDasar(f.kode_skpd, f.nama_skpd, f.jumlah, f.kesiapan)
        for f in figures
        if f.kode_skpd is not None
    }
    pemda_figures = ringkasan.total(figures)
    temuan = baca_temuan(session, tahun_anggaran=tahun_anggaran, tahap=tahap, sejak=sejak, opd=opd)
    aktivitas = aktivitas_terakhir(session, tahun_anggaran=tahun_anggaran, tahap=tahap, opd=opd)
    rows, pemda = tl.hitung(
        temuan,
        dasar,
        sekarang=sekarang,
        sejak=sejak,
        batas_hari=batas_hari,
        aktivitas=aktivitas,
        pemda=OpdDasar(None, pemda_figures.nama_skpd, pemda_figures.jumlah, pemda_figures.kesiapan),
    )
    return TindakLanjut(
        opd=rows,
        pemda=pemda,
        sinkron_terakhir=sinkron_terakhir(
            session,
            tahun_anggaran=tahun_anggaran,
            tahap=tahap,
            opd=opd,
            sekarang=sekarang,
            batas=batas_basi,
        ),
        sejak=sejak,
        sekarang=sekarang,
        batas_hari=batas_hari,
        ada_data=bool(figures) or bool(temuan),
        tanpa_opd=sum(1 for t in temuan if t.kode_skpd is None and t.terbuka),
    )


def _scope(tahun_anggaran: int, tahap: str, opd: frozenset[str] | None) -> list[Any]:
    conditions: list[Any] = [Mismatch.tahun_anggaran == tahun_anggaran, Mismatch.tahap == tahap]
    if opd is not None:
        conditions.append(Mismatch.kode_skpd.in_(sorted(opd)))
    return conditions


def baca_temuan(
    session: Session,
    *,
    tahun_anggaran: int,
    tahap: str,
    sejak: datetime,
    opd: frozenset[str] | None,
) -> list[Temuan]:
    """The findings the follow-up counts: the open ones, and those settled
    (selesai) or excepted since ``sejak``."""
    m = Mismatch
    rows = session.execute(
        select(
            m.id,
            m.kode_skpd,
            m.status,
            m.first_seen_at,
            m.ditanggapi_pada,
            m.selesai_pada,
            m.diputuskan_pada,
            m.penyebab_id,
        ).where(
            *_scope(tahun_anggaran, tahap, opd),
            or_(
                m.status.in_(OPEN_MISMATCH),
                and_(m.status == Status.SELESAI, m.selesai_pada >= sejak),
                and_(m.status == Status.DIKECUALIKAN, m.diputuskan_pada >= sejak),
            ),
        )
    )
    return [
        Temuan(
            id=r.id,
            kode_skpd=r.kode_skpd,
            status=r.status,
            ditemukan_pada=r.first_seen_at,
            ditanggapi_pada=r.ditanggapi_pada,
            selesai_pada=r.selesai_pada,
            dikecualikan_pada=r.diputuskan_pada if r.status == Status.DIKECUALIKAN else None,
            penyebab_id=r.penyebab_id,
        )
        for r in rows
    ]


def aktivitas_terakhir(
    session: Session, *, tahun_anggaran: int, tahap: str, opd: frozenset[str] | None
) -> dict[str | None, Aktivitas]:
    """Per OPD, the latest decision on one of its findings or the latest fix
    (a run no longer finding one): when, by whom, what."""
    e = MismatchEvent
    urutan = (
        func.row_number()
        .over(partition_by=Mismatch.kode_skpd, order_by=(e.at.desc(), e.id.desc()))
        .label("urutan")
    )
    latest = (
        select(Mismatch.kode_skpd, e.mismatch_id, e.at, e.oleh, e.ke, e.run_id, urutan)
        .join(Mismatch, Mismatch.id == e.mismatch_id)
        .where(
            *_scope(tahun_anggaran, tahap, opd),
            or_(e.run_id.is_(None), e.ke == Status.SELESAI),
        )
        .subquery()
    )
    found: dict[str | None, Aktivitas] = {}
    for row in session.execute(select(latest).where(latest.c.urutan == 1)):
        if row.ke == Status.SELESAI and row.run_id is not None:
            apa = f"temuan #{row.mismatch_id} selesai (tidak ditemukan lagi pada run {row.run_id})"
        else:
            apa = f"{_APA.get(row.ke, row.ke)} temuan #{row.mismatch_id}"
        found[row.kode_skpd] = Aktivitas(pada=row.at, oleh=row.oleh, apa=apa)
    return found


def sinkron_terakhir(
    session: Session,
    *,
    tahun_anggaran: int,
    tahap: str,
    opd: frozenset[str] | None,
    sekarang: datetime,
    batas: timedelta,
) -> SinkronTerakhir:
    """The scope's last successful run and last failed one, as far as they
    covered ``opd`` (None: runs of every OPD; a run of some OPDs covers those)."""
    runs = session.execute(
        select(
            SyncRun.status,
            SyncRun.finished_at,
            SyncRun.kode_skpd,
            SyncRun.ditahan,
            SyncRun.keputusan,
        )
        .where(
            SyncRun.tahun_anggaran == tahun_anggaran,
            SyncRun.tahap == tahap,
            SyncRun.status.in_([RunStatus.SUCCEEDED, RunStatus.HELD, *_GAGAL]),
            SyncRun.finished_at.is_not(None),
            SyncRun.pratinjau.is_(False),
        )
        .order_by(SyncRun.finished_at.desc(), SyncRun.id.desc())
        .limit(_RUNS_DIBACA)
    )
    berhasil: datetime | None = None
    gagal: datetime | None = None
    ditahan: set[str] = set()
    ditahan_sejak: datetime | None = None
    for status, finished_at, kode, held, keputusan in runs:
        if not _covers(kode, opd):
            continue
        if berhasil is None and gagal is None and status == RunStatus.HELD and keputusan is None:
            # The latest run held some OPDs for an admin: those of the reader's wait.
            ditahan = {k for k in held or {} if opd is None or k in opd}
            ditahan_sejak = finished_at
        if status in (RunStatus.SUCCEEDED, RunStatus.HELD):
            berhasil = berhasil or finished_at
        else:
            gagal = gagal or finished_at
        if berhasil is not None and gagal is not None:
            break
    return tl.kesegaran(
        berhasil_pada=berhasil,
        gagal_terakhir=gagal,
        sekarang=sekarang,
        batas=batas,
        ditahan=ditahan,
        ditahan_sejak=ditahan_sejak,
        satu_opd=opd is not None and len(opd) == 1,
    )


def _covers(run_opd: list[Any] | None, opd: frozenset[str] | None) -> bool:
    if not run_opd:
        return True
    return opd is not None and bool(opd & {str(k) for k in run_opd})


def sinkron_terakhir_lingkup(
    session: Session, f: MismatchFilter, *, schedule: str, sekarang: datetime
) -> SinkronTerakhir:
    """:func:`sinkron_terakhir` of a report's filter, stale past what ``schedule``
    (the run schedule's cron) allows: what `sinkron laporan` and the files say."""
    assert f.tahun_anggaran is not None and f.tahap is not None
    return sinkron_terakhir(
        session,
        tahun_anggaran=f.tahun_anggaran,
        tahap=f.tahap,
        opd=f.opd,
        sekarang=sekarang,
        batas=tl.batas_basi(schedule, sekarang),
    )
