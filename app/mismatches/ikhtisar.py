"""The overview's figures kept until their data changes: what ``/laporan``,
the page of one category, ``/api/v1/ringkasan`` and ``/api/v1/tindak-lanjut``
show.

At 50,000 records the overview's figures cost half a second of the service's
CPU: every OPD's sums over ``record_state``, the follow-up over every finding,
the weekly trend. Twenty planners reloading it would keep the process busy
and make every other page wait. So each scope's figures are computed once and
kept, with the data version they were computed at
(:mod:`app.repositories.versi_data`), and shown again while:

- **no person has decided** on a finding since, and **no run has ended** (or
  been stopped, approved or made): either shows at once, the next request
  computes the figures again;
- **no run is running**, or the figures are under :data:`JEDA` old: a run's
  pages change the figures as it goes, and the overview follows them at most
  that far behind. Past it, the kept figures are shown once more while a
  thread of this service computes the new ones, so no reader waits for them;
- they are under :data:`UMUR_MAKS` old, whatever happened: writes the version
  does not see (a database restored, rows pruned by hand) show within it, and
  the ages in days stay true to the clock.

Whether the figures are stale (the last sync's age, against now) is never
kept: :meth:`Simpanan.baca` reads it for every request.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from app import clock
from app.db import session_scope
from app.mismatches import riwayat
from app.mismatches import tindak_lanjut as tl
from app.mismatches.tindak_lanjut import TindakLanjut
from app.mismatches.tindak_lanjut_baca import baca_tindak_lanjut, sinkron_terakhir
from app.mismatches.tren_mingguan import belum_ditanggapi_per_minggu
from app.repositories import ringkasan, versi_data
from app.repositories.ringkasan import OpdFigures
from app.repositories.versi_data import Versi

log = logging.getLogger(__name__)

# How far the overview may follow a running run's pages behind.
JEDA = timedelta(seconds=10)
# How old kept figures may be in any case.
UMUR_MAKS = timedelta(minutes=5)
# Scopes kept at once (a scope: tahun, tahap, the reader's OPDs, the period).
KAPASITAS = 64


@dataclass(frozen=True)
class Lingkup:
    """What the overview is of: the reader's OPDs (None: every OPD) and the
    meeting date asked (None: the last 30 days)."""

    tahun_anggaran: int
    tahap: str
    opd: frozenset[str] | None
    sejak: date | None = None


@dataclass(frozen=True)
class Ikhtisar:
    """The overview's figures, as they stood at ``tindak.sekarang``."""

    per_opd: list[OpdFigures]
    tindak: TindakLanjut
    mingguan: dict[str | None, list[int]]


def hitung(
    session: Session, lingkup: Lingkup, sekarang: datetime, *, batas_hari: int, jadwal: str
) -> Ikhtisar:
    """The overview's figures, read now: ``batas_hari`` the days a finding may
    stay untouched, ``jadwal`` the run schedule (how old a sync may be)."""
    per_opd = ringkasan.per_opd(
        session, tahun_anggaran=lingkup.tahun_anggaran, tahap=lingkup.tahap, opd=lingkup.opd
    )
    tindak = baca_tindak_lanjut(
        session,
        tahun_anggaran=lingkup.tahun_anggaran,
        tahap=lingkup.tahap,
        sejak=tl.awal_periode(lingkup.sejak) if lingkup.sejak else tl.sejak_baku(sekarang),
        sekarang=sekarang,
        batas_hari=batas_hari,
        kode_skpd=lingkup.opd,
        batas_basi=tl.batas_basi(jadwal, sekarang),
        figures=per_opd,
    )
    mingguan = belum_ditanggapi_per_minggu(
        session,
        tahun_anggaran=lingkup.tahun_anggaran,
        tahap=lingkup.tahap,
        sekarang=sekarang,
        kode_skpd=lingkup.opd,
    )
    return Ikhtisar(per_opd=per_opd, tindak=tindak, mingguan=mingguan)


@dataclass(frozen=True)
class _Simpan:
    versi: Versi
    generasi: int
    isi: Ikhtisar

    @property
    def pada(self) -> datetime:
        return self.isi.tindak.sekarang


