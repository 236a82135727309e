"""The pages planners read: every OPD ranked, one OPD's mismatches, one mismatch."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from app.api.inputs import BlankIsNone, Id
from app.mismatches import daftar
from app.mismatches.siklus import Keputusan
from app.models import Mismatch
from app.repositories import ringkasan
from app.repositories.ringkasan import OpdFigures, PaguRollup
from app.web.errors import TidakDitemukan
from app.web.grafik import garis
from app.web.render import page
from app.web.scope import (
    BATAS_MASSAL,
    STATUS_PILIHAN,
    TANPA_OPD,
    Cakupan,
    CakupanDep,
    DaftarId,
    MismatchId,
    TabelDep,
    TabelOpd,
    Teks,
    url,
)
from app.web.sessions import DbDep, OpdHalamanDep

router = APIRouter(prefix="/laporan", include_in_schema=False)

PAGE_SIZE = 50
ROLLUP_LEVELS = ("program", "kegiatan")
# A page number, or the mismatch a decision was just made on, or how many a
# decision on many changed.
Nomor = Annotated[Id | None, BlankIsNone, Query()]
# The ids a decision on many changed, for its undo.
IdUrung = Annotated[DaftarId | None, BlankIsNone, Query()]


@router.get("", response_class=HTMLResponse)
def overview(
    request: Request, session: DbDep, lingkup: OpdHalamanDep, where: CakupanDep
) -> HTMLResponse:
    opd = lingkup.opd
    rows = ringkasan.per_opd(
        session, tahun_anggaran=where.tahun_anggaran, tahap=where.tahap, opd=opd
    )
    series = ringkasan.trend(
        session, tahun_anggaran=where.tahun_anggaran, tahap=where.tahap, opd=opd
    )
    # Under None the trend holds the pemda's series; problems filed under no
    # OPD have no snapshots, hence no line of their own.
    trends = {
        row.kode_skpd: garis([s.mismatch_terbuka for s in series.get(row.kode_skpd, [])])
        if row.kode_skpd is not None
        else None
        for row in rows
    }
    pemda = ringkasan.total(rows)
    return page(
        request,
        "ringkasan.html",
        cakupan=where,
        rows=rows,
        pemda=pemda,
        trends=trends,
        tren_pemda=garis([s.mismatch_terbuka for s in series.get(None, [])])
        if opd is None
        else None,
        opd_url=lambda kode: url(f"/laporan/opd/{kode or TANPA_OPD}", where.query()),
        kategori_terbanyak=_top_kategori,
    )


def _top_kategori(figures: OpdFigures, n: int = 3) -> list[tuple[str, int]]:
    return sorted(figures.mismatch.items(), key=lambda kv: (-kv[1], kv[0]))[:n]


@router.get("/opd/{kode_skpd}", response_class=HTMLResponse)
def opd_page(
    request: Request,
    *,
    tabel: TabelDep,
    session: DbDep,
    halaman: Nomor = None,
    diputuskan: Nomor = None,
    massal: Nomor = None,
    keputusan: Teks = None,
    urung: IdUrung = None,
) -> HTMLResponse:
    where, saringan, kode_skpd = tabel.cakupan, tabel.saringan, tabel.kode_skpd
    jumlah = daftar.count(session, tabel.filter)
    halaman_ke = min(halaman or 1, max(1, -(-jumlah // PAGE_SIZE)))
    rows = list(
        daftar.numbered_page(
            session,
            tabel.filter,
            urut=saringan.urut,
            offset=(halaman_ke - 1) * PAGE_SIZE,
            limit=PAGE_SIZE,
        )
    )
    # The row just decided stays in place with its new status until the next
    # load, even when the filter no longer picks it (an exception leaves "terbuka").
    baru_diputuskan = _decided(session, tabel, diputuskan)
    if baru_diputuskan is not None and all(r.id != baru_diputuskan.id for r in rows):
        rows.append(baru_diputuskan)
        rows.sort(key=lambda r: r.id)
    path = tabel.path
    here_query = {"halaman": str(halaman_ke)} if halaman_ke > 1 else {}
    return page(
        request,
        "opd.html",
        cakupan=where,
        kode_skpd=kode_skpd,
        opd=_figures(session, where.tahun_anggaran, where.tahap, kode_skpd),
        saringan=saringan,
        status_pilihan=STATUS_PILIHAN,
        rows=rows,
        jumlah=jumlah,
        halaman=Halaman.of(halaman_ke, jumlah, PAGE_SIZE),
        halaman_url=lambda n: url(path, tabel.query(), {"halaman": str(n)} if n > 1 else {}),
        urut_url=lambda key: url(path, tabel.query(), {"urut": _flip(saringan.urut, key)}),
        kategori_url=lambda code: url(path, where.query(), {**saringan.query(), "kategori": code}),
        here=url(path, tabel.query(), here_query),
        jumlah_akui=_count_baru(session, tabel),
        aksi_massal=url(f"{path}/keputusan", tabel.query()),
        path=path,
        ringkasan_url=url("/laporan", where.query()),
        reset_url=url(path, where.query()),
        ekspor={ext: url(f"{path}/ekspor.{ext}", tabel.query()) for ext in ("xlsx", "csv")},
        rollups={level: _rollup(session, where, kode_skpd, level) for level in ROLLUP_LEVELS},
        baru_diputuskan=baru_diputuskan,
        massal=Massal.of(massal, keputusan, urung),
        batas_massal=BATAS_MASSAL,
    )


def _count_baru(session: DbDep, tabel: TabelOpd) -> int:
    """How many of the filtered rows "akui semua yang tersaring" would acknowledge."""
    if tabel.saringan.status not in {"terbuka", "baru", "semua"}:
        return 0
    return daftar.count(session, replace(tabel.filter, status="baru"))


def _flip(current: str, key: str) -> str:
    """The sort a column's header asks for: by it, or reversed when it is the sort."""
    return f"-{key}" if current == key else key


