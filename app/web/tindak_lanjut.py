"""What the follow-up pages show besides the figures: whether the scope's data
is fresh (said on every page), the overview's sort, and the period asked for."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Query, Request
from sqlalchemy.orm import Session

from app import clock
from app.http import inputs
from app.http.deps import parts
from app.http.inputs import BlankIsNone
from app.mismatches import tindak_lanjut as tl
from app.mismatches.tindak_lanjut import SinkronTerakhir, TindakLanjutOpd
from app.mismatches.tindak_lanjut_baca import sinkron_terakhir
from app.repositories import runs
from app.runs import persetujuan
from app.web.errors import HalamanGalat

# A meeting date (the period's start), as the date field sends it.
Tanggal = Annotated[inputs.Tanggal | None, BlankIsNone, Query()]


def sejak(asked: str | None, sekarang: datetime) -> datetime:
    """The period's start: the asked date at 00.00 WIB, else the last 30 days."""
    if asked is None:
        return tl.sejak_baku(sekarang)
    try:
        day = date.fromisoformat(asked)
    except ValueError:
        raise HalamanGalat(f"tanggal '{asked}' tidak ada; tulis sebagai TTTT-BB-HH") from None
    start = tl.awal_periode(day)
    if start > sekarang:
        raise HalamanGalat("tanggal rapat tidak boleh di masa depan")
    return start


def batas_basi(request: Request, sekarang: datetime) -> Any:
    return tl.batas_basi(parts(request).settings.schedule, sekarang)


def kesegaran(
    request: Request,
    session: Session,
    *,
    tahun_anggaran: int,
    tahap: str,
    opd: frozenset[str] | None,
) -> SinkronTerakhir:
    """When the scope last synced successfully, and whether its figures are stale."""
    sekarang = clock.now()
    return sinkron_terakhir(
        session,
        tahun_anggaran=tahun_anggaran,
        tahap=tahap,
        opd=opd,
        sekarang=sekarang,
        batas=batas_basi(request, sekarang),
    )


@dataclass(frozen=True)
class Ditahan:
    """A run whose writes for some of the reader's OPDs the guard holds for an
    admin. ``penghalang``: why the plan can no longer be approved (it expired, or
    another run wrote since), said instead of "until an admin decides"."""

    run_id: int
    kode_skpd: tuple[str, ...]
    penghalang: str | None = None


def ditahan(
    session: Session,
    *,
    tahun_anggaran: int,
    tahap: str,
    opd: frozenset[str] | None,
    berlaku_jam: float,
) -> list[Ditahan]:
    """The scope's held runs that hold one of ``opd`` (None: any OPD): the
    figures of those OPDs wait for that decision (said on the pages)."""
    found = []
    waiting = runs.waiting_for_approval(
        session, previews_since=None, tahun_anggaran=tahun_anggaran, tahap=tahap
    )
    for run in waiting:
        held = sorted(k for k in (run.ditahan or {}) if opd is None or k in opd)
        if held:
            obstacle = persetujuan.obstacle(session, run, berlaku_jam)
            found.append(Ditahan(run.id, tuple(held), obstacle.sebab if obstacle else None))
    return found


def _nama(o: TindakLanjutOpd) -> str:
    return (o.nama_skpd or o.kode_skpd or "").lower()


def _when(o: TindakLanjutOpd) -> datetime | None:
    return o.aktivitas_terakhir.pada if o.aktivitas_terakhir else None


@dataclass(frozen=True)
class Kolom:
    """A sortable column of the overview: its header and what it sorts by."""

    judul: str
    kunci: Callable[[TindakLanjutOpd], Any]
    turun_dulu: bool = False  # first click sorts the largest first


KOLOM: dict[str, Kolom] = {
    "peringkat": Kolom("Peringkat", lambda o: o.peringkat),
    "nama": Kolom("Perangkat daerah", _nama),
    "status": Kolom("Status tindak lanjut", lambda o: o.peringkat),
    "belum": Kolom("Belum ditanggapi", lambda o: o.belum_ditanggapi, True),
    "belum_umur": Kolom(
        "Tertua belum ditanggapi (hari)", lambda o: o.belum_ditanggapi_tertua_hari, True
    ),
    "diakui": Kolom("Diakui, masih terbuka", lambda o: o.diakui_terbuka, True),
    "diakui_umur": Kolom("Tertua diakui (hari)", lambda o: o.diakui_tertua_hari, True),
    "selesai": Kolom("Selesai sejak", lambda o: o.selesai_sejak, True),
    "dikecualikan": Kolom("Dikecualikan sejak", lambda o: o.dikecualikan_sejak, True),
    "median": Kolom("Median hari sampai selesai", lambda o: o.median_hari_selesai, True),
    "per100": Kolom("Terbuka per 100 sub kegiatan", lambda o: o.terbuka_per_100, True),
    "kesiapan": Kolom("Kesiapan SAKIP", lambda o: o.kesiapan_sakip),
    "aktivitas": Kolom("Aktivitas terakhir", _when, True),
}


def urutkan(rows: list[TindakLanjutOpd], urut: str) -> list[TindakLanjutOpd]:
    """The OPDs sorted by a column ("-" first: descending); empty values last."""
    kolom = KOLOM[urut.removeprefix("-")]
    turun = urut.startswith("-")
    filled = [o for o in rows if kolom.kunci(o) is not None]
    empty = [o for o in rows if kolom.kunci(o) is None]
    ordered = sorted(filled, key=lambda o: (kolom.kunci(o), o.peringkat or 0), reverse=turun)
    return ordered + empty


def urut_dibaca(asked: str | None) -> str:
    urut = asked or "peringkat"
    if urut.removeprefix("-") not in KOLOM:
        raise HalamanGalat(f"urutan '{urut}' tidak dikenal; pilih {', '.join(KOLOM)}")
    return urut


def urut_berikut(current: str, key: str) -> str:
    """The sort a header asks for: reversed when it is the sort, else its first way."""
    if current.removeprefix("-") == key:
        return key if current.startswith("-") else f"-{key}"
    return f"-{key}" if KOLOM[key].turun_dulu else key