class Simpanan:
    """The overviews one service keeps, at most :data:`KAPASITAS` scopes."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        batas_hari: int,
        jadwal: str,
        jeda: timedelta = JEDA,
        umur_maks: timedelta = UMUR_MAKS,
        kapasitas: int = KAPASITAS,
        menghitung: Callable[..., Ikhtisar] = hitung,
    ) -> None:
        self._factory = session_factory
        self._batas_hari, self._jadwal = batas_hari, jadwal
        self._jeda, self._umur_maks, self._kapasitas = jeda, umur_maks, kapasitas
        self._hitung = menghitung
        self._kept: OrderedDict[Lingkup, _Simpan] = OrderedDict()
        self._locks: dict[Lingkup, threading.Lock] = {}
        self._guard = threading.Lock()

    def baca(self, session: Session, lingkup: Lingkup) -> Ikhtisar:
        """The overview of ``lingkup`` (kept, or computed in ``session`` now),
        with whether it is stale read now."""
        isi = self._kept_or_computed(session, lingkup)
        sekarang = clock.now()
        kesegaran = sinkron_terakhir(
            session,
            tahun_anggaran=lingkup.tahun_anggaran,
            tahap=lingkup.tahap,
            opd=lingkup.opd,
            sekarang=sekarang,
            batas=tl.batas_basi(self._jadwal, sekarang),
        )
        return replace(isi, tindak=replace(isi.tindak, sinkron_terakhir=kesegaran))

    def _kept_or_computed(self, session: Session, lingkup: Lingkup) -> Ikhtisar:
        versi, generasi = versi_data.baca(session), riwayat.generasi()
        kept = self._get(lingkup)
        sekarang = clock.now()
        if kept is not None and self._same_data(kept, versi, generasi, sekarang):
            running = versi.berjalan or kept.versi.berjalan
            if running and sekarang - kept.pada > self._jeda:
                # A running run moved on: one thread computes the figures again
                # while every reader is shown the kept ones.
                lock = self._lock(lingkup)
                if lock.acquire(blocking=False):
                    threading.Thread(
                        target=self._refresh, args=(lingkup, lock), name="ikhtisar", daemon=True
                    ).start()
            return kept.isi
        with self._lock(lingkup):
            # Another reader may have computed them while this one waited.
            kept = self._get(lingkup)
            if kept is not None and self._same_data(kept, versi, generasi, sekarang):
                return kept.isi
            return self._compute(session, lingkup, versi, generasi, sekarang)

    def _same_data(self, kept: _Simpan, versi: Versi, generasi: int, sekarang: datetime) -> bool:
        age = sekarang - kept.pada
        return (
            kept.versi.tetap == versi.tetap
            and kept.generasi == generasi
            and timedelta(0) <= age <= self._umur_maks
        )

    def _refresh(self, lingkup: Lingkup, lock: threading.Lock) -> None:
        """In a thread of its own, holding ``lock`` (taken by the caller)."""
        try:
            with session_scope(self._factory) as session:
                self._compute(
                    session, lingkup, versi_data.baca(session), riwayat.generasi(), clock.now()
                )
        except Exception:  # the kept figures stay; the next reader tries again
            log.exception("ikhtisar: menghitung ulang ringkasan gagal")
        finally:
            lock.release()

    def _compute(
        self,
        session: Session,
        lingkup: Lingkup,
        versi: Versi,
        generasi: int,
        sekarang: datetime,
    ) -> Ikhtisar:
        isi = self._hitung(
            session, lingkup, sekarang, batas_hari=self._batas_hari, jadwal=self._jadwal
        )
        with self._guard:
            self._kept[lingkup] = _Simpan(versi, generasi, isi)
            self._kept.move_to_end(lingkup)
            while len(self._kept) > self._kapasitas:
                dropped, _ = self._kept.popitem(last=False)
                lock = self._locks.get(dropped)
                if lock is not None and not lock.locked():
                    del self._locks[dropped]
        return isi

    def _get(self, lingkup: Lingkup) -> _Simpan | None:
        with self._guard:
            return self._kept.get(lingkup)

    def _lock(self, lingkup: Lingkup) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(lingkup, threading.Lock())
