"""The pages planners read: every OPD ranked, one OPD's mismatches, one mismatch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from app.api.deps import SessionDep
from app.repositories import mismatches, ringkasan
from app.repositories.ringkasan import OpdFigures
from app.web.errors import HalamanGalat, TidakDitemukan
from app.web.grafik import garis
from app.web.render import page
from app.web.scope import (
    STATUS_PILIHAN,
    TANPA_OPD,
    Saringan,
    cakupan,
    opd_scope,
    url,
)
from app.web.sessions import PenggunaDep

router = APIRouter(prefix="/laporan", include_in_schema=False)

PAGE_SIZE = 50
Teks = Annotated[str | None, Query(max_length=300)]


@router.get("", response_class=HTMLResponse)
def overview(
    request: Request,
    session: SessionDep,
    pengguna: PenggunaDep,
    tahun_anggaran: Teks = None,
    tahap: Teks = None,
) -> HTMLResponse:
    where = cakupan(session, tahun_anggaran, tahap)
    opd = pengguna.principal.opd
    rows = ringkasan.per_opd(
        session, tahun_anggaran=where.tahun_anggaran, tahap=where.tahap, opd=opd
    )
    series = ringkasan.trend(
        session, tahun_anggaran=where.tahun_anggaran, tahap=where.tahap, opd=opd
    )
    trends = {
        row.kode_skpd: garis([s.mismatch_terbuka for s in series.get(row.kode_skpd, [])])
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
    kode_skpd: str,
    session: SessionDep,
    pengguna: PenggunaDep,
    tahun_anggaran: Teks = None,
    tahap: Teks = None,
    kategori: Teks = None,
    status: Teks = None,
    q: Teks = None,
    setelah: Teks = None,
) -> HTMLResponse:
    principal = pengguna.principal
    opd_scope(principal, kode_skpd)
    where = cakupan(session, tahun_anggaran, tahap)
    saringan = Saringan.read(kategori, status, q)
    after_id = _after(setelah)
    f = saringan.mismatch_filter(where, kode_skpd, principal)
    found = mismatches.page(session, f, after_id=after_id, limit=PAGE_SIZE + 1)
    rows, more = found[:PAGE_SIZE], len(found) > PAGE_SIZE
    figures = _figures(session, where.tahun_anggaran, where.tahap, kode_skpd)
    path = f"/laporan/opd/{kode_skpd}"
    here = url(path, where.query(), saringan.query(), {"setelah": setelah} if setelah else {})
    rollups = {
        level: []
        if kode_skpd == TANPA_OPD
        else ringkasan.pagu_rollup(
            session,
            tahun_anggaran=where.tahun_anggaran,
            tahap=where.tahap,
            kode_skpd=kode_skpd,
            level=level,
        )
        for level in ("program", "kegiatan")
    }
    return page(
        request,
        "opd.html",
        cakupan=where,
        kode_skpd=kode_skpd,
        opd=figures,
        saringan=saringan,
        status_pilihan=STATUS_PILIHAN,
        rows=rows,
        jumlah=mismatches.count(session, f),
        here=here,
        path=path,
        ringkasan_url=url("/laporan", where.query()),
        reset_url=url(path, where.query()),
        berikutnya=url(path, where.query(), saringan.query(), {"setelah": str(rows[-1].id)})
        if more
        else None,
        awal=url(path, where.query(), saringan.query()) if after_id else None,
        ekspor={
            ext: url(f"{path}/ekspor.{ext}", where.query(), saringan.query())
            for ext in ("xlsx", "csv")
        },
        rollups=rollups,
    )


def _after(setelah: str | None) -> int | None:
    if not setelah:
        return None
    if not setelah.isdigit():
        raise HalamanGalat("nomor halaman tidak valid")
    return int(setelah)


def _figures(session: SessionDep, tahun: int, tahap: str, kode_skpd: str) -> OpdFigures:
    if kode_skpd == TANPA_OPD:
        rows = ringkasan.per_opd(session, tahun_anggaran=tahun, tahap=tahap)
        none = [r for r in rows if r.kode_skpd is None]
        return none[0] if none else OpdFigures(kode_skpd=None)
    rows = ringkasan.per_opd(session, tahun_anggaran=tahun, tahap=tahap, opd=frozenset({kode_skpd}))
    return rows[0] if rows else OpdFigures(kode_skpd=kode_skpd)


@router.get("/mismatch/{mismatch_id}", response_class=HTMLResponse)
def mismatch_page(
    request: Request, mismatch_id: int, session: SessionDep, pengguna: PenggunaDep
) -> HTMLResponse:
    found = mismatches.get(session, mismatch_id, opd=pengguna.principal.opd)
    if found is None:
        raise TidakDitemukan(f"mismatch #{mismatch_id} tidak ada dalam laporan Anda")
    scope = {"tahun_anggaran": str(found.tahun_anggaran), "tahap": found.tahap}
    return page(
        request,
        "mismatch.html",
        m=found,
        opd_url=url(f"/laporan/opd/{found.kode_skpd or TANPA_OPD}", scope),
        here=request.url.path,
    )