def _decided(session: DbDep, tabel: TabelOpd, mismatch_id: int | None) -> Mismatch | None:
    if mismatch_id is None:
        return None
    found = daftar.get(session, mismatch_id, opd=tabel.filter.opd)
    if found is None or (found.kode_skpd or TANPA_OPD) != tabel.kode_skpd:
        return None
    return found


@dataclass(frozen=True)
class Halaman:
    """The page numbers under the table: the current one, the total, and the
    numbers to link (first, last and the current's neighbours; None: a gap)."""

    ke: int
    dari: int
    nomor: tuple[int | None, ...]

    @classmethod
    def of(cls, ke: int, jumlah: int, per_halaman: int) -> Halaman:
        dari = max(1, -(-jumlah // per_halaman))
        shown = sorted({1, dari, *range(max(1, ke - 2), min(dari, ke + 2) + 1)})
        nomor: list[int | None] = []
        for n in shown:
            if nomor and nomor[-1] is not None and n - nomor[-1] > 1:
                nomor.append(None)
            nomor.append(n)
        return cls(ke, dari, tuple(nomor))


@dataclass(frozen=True)
class Massal:
    """What a decision on many just did, for the confirmation line and its undo."""

    diubah: int
    keputusan: str
    ids: str

    @classmethod
    def of(cls, diubah: int | None, keputusan: str | None, ids: str | None) -> Massal | None:
        if diubah is None or keputusan not in {k.value for k in Keputusan}:
            return None
        return cls(diubah, keputusan or "", ids or "")


def _rollup(session: DbDep, where: Cakupan, kode_skpd: str, level: str) -> list[PaguRollup]:
    if kode_skpd == TANPA_OPD:
        return []
    return ringkasan.pagu_rollup(
        session,
        tahun_anggaran=where.tahun_anggaran,
        tahap=where.tahap,
        kode_skpd=kode_skpd,
        level=level,
    )


def _figures(session: DbDep, tahun: int, tahap: str, kode_skpd: str) -> OpdFigures:
    if kode_skpd == TANPA_OPD:
        rows = ringkasan.per_opd(session, tahun_anggaran=tahun, tahap=tahap)
        none = [r for r in rows if r.kode_skpd is None]
        return none[0] if none else OpdFigures(kode_skpd=None)
    rows = ringkasan.per_opd(session, tahun_anggaran=tahun, tahap=tahap, opd=frozenset({kode_skpd}))
    return rows[0] if rows else OpdFigures(kode_skpd=kode_skpd)


@router.get("/mismatch/{mismatch_id}", response_class=HTMLResponse)
def mismatch_page(
    request: Request, mismatch_id: MismatchId, session: DbDep, lingkup: OpdHalamanDep
) -> HTMLResponse:
    found = daftar.get(session, mismatch_id, opd=lingkup.opd)
    if found is None:
        raise TidakDitemukan(f"ketidaksesuaian #{mismatch_id} tidak ada dalam laporan Anda")
    asked = {"tahun_anggaran": str(found.tahun_anggaran), "tahap": found.tahap}
    return page(
        request,
        "mismatch.html",
        m=found,
        opd_url=url(f"/laporan/opd/{found.kode_skpd or TANPA_OPD}", asked),
        here=request.url.path,
    )
