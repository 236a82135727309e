"""Follow-up (tindak lanjut) on findings: how old an open finding is, whether
anyone has answered it, each OPD's status and rank, and whether the figures
are fresh (docs/design.md, "Tindak lanjut"). Pure: no database; the figures'
inputs are read by :mod:`app.mismatches.tindak_lanjut_baca`.

- An open finding's **umur** is whole days since it was first found.
- **Belum ditanggapi**: ``baru`` and no person has decided on it since a run
  last opened it (``ditanggapi_pada`` empty). **Ditanggapi**: acknowledged,
  excepted, reopened by a person, or fixed.
- A finding that follows from another (``penyebab_id``) is left out of every
  count here: one cause, counted once.
- An OPD is ``belum_menindaklanjuti`` when a finding has stayed untouched
  longer than the limit (``SINKRON_TINDAK_LANJUT_HARI``), ``tuntas`` when
  nothing is open (accepted exceptions aside), ``sedang_menindaklanjuti``
  otherwise. OPDs rank by status, then the oldest untouched finding, then
  open findings per 100 sub kegiatan; never by the raw count.
"""

from __future__ import annotations

import enum
import statistics
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from itertools import islice, pairwise

from cronsim import CronSim

from app.report import waktu_wib
from app.vocabulary import MismatchStatus as Status
from mappings.normalise import WIB

# The limit in days a finding may stay untouched (SINKRON_TINDAK_LANJUT_HARI).
BATAS_HARI = 14
# The period of "selesai/dikecualikan sejak" when no meeting date is chosen.
SEJAK_HARI = 30
# How late the last successful sync may be, beyond the schedule's own gap.
TENGGANG = timedelta(hours=2)

# The readiness rule, said beside the figure (mappings.nomenklatur.siap_sakip).
ATURAN_KESIAPAN = (
    "Sub kegiatan siap SAKIP bila keempat tingkat indikatornya (capaian program, "
    "keluaran kegiatan, hasil kegiatan, keluaran sub kegiatan) masing-masing punya "
    "sedikitnya satu indikator dengan tolok ukur, target angka dan satuan."
)

_TERBUKA = frozenset({Status.BARU, Status.DIAKUI})
_DETIK_SEHARI = 86_400


class StatusTindakLanjut(enum.StrEnum):
    """Status tindak lanjut OPD (OpenAPI), dalam urutan peringkat."""

    BELUM_MENINDAKLANJUTI = "belum_menindaklanjuti"
    SEDANG_MENINDAKLANJUTI = "sedang_menindaklanjuti"
    TUNTAS = "tuntas"


LABEL: dict[StatusTindakLanjut, str] = {
    StatusTindakLanjut.BELUM_MENINDAKLANJUTI: "Belum menindaklanjuti",
    StatusTindakLanjut.SEDANG_MENINDAKLANJUTI: "Sedang menindaklanjuti",
    StatusTindakLanjut.TUNTAS: "Tuntas",
}
_URUTAN = {status: i for i, status in enumerate(StatusTindakLanjut)}


