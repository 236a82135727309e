"""When digests are made and sent.

- :meth:`Pengantar.setelah_run`: after a scheduled run that succeeded, each OPD
  with contacts for which it found something new gets a digest, at most one a
  day (the outbox key holds the WIB date).
- :meth:`Pengantar.tick`: the weekly digests on ``SINKRON_DIGEST_SCHEDULE``
  (cron in WIB, read as ``SINKRON_SCHEDULE`` is) for every OPD with contacts and
  the pemda's summary, then every digest still waiting whose next try is due.
- :meth:`Pengantar.sekarang` / :meth:`Pengantar.pratinjau`: ``sinkron digest
  kirim`` and ``--pratinjau``.

A digest is composed once and recorded in the outbox under a unique key (kind,
scope, whose list, period), so however many replicas run this, each digest is
recorded once; a replica takes one to send by one UPDATE (``baca.klaim``). A
send that fails (SMTP down) is tried again on a later tick, waiting longer each
time; nothing here ever fails a run. Every try is in the audit log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from app import clock
from app.access import audit
from app.access.keys import SYSTEM
from app.config import Settings
from app.db import session_scope
from app.digests import baca, kirim
from app.digests.alamat import PEMDA
from app.digests.susun import (
    DAFTAR_MAKS,
    BarisPeringkat,
    IsiOpd,
    IsiPemda,
    Jenis,
    Surat,
    Temuan,
    kunci,
    surat_opd,
    surat_pemda,
    tautan_opd,
    tautan_ringkasan,
)
from app.models import DigestOutbox, RunStatus, Trigger
from app.observability import logs
from app.repositories import runs
from app.runs.schedule import SCHEDULE_VARIABLE, Schedule, ScheduleError, ScopeKey
from mappings.normalise import WIB

log = logging.getLogger(__name__)

DIGEST_SCHEDULE_VARIABLE = "SINKRON_DIGEST_SCHEDULE"
# A digest not out within a week is stale: no longer tried.
UMUR_MAKS = timedelta(days=7)
# How long a replica holds a digest it is sending; then another may take it.
KLAIM = timedelta(minutes=5)
# After a failed try, wait 1, 2, 4 ... minutes, at most an hour.
TUNGGU_AWAL = timedelta(minutes=1)
TUNGGU_MAKS = timedelta(hours=1)
# The follow-up period the figures are read over (tindak_lanjut's default).
PERIODE_HARI = 30
AUDIT_ACTION = "digest.kirim"


def jadwal_mingguan(settings: Settings) -> Schedule:
    """SINKRON_DIGEST_SCHEDULE over SINKRON_SYNC_SCOPES; a ScheduleError names the variable."""
    try:
        return Schedule.from_text(settings.digest_schedule, settings.sync_scopes)
    except ScheduleError as exc:
        raise ScheduleError(
            str(exc).replace(SCHEDULE_VARIABLE + ":", DIGEST_SCHEDULE_VARIABLE + ":", 1)
        ) from None


def tunggu(percobaan: int) -> timedelta:
    """How long to wait before the next try after ``percobaan`` failed ones."""
    return min(TUNGGU_AWAL * (1 << min(max(percobaan - 1, 0), 10)), TUNGGU_MAKS)


@dataclass(frozen=True)
class Draf:
    """A digest composed, with whom it goes to and under which key."""

    kunci: str
    jenis: Jenis
    tahun_anggaran: int
    tahap: str
    daftar: str
    penerima: tuple[str, ...]
    periode: datetime
    surat: Surat


@dataclass(frozen=True)
class Hasil:
    terkirim: int
    gagal: int


class Pengantar:
    """Makes digests and sends them; every public method is safe to call from the
    service's loops (it logs and returns instead of raising)."""

    def __init__(
        self,
        settings: Settings,
        session_factory: sessionmaker[Session],
        *,
        jam: Callable[[], datetime] = clock.now,
    ) -> None:
        self.settings = settings
        self.sessions = session_factory
        self.jam = jam
        self.jadwal = jadwal_mingguan(settings)
        self._baseline: datetime | None = None
        if settings.smtp_password is not None:
            logs.register_secret(settings.smtp_password.get_secret_value())

    @property
    def aktif(self) -> bool:
        """Whether there is any way out (SMTP or the webhook)."""
        return bool(self.settings.smtp_host or self.settings.webhook_url)

    # -- when --------------------------------------------------------------------

    def setelah_run(self, run_id: int) -> None:
        """After a run: the day's digests of the OPDs it found something new for
        (scheduled runs that succeeded only), then what waits. Never raises."""
        try:
            self._setelah_run(run_id)
        except Exception:
            log.exception(
                "ringkasan setelah run %s gagal dibuat; run itu tidak terpengaruh", run_id
            )

    def tick(self) -> None:
        """The weekly digests when due, then what waits. Never raises."""
        try:
            self._mingguan()
        except Exception:
            log.exception("ringkasan mingguan gagal dibuat")
        try:
            self.kirim_tertunda()
        except Exception:
            log.exception("ringkasan yang tertunda gagal dikirim")

    def _setelah_run(self, run_id: int) -> None:
        if not self.aktif:
            return
        with session_scope(self.sessions) as session:
            run = runs.get(session, run_id)
            if (
                run is None
                or run.trigger != Trigger.SCHEDULE
                or run.status not in (RunStatus.SUCCEEDED, RunStatus.HELD)
            ):
                return
            scope = (run.tahun_anggaran, run.tahap)
            baru = baca.baru_pada_run(session, run_id)
        sekarang = self.jam()
        hari = sekarang.astimezone(WIB).replace(hour=0, minute=0, second=0, microsecond=0)
        with session_scope(self.sessions) as session:
            drafs = self._drafs_opd(
                session,
                Jenis.HARIAN,
                scope,
                periode=hari,
                sekarang=sekarang,
                hanya=set(baru),
            )
        self._catat(drafs, run_id=run_id)
        self.kirim_tertunda()

    def _mingguan(self) -> None:
        if not self.aktif or not self.jadwal.scopes:
            return
        due = self.jadwal.latest_at_or_before(self.jam())
        if due is None:
            return
        with session_scope(self.sessions) as session:
            last = max(
                (p for p in (baca.periode_terakhir(session, Jenis.MINGGUAN),) if p is not None),
                default=None,
            )
        if last is None:
            # A new install sends nothing for a time before it started (as the run schedule).
            if self._baseline is None:
                self._baseline = due
            if due <= self._baseline:
                return
        elif due <= last:
            return  # fired already (by this process or another replica)
        self.buat(Jenis.MINGGUAN, self.jadwal.scopes, periode=due)

    # -- what ----------------------------------------------------------------------

    def buat(self, jenis: Jenis, scopes: Sequence[ScopeKey], *, periode: datetime) -> int:
        """Record the digests of every OPD with contacts and the pemda's summary for
        ``periode``; how many were new in the outbox."""
        drafs = self.susun(jenis, scopes, periode=periode)
        return self._catat(drafs, run_id=None)

    def susun(self, jenis: Jenis, scopes: Sequence[ScopeKey], *, periode: datetime) -> list[Draf]:
        """Compose (without recording) every OPD's digest and the pemda's summary."""
        sekarang = self.jam()
        drafs: list[Draf] = []
        with session_scope(self.sessions) as session:
            for scope in scopes:
                drafs += self._drafs_opd(session, jenis, scope, periode=periode, sekarang=sekarang)
                pemda = self._draf_pemda(session, jenis, scope, periode=periode, sekarang=sekarang)
                if pemda is not None:
                    drafs.append(pemda)
        return drafs

    def _drafs_opd(
        self,
        session: Session,
        jenis: Jenis,
        scope: ScopeKey,
        *,
        periode: datetime,
        sekarang: datetime,
        hanya: set[str] | None = None,
    ) -> list[Draf]:
        tahun, tahap = scope
        kontak = baca.kontak_opd(session)
        sasaran = sorted(k for k in kontak if hanya is None or k in hanya)
        todo = {
            kode: kunci(jenis, tahun, tahap, kode, _periode_teks(jenis, periode))
            for kode in sasaran
        }
        todo = {kode: k for kode, k in todo.items() if not baca.ada(session, k)}
        if not todo:
            return []
        batas = self.settings.tindak_lanjut_hari
        figures = baca.tindak_lanjut(
            session, tahun_anggaran=tahun, tahap=tahap, sekarang=sekarang, batas_hari=batas
        )
        nama = baca.nama_opd(session, list(todo))
        menunggu = baca.lewat_batas(
            session, tahun_anggaran=tahun, tahap=tahap, sekarang=sekarang, batas_hari=batas
        )
        drafs = []
        for kode, key in todo.items():
            sejak = baca.terakhir(session, tahun_anggaran=tahun, tahap=tahap, kode_skpd=kode)
            temuan, jumlah = baca.baru_sejak(
                session,
                tahun_anggaran=tahun,
                tahap=tahap,
                kode_skpd=kode,
                sejak=sejak,
                limit=DAFTAR_MAKS,
            )
            opd = figures.get(kode)
            tunggu_opd = menunggu.get(kode)
            isi = IsiOpd(
                jenis=jenis,
                pemda=self.settings.pemda,
                tahun_anggaran=tahun,
                tahap=tahap,
                kode_skpd=kode,
                nama_skpd=(opd.nama_skpd if opd else None) or nama.get(kode),
                dibuat=sekarang,
                sejak=sejak,
                baru=tuple(
                    Temuan(
                        id=m.id,
                        kategori=m.kategori,
                        kode_sub_kegiatan=m.kode_sub_kegiatan,
                        nama_sub_kegiatan=m.nama_sub_kegiatan,
                        field=m.field,
                        nilai_eprogram=m.nilai_eprogram,
                        nilai_eplanning=m.nilai_eplanning,
                    )
                    for m in temuan
                ),
                baru_jumlah=jumlah,
                lewat_batas=tunggu_opd.jumlah if tunggu_opd else 0,
                lewat_batas_tertua_hari=tunggu_opd.tertua_hari if tunggu_opd else None,
                batas_hari=batas,
                belum_ditanggapi=opd.belum_ditanggapi if opd else 0,
                diakui_terbuka=opd.diakui_terbuka if opd else 0,
                status=str(opd.status) if opd else None,
                peringkat=opd.peringkat if opd else None,
                jumlah_opd=len(figures),
                tautan=tautan_opd(self.settings.base_url_text, kode, tahun, tahap),
            )
            drafs.append(
                Draf(key, jenis, tahun, tahap, kode, tuple(kontak[kode]), periode, surat_opd(isi))
            )
        return drafs

    def _draf_pemda(
        self,
        session: Session,
        jenis: Jenis,
        scope: ScopeKey,
        *,
        periode: datetime,
        sekarang: datetime,
    ) -> Draf | None:
        tahun, tahap = scope
        penerima = baca.kontak_semua(session).get(PEMDA)
        key = kunci(jenis, tahun, tahap, PEMDA, _periode_teks(jenis, periode))
        if not penerima or baca.ada(session, key):
            return None
        batas = self.settings.tindak_lanjut_hari
        figures = baca.tindak_lanjut(
            session, tahun_anggaran=tahun, tahap=tahap, sekarang=sekarang, batas_hari=batas
        )
        isi = IsiPemda(
            jenis=jenis,
            pemda=self.settings.pemda,
            tahun_anggaran=tahun,
            tahap=tahap,
            dibuat=sekarang,
            batas_hari=batas,
            peringkat=tuple(
                BarisPeringkat(
                    peringkat=o.peringkat or 0,
                    kode_skpd=kode,
                    nama_skpd=o.nama_skpd,
                    status=str(o.status),
                    belum_ditanggapi=o.belum_ditanggapi,
                    belum_ditanggapi_tertua_hari=o.belum_ditanggapi_tertua_hari,
                    diakui_terbuka=o.diakui_terbuka,
                )
                for kode, o in sorted(figures.items(), key=lambda kv: kv[1].peringkat or 0)
            ),
            tautan=tautan_ringkasan(self.settings.base_url_text, tahun, tahap),
        )
        return Draf(key, jenis, tahun, tahap, PEMDA, tuple(penerima), periode, surat_pemda(isi))

    def _catat(self, drafs: Sequence[Draf], *, run_id: int | None) -> int:
        """Record each draft in the outbox in a transaction of its own; a key
        another replica recorded first is skipped."""
        made = 0
        for d in drafs:
            try:
                with session_scope(self.sessions) as session:
                    baca.simpan(
                        session,
                        DigestOutbox(
                            kunci=d.kunci,
                            jenis=d.jenis,
                            tahun_anggaran=d.tahun_anggaran,
                            tahap=d.tahap,
                            kode_skpd=d.daftar,
                            penerima=list(d.penerima),
                            subjek=d.surat.subjek,
                            teks=d.surat.teks,
                            html=d.surat.html,
                            data=d.surat.data,
                            run_id=run_id,
                            periode=d.periode,
                            dibuat_pada=self.jam(),
                        ),
                    )
                made += 1
            except IntegrityError:
                with session_scope(self.sessions) as session:
                    if not baca.ada(session, d.kunci):
                        raise
        return made

    # -- sending --------------------------------------------------------------------

    def kirim_tertunda(self) -> Hasil:
        """Send every digest still waiting whose next try is due, in the order they
        were made; after a failure the rest wait for the next call."""
        surel, webhook = bool(self.settings.smtp_host), bool(self.settings.webhook_url)
        if not (surel or webhook):
            return Hasil(0, 0)
        sekarang = self.jam()
        with session_scope(self.sessions) as session:
            ids = baca.tertunda(
                session, sejak=sekarang - UMUR_MAKS, sekarang=sekarang, surel=surel, webhook=webhook
            )
        terkirim = gagal = 0
        for digest_id in ids:
            ok = self._kirim_satu(digest_id, surel=surel, webhook=webhook)
            if ok is True:
                terkirim += 1
            elif ok is False:
                # The server is most likely down: the rest wait for a later tick
                # rather than hold the worker for a timeout each.
                gagal += 1
                break
        return Hasil(terkirim, gagal)

    def _kirim_satu(self, digest_id: int, *, surel: bool, webhook: bool) -> bool | None:
        sekarang = self.jam()
        with session_scope(self.sessions) as session:
            row = baca.klaim(
                session,
                digest_id,
                sekarang=sekarang,
                sampai=sekarang + KLAIM,
                surel=surel,
                webhook=webhook,
            )
            if row is None:
                return None  # another replica has it, or it went out meanwhile
            session.expunge(row)
        galat: list[str] = []
        surel_at = webhook_at = None
        if surel and row.terkirim_pada is None:
            try:
                kirim.smtp(
                    self.settings,
                    kirim.pesan(
                        self.settings,
                        penerima=row.penerima,
                        subjek=row.subjek,
                        teks=row.teks,
                        html=row.html,
                    ),
                )
                surel_at = self.jam()
            except kirim.GagalKirim as exc:
                galat.append(str(exc))
        if webhook and row.webhook_terkirim_pada is None:
            try:
                kirim.webhook(self.settings, row.data)
                webhook_at = self.jam()
            except kirim.GagalKirim as exc:
                galat.append(str(exc))
        pesan_galat = "; ".join(galat) or None
        with session_scope(self.sessions) as session:
            baca.selesai(
                session,
                digest_id,
                surel=surel_at,
                webhook=webhook_at,
                galat=pesan_galat,
                coba_setelah=self.jam() + tunggu(row.percobaan) if galat else None,
            )
            detail: dict[str, object] = {
                "jenis": row.jenis,
                "kode_skpd": row.kode_skpd,
                "tahun_anggaran": row.tahun_anggaran,
                "tahap": row.tahap,
                "penerima": list(row.penerima),
                "percobaan": row.percobaan,
                "hasil": "gagal" if galat else "terkirim",
            }
            if surel_at is not None:
                detail["surel"] = "terkirim"
            if webhook_at is not None:
                detail["webhook"] = "terkirim"
            if pesan_galat:
                detail["galat"] = pesan_galat
            audit.record(
                session,
                principal=SYSTEM,
                action=AUDIT_ACTION,
                target=f"digest {digest_id} {row.kunci}",
                detail=detail,
            )
        if galat:
            log.warning(
                "ringkasan %s belum terkirim, dicoba lagi nanti: %s", row.kunci, pesan_galat
            )
        return not galat

    # -- by hand ----------------------------------------------------------------------

    def sekarang(self, scopes: Sequence[ScopeKey]) -> tuple[int, Hasil]:
        """`sinkron digest kirim`: every digest now, recorded and sent."""
        made = self.buat(Jenis.SEKARANG, scopes, periode=self.jam())
        return made, self.kirim_tertunda()

    def pratinjau(self, scopes: Sequence[ScopeKey], folder: Path) -> list[Path]:
        """`sinkron digest --pratinjau DIR`: every digest as an .eml file, nothing sent
        or recorded."""
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for d in self.susun(Jenis.SEKARANG, scopes, periode=self.jam()):
            message = kirim.pesan(
                self.settings,
                penerima=d.penerima,
                subjek=d.surat.subjek,
                teks=d.surat.teks,
                html=d.surat.html,
            )
            path = folder / f"{d.tahun_anggaran}-{d.tahap}-{d.daftar}.eml"
            path.write_bytes(bytes(message))
            written.append(path)
        return written


def _periode_teks(jenis: Jenis, periode: datetime) -> str:
    local = periode.astimezone(WIB)
    if jenis == Jenis.HARIAN:
        return local.date().isoformat()
    return local.strftime("%Y-%m-%dT%H:%M:%S")
