"""The pages planners read: every OPD ranked, one OPD's mismatches, one mismatch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from app.http.deps import SessionDep
from app.http.inputs import BlankIsNone, Id
from app.mismatches import daftar
from app.repositories import ringkasan
from app.repositories.ringkasan import OpdFigures, PaguRollup
from app.web.errors import TidakDitemukan
from app.web.grafik import garis
from app.web.render import page
from app.web.scope import (
    STATUS_PILIHAN,
    TANPA_OPD,
    Cakupan,
    CakupanDep,
    MismatchId,
    TabelDep,
    url,
)
from app.web.sessions import OpdHalamanDep

router = APIRouter(prefix="/laporan", include_in_schema=False)

PAGE_SIZE = 50
ROLLUP_LEVELS = ("program", "kegiatan")
# The next page of the table starts after this mismatch; empty: the first page.
Setelah = Annotated[Id | None, BlankIsNone, Query()]


@router.get("", response_class=HTMLResponse)
def overview(
    request: Request, session: SessionDep, lingkup: OpdHalamanDep, where: CakupanDep
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
    tabel: TabelDep,
    session: SessionDep,
    setelah: Setelah = None,
) -> HTMLResponse:
    where, saringan, kode_skpd = tabel.cakupan, tabel.saringan, tabel.kode_skpd
    found = daftar.page(session, tabel.filter, after_id=setelah, limit=PAGE_SIZE + 1)
    rows, more = found[:PAGE_SIZE], len(found) > PAGE_SIZE
    path = tabel.path
    return page(
        request,
        "opd.html",
        cakupan=where,
        kode_skpd=kode_skpd,
        opd=_figures(session, where.tahun_anggaran, where.tahap, kode_skpd),
        saringan=saringan,
        status_pilihan=STATUS_PILIHAN,
        rows=rows,
        jumlah=daftar.count(session, tabel.filter),
        here=url(path, tabel.query(), {"setelah": str(setelah)} if setelah else {}),
        path=path,
        ringkasan_url=url("/laporan", where.query()),
        reset_url=url(path, where.query()),
        berikutnya=url(path, tabel.query(), {"setelah": str(rows[-1].id)}) if more else None,
        awal=url(path, tabel.query()) if setelah else None,
        ekspor={ext: url(f"{path}/ekspor.{ext}", tabel.query()) for ext in ("xlsx", "csv")},
        rollups={level: _rollup(session, where, kode_skpd, level) for level in ROLLUP_LEVELS},
    )


def _rollup(session: SessionDep, where: Cakupan, kode_skpd: str, level: str) -> list[PaguRollup]:
    if kode_skpd == TANPA_OPD:
        return []
    return ringkasan.pagu_rollup(
        session,
        tahun_anggaran=where.tahun_anggaran,
        tahap=where.tahap,
        kode_skpd=kode_skpd,
        level=level,
    )


def _figures(session: SessionDep, tahun: int, tahap: str, kode_skpd: str) -> OpdFigures:
    if kode_skpd == TANPA_OPD:
        rows = ringkasan.per_opd(session, tahun_anggaran=tahun, tahap=tahap)
        none = [r for r in rows if r.kode_skpd is None]
        return none[0] if none else OpdFigures(kode_skpd=None)
    rows = ringkasan.per_opd(session, tahun_anggaran=tahun, tahap=tahap, opd=frozenset({kode_skpd}))
    return rows[0] if rows else OpdFigures(kode_skpd=kode_skpd)


@router.get("/mismatch/{mismatch_id}", response_class=HTMLResponse)
def mismatch_page(
    request: Request, mismatch_id: MismatchId, session: SessionDep, lingkup: OpdHalamanDep
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