def umur_hari(ditemukan_pada: datetime, sekarang: datetime) -> int:
    """Whole days since ``ditemukan_pada`` (0 on the day itself, never negative)."""
    return max(0, int((sekarang - ditemukan_pada).total_seconds() // _DETIK_SEHARI))


def sejak_baku(sekarang: datetime) -> datetime:
    """The period's start when none is chosen: the last 30 days."""
    return sekarang - timedelta(days=SEJAK_HARI)


PALING_AWAL = date(2000, 1, 1)


def awal_periode(hari: date) -> datetime:
    """A chosen period's start: the day at 00.00 WIB. Nothing was found before
    2000, so an earlier day means "from the start" (and stays a valid time)."""
    return datetime.combine(max(hari, PALING_AWAL), time(), tzinfo=WIB)


@dataclass(frozen=True)
class Temuan:
    """One finding as the follow-up reads it."""

    id: int
    kode_skpd: str | None
    status: str
    ditemukan_pada: datetime
    ditanggapi_pada: datetime | None = None
    selesai_pada: datetime | None = None
    # When it was excepted (its latest decision, while it is dikecualikan).
    dikecualikan_pada: datetime | None = None
    penyebab_id: int | None = None

    @property
    def terbuka(self) -> bool:
        return self.status in _TERBUKA

    @property
    def belum_ditanggapi(self) -> bool:
        return self.status == Status.BARU and self.ditanggapi_pada is None


@dataclass(frozen=True)
class Aktivitas:
    """The last thing done about an OPD's findings: a decision or a fix."""

    pada: datetime
    oleh: str
    apa: str


@dataclass(frozen=True)
class OpdDasar:
    """What the follow-up needs of an OPD besides its findings: its name, its
    sub kegiatan in scope, and its SAKIP readiness (0..1, None: none in scope)."""

    kode_skpd: str | None
    nama_skpd: str | None = None
    jumlah_sub_kegiatan: int = 0
    kesiapan_sakip: float | None = None


@dataclass(frozen=True)
class TindakLanjutOpd:
    """One OPD's follow-up (or the pemda's: ``kode_skpd`` None, no rank)."""

    kode_skpd: str | None
    nama_skpd: str | None
    status: StatusTindakLanjut
    belum_ditanggapi: int
    belum_ditanggapi_tertua_hari: int | None
    diakui_terbuka: int
    diakui_tertua_hari: int | None
    selesai_sejak: int
    dikecualikan_sejak: int
    median_hari_selesai: float | None
    jumlah_sub_kegiatan: int
    terbuka: int
    terbuka_per_100: float | None
    kesiapan_sakip: float | None
    aktivitas_terakhir: Aktivitas | None
    peringkat: int | None = None
    # Open findings left out of the counts because they follow from another.
    akibat: int = 0


@dataclass(frozen=True)
class SinkronTerakhir:
    """When the scope last synced: the last success, the last failure, and
    whether the figures are stale (``basi``) and why, as planners read it."""

    berhasil_pada: datetime | None
    gagal_terakhir: datetime | None
    basi: bool
    alasan: str | None = None
    # The latest run held these of the reader's OPDs for an admin, since then.
    ditahan_sejak: datetime | None = None


@dataclass(frozen=True)
class TindakLanjut:
    """The follow-up of a tahun/tahap: the OPDs ranked, the pemda's totals."""

    opd: list[TindakLanjutOpd]
    pemda: TindakLanjutOpd
    sinkron_terakhir: SinkronTerakhir
    sejak: datetime
    sekarang: datetime
    batas_hari: int
    # False: the scope has no data at all (never "everything is in order").
    ada_data: bool = True
    tanpa_opd: int = field(default=0)


def status_opd(
    *, terbuka: int, belum_ditanggapi_tertua_hari: int | None, batas_hari: int
) -> StatusTindakLanjut:
    """An OPD's status from its open findings (consequences already left out)."""
    if terbuka == 0:
        return StatusTindakLanjut.TUNTAS
    if belum_ditanggapi_tertua_hari is not None and belum_ditanggapi_tertua_hari > batas_hari:
        return StatusTindakLanjut.BELUM_MENINDAKLANJUTI
    return StatusTindakLanjut.SEDANG_MENINDAKLANJUTI


def per_100(terbuka: int, jumlah_sub_kegiatan: int) -> float | None:
    """Open findings per 100 sub kegiatan (None: no sub kegiatan in scope)."""
    if jumlah_sub_kegiatan <= 0:
        return None
    return round(terbuka * 100 / jumlah_sub_kegiatan, 1)


def satu_opd(
    dasar: OpdDasar,
    temuan: Iterable[Temuan],
    *,
    sekarang: datetime,
    sejak: datetime,
    batas_hari: int,
    aktivitas: Aktivitas | None = None,
) -> TindakLanjutOpd:
    """The follow-up of one OPD (or of the pemda) from its findings."""
    belum: list[int] = []
    diakui: list[int] = []
    hari_selesai: list[float] = []
    dikecualikan = akibat = 0
    for t in temuan:
        if t.penyebab_id is not None:
            akibat += t.terbuka
            continue
        if t.terbuka:
            (belum if t.belum_ditanggapi else diakui).append(umur_hari(t.ditemukan_pada, sekarang))
        elif t.status == Status.SELESAI and t.selesai_pada is not None and t.selesai_pada >= sejak:
            hari_selesai.append((t.selesai_pada - t.ditemukan_pada).total_seconds() / _DETIK_SEHARI)
        elif (
            t.status == Status.DIKECUALIKAN
            and t.dikecualikan_pada is not None
            and t.dikecualikan_pada >= sejak
        ):
            dikecualikan += 1
    terbuka = len(belum) + len(diakui)
    tertua = max(belum, default=None)
    return TindakLanjutOpd(
        kode_skpd=dasar.kode_skpd,
        nama_skpd=dasar.nama_skpd,
        status=status_opd(
            terbuka=terbuka, belum_ditanggapi_tertua_hari=tertua, batas_hari=batas_hari
        ),
        belum_ditanggapi=len(belum),
        belum_ditanggapi_tertua_hari=tertua,
        diakui_terbuka=len(diakui),
        diakui_tertua_hari=max(diakui, default=None),
        selesai_sejak=len(hari_selesai),
        dikecualikan_sejak=dikecualikan,
        median_hari_selesai=round(statistics.median(hari_selesai), 1) if hari_selesai else None,
        jumlah_sub_kegiatan=dasar.jumlah_sub_kegiatan,
        terbuka=terbuka,
        terbuka_per_100=per_100(terbuka, dasar.jumlah_sub_kegiatan),
        kesiapan_sakip=dasar.kesiapan_sakip,
        aktivitas_terakhir=aktivitas,
        akibat=akibat,
    )


def _kunci(opd: TindakLanjutOpd) -> tuple[int, int, float, str]:
    # An OPD with open findings and no sub kegiatan in scope (every record
    # refused) ranks above any ratio.
    if opd.terbuka_per_100 is not None:
        rasio = opd.terbuka_per_100
    else:
        rasio = float("inf") if opd.terbuka else 0.0
    tertua = opd.belum_ditanggapi_tertua_hari
    return (
        _URUTAN[opd.status],
        -(tertua if tertua is not None else -1),
        -rasio,
        opd.kode_skpd or "",
    )


def peringkat(opd: Iterable[TindakLanjutOpd]) -> list[TindakLanjutOpd]:
    """The OPDs ranked (1 = most behind): by status, then the oldest untouched
    finding, then open findings per 100 sub kegiatan, then code."""
    ranked = sorted(opd, key=_kunci)
    return [replace(o, peringkat=i) for i, o in enumerate(ranked, start=1)]


def hitung(
    temuan: Iterable[Temuan],
    dasar: Mapping[str, OpdDasar],
    *,
    sekarang: datetime,
    sejak: datetime,
    batas_hari: int,
    aktivitas: Mapping[str | None, Aktivitas] | None = None,
    pemda: OpdDasar | None = None,
) -> tuple[list[TindakLanjutOpd], TindakLanjutOpd]:
    """Every OPD's follow-up, ranked, and the pemda's over all the findings
    (those filed under no OPD too). ``dasar`` names the OPDs to show: an OPD
    with findings and no entry there is shown by its code."""
    aktivitas = aktivitas or {}
    semua = list(temuan)
    per_kode: dict[str, list[Temuan]] = {kode: [] for kode in dasar}
    for t in semua:
        if t.kode_skpd is not None:
            per_kode.setdefault(t.kode_skpd, []).append(t)
    opd = peringkat(
        satu_opd(
            dasar.get(kode) or OpdDasar(kode),
            rows,
            sekarang=sekarang,
            sejak=sejak,
            batas_hari=batas_hari,
            aktivitas=aktivitas.get(kode),
        )
        for kode, rows in per_kode.items()
    )
    if pemda is None:
        jumlah = sum(d.jumlah_sub_kegiatan for d in dasar.values())
        pemda = OpdDasar(None, "Seluruh perangkat daerah", jumlah)
    terakhir = max(aktivitas.values(), key=lambda a: a.pada, default=None)
    total = satu_opd(
        pemda, semua, sekarang=sekarang, sejak=sejak, batas_hari=batas_hari, aktivitas=terakhir
    )
    return opd, total


def kesegaran(
    *,
    berhasil_pada: datetime | None,
    gagal_terakhir: datetime | None,
    sekarang: datetime,
    batas: timedelta,
    ditahan: Collection[str] = (),
    ditahan_sejak: datetime | None = None,
    satu_opd: bool = False,
) -> SinkronTerakhir:
    """Whether a scope's figures are stale: never synced successfully, the last
    run failed (a failure after the last success), the last run held the
    reader's OPDs ``ditahan`` for an admin's approval (``satu_opd``: the reader
    reads one OPD, "this OPD"), or the last success is older than ``batas``
    (the schedule's gap and a margin)."""
    alasan: str | None = None
    if berhasil_pada is None:
        alasan = "belum pernah berhasil disinkronkan"
    elif gagal_terakhir is not None and gagal_terakhir > berhasil_pada:
        alasan = "sinkronisasi terakhir gagal"
    elif ditahan and ditahan_sejak is not None:
        siapa = "OPD ini" if satu_opd else "OPD " + ", ".join(sorted(ditahan))
        alasan = (
            f"data {siapa} belum dikirim ke E-Planning: menunggu persetujuan admin "
            f"sejak {waktu_wib(ditahan_sejak)}"
        )
    elif sekarang - berhasil_pada > batas:
        jam = int((sekarang - berhasil_pada).total_seconds() // 3600)
        alasan = f"sinkronisasi berhasil terakhir {jam} jam yang lalu"
    sejak = ditahan_sejak if ditahan else None
    return SinkronTerakhir(berhasil_pada, gagal_terakhir, alasan is not None, alasan, sejak)


def batas_basi(jadwal: str, sekarang: datetime) -> timedelta:
    """How old the last successful sync may be under the schedule ``jadwal``
    (cron, WIB): the longest gap between its coming firings, and a margin
    (a nightly schedule: 26 hours)."""
    fires = list(islice(CronSim(jadwal, sekarang.astimezone(WIB)), 8))
    gap = max((b - a for a, b in pairwise(fires)), default=timedelta(days=1))
    return gap + TENGGANG
