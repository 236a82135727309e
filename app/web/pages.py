"""The pages planners read: every OPD ranked, one OPD's mismatches, one mismatch."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse

from app import clock
from app.http.deps import SessionDep, parts
from app.http.inputs import BlankIsNone, Id, TextRule
from app.mismatches import daftar
from app.mismatches.daftar import MismatchFilter
from app.mismatches.ikhtisar import Lingkup
from app.mismatches.siklus import Keputusan
from app.mismatches.tindak_lanjut import LABEL as LABEL_STATUS
from app.mismatches.tindak_lanjut import TindakLanjut, umur_hari
from app.mismatches.tindak_lanjut_baca import baca_tindak_lanjut
from app.models import Mismatch
from app.repositories import ringkasan
from app.repositories.ringkasan import OpdFigures, PaguRollup
from app.vocabulary import Kategori
from app.web import tindak_lanjut as tl_halaman
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
    Saringan,
    TabelDep,
    TabelOpd,
    Teks,
    opd_scope,
    url,
)
from app.web.sessions import OpdHalamanDep
from app.web.tindak_lanjut import Tanggal

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
    request: Request,
    *,
    session: SessionDep,
    lingkup: OpdHalamanDep,
    where: CakupanDep,
    urut: Teks = None,
    sejak: Tanggal = None,
) -> HTMLResponse:
    opd = lingkup.opd
    urutan = tl_halaman.urut_dibaca(urut)
    # Checked against today (a meeting date may not be in the future); the
    # kept overview resolves it again against its own time.
    dipilih = tl_halaman.sejak(sejak, clock.now()).date() if sejak else None
    ikhtisar = parts(request).ikhtisar.baca(
        session, Lingkup(where.tahun_anggaran, where.tahap, opd, sejak=dipilih)
    )
    tindak, mingguan = ikhtisar.tindak, ikhtisar.mingguan
    mulai = tindak.sejak
    figures = {f.kode_skpd: f for f in ikhtisar.per_opd}
    pemda = ringkasan.total(list(figures.values()))
    asked = {**where.query(), **({"sejak": sejak} if sejak else {})}
    return page(
        request,
        "ringkasan.html",
        cakupan=where,
        tindak=tindak,
        rows=tl_halaman.urutkan(tindak.opd, urutan),
        figures=figures,
        pemda=pemda,
        kolom=tl_halaman.KOLOM,
        urut=urutan,
        urut_url=lambda key: url("/laporan", asked, {"urut": tl_halaman.urut_berikut(urutan, key)}),
        sejak=mulai,
        sejak_diminta=sejak or "",
        trends={kode: garis(values) for kode, values in mingguan.items()},
        tren_pemda=garis([sum(week) for week in zip(*mingguan.values(), strict=True)]),
        tanpa_opd_url=url(f"/laporan/opd/{TANPA_OPD}", where.query()) if opd is None else None,
        kesegaran=tindak.sinkron_terakhir,
        ditahan=tl_halaman.ditahan(
            session,
            tahun_anggaran=where.tahun_anggaran,
            tahap=where.tahap,
            opd=opd,
            berlaku_jam=parts(request).settings.pratinjau_berlaku_jam,
        ),
        kategori_pemda=sorted(pemda.mismatch.items(), key=lambda kv: (-kv[1], kv[0])),
        kategori_url=lambda code: url(f"/laporan/kategori/{code}", where.query()),
        opd_url=lambda kode: url(f"/laporan/opd/{kode or TANPA_OPD}", where.query()),
        cetak_url=url("/laporan/cetak", asked),
        kategori_terbanyak=_top_kategori,
        label_status=LABEL_STATUS,
    )


def _tindak_lanjut(
    request: Request,
    session: SessionDep,
    *,
    where: Cakupan,
    opd: frozenset[str] | None,
    sejak: str | None,
    sekarang: datetime,
) -> TindakLanjut:
    """The follow-up of the page's scope since the asked date (default: 30 days)."""
    return baca_tindak_lanjut(
        session,
        tahun_anggaran=where.tahun_anggaran,
        tahap=where.tahap,
        sejak=tl_halaman.sejak(sejak, sekarang),
        sekarang=sekarang,
        batas_hari=parts(request).settings.tindak_lanjut_hari,
        kode_skpd=opd,
        batas_basi=tl_halaman.batas_basi(request, sekarang),
    )


def _top_kategori(figures: OpdFigures | None, n: int = 3) -> list[tuple[str, int]]:
    if figures is None:
        return []
    return sorted(figures.mismatch.items(), key=lambda kv: (-kv[1], kv[0]))[:n]


@router.get("/opd/{kode_skpd}", response_class=HTMLResponse)
def opd_page(
    request: Request,
    *,
    tabel: TabelDep,
    session: SessionDep,
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
        cetak_url=url("/laporan/cetak", where.query(), {"kode_skpd": kode_skpd})
        if kode_skpd != TANPA_OPD
        else None,
        rollups={level: _rollup(session, where, kode_skpd, level) for level in ROLLUP_LEVELS},
        baru_diputuskan=baru_diputuskan,
        kesegaran=tl_halaman.kesegaran(
            request,
            session,
            tahun_anggaran=where.tahun_anggaran,
            tahap=where.tahap,
            opd=None if kode_skpd == TANPA_OPD else frozenset({kode_skpd}),
        ),
        massal=Massal.of(massal, keputusan, urung),
        ditahan=tl_halaman.ditahan(
            session,
            tahun_anggaran=where.tahun_anggaran,
            tahap=where.tahap,
            opd=frozenset({kode_skpd}),
            berlaku_jam=parts(request).settings.pratinjau_berlaku_jam,
        ),
        batas_massal=BATAS_MASSAL,
    )


def _count_baru(session: SessionDep, tabel: TabelOpd) -> int:
    """How many of the filtered rows "akui semua yang tersaring" would acknowledge."""
    if tabel.saringan.status not in {"terbuka", "baru", "semua"}:
        return 0
    return daftar.count(session, replace(tabel.filter, status="baru"))


def _flip(current: str, key: str) -> str:
    """The sort a column's header asks for: by it, or reversed when it is the sort."""
    return f"-{key}" if current == key else key


def _decided(session: SessionDep, tabel: TabelOpd, mismatch_id: int | None) -> Mismatch | None:
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
        kesegaran=tl_halaman.kesegaran(
            request,
            session,
            tahun_anggaran=found.tahun_anggaran,
            tahap=found.tahap,
            opd=None if found.kode_skpd is None else frozenset({found.kode_skpd}),
        ),
    )


KodeKategori = Annotated[str, TextRule(40), Path()]
KodeOpd = Annotated[Annotated[str, TextRule(100)] | None, BlankIsNone, Query()]


@dataclass(frozen=True)
class KelompokCetak:
    """One OPD's open findings for the print, by category (in stream order)."""

    kode_skpd: str | None
    kategori: list[tuple[str, list[Mismatch]]]

    @property
    def jumlah(self) -> int:
        return sum(len(rows) for _, rows in self.kategori)


def _per_opd_per_kategori(found: Iterable[Mismatch]) -> list[KelompokCetak]:
    groups: list[KelompokCetak] = []
    for m in found:
        if not groups or groups[-1].kode_skpd != m.kode_skpd:
            groups.append(KelompokCetak(m.kode_skpd, []))
        kategori = groups[-1].kategori
        if not kategori or kategori[-1][0] != m.kategori:
            kategori.append((m.kategori, []))
        kategori[-1][1].append(m)
    return groups


@router.get("/kategori/{kategori}", response_class=HTMLResponse)
def kategori_page(
    request: Request,
    *,
    kategori: KodeKategori,
    session: SessionDep,
    lingkup: OpdHalamanDep,
    where: CakupanDep,
    halaman: Nomor = None,
    urut: Teks = None,
) -> HTMLResponse:
    """One category across every OPD the reader may see: the OPDs by count,
    then the findings, numbered pages."""
    if Kategori.of(kategori) is None:
        raise TidakDitemukan(f"kategori '{kategori}' tidak dikenal")
    saringan = Saringan.read(kategori, "terbuka", None, urut)
    f = MismatchFilter(
        tahun_anggaran=where.tahun_anggaran,
        tahap=where.tahap,
        kategori=kategori,
        status="terbuka",
        opd=lingkup.opd,
    )
    jumlah = daftar.count(session, f)
    halaman_ke = min(halaman or 1, max(1, -(-jumlah // PAGE_SIZE)))
    rows = daftar.numbered_page(
        session, f, urut=saringan.urut, offset=(halaman_ke - 1) * PAGE_SIZE, limit=PAGE_SIZE
    )
    ikhtisar = parts(request).ikhtisar.baca(
        session, Lingkup(where.tahun_anggaran, where.tahap, lingkup.opd)
    )
    per_opd = sorted(
        ((r, r.mismatch.get(kategori, 0)) for r in ikhtisar.per_opd if r.mismatch.get(kategori)),
        key=lambda rn: (-rn[1], rn[0].kode_skpd or ""),
    )
    path = f"/laporan/kategori/{kategori}"
    query = {**where.query(), **({"urut": saringan.urut} if saringan.urut != "id" else {})}
    return page(
        request,
        "kategori.html",
        cakupan=where,
        kategori=kategori,
        per_opd=per_opd,
        rows=rows,
        jumlah=jumlah,
        saringan=saringan,
        halaman=Halaman.of(halaman_ke, jumlah, PAGE_SIZE),
        halaman_url=lambda n: url(path, query, {"halaman": str(n)} if n > 1 else {}),
        urut_url=lambda key: url(path, where.query(), {"urut": _flip(saringan.urut, key)}),
        opd_url=lambda kode: url(
            f"/laporan/opd/{kode or TANPA_OPD}", where.query(), {"kategori": kategori}
        ),
        ringkasan_url=url("/laporan", where.query()),
        kesegaran=ikhtisar.tindak.sinkron_terakhir,
    )


@router.get("/cetak", response_class=HTMLResponse)
def cetak_rapat(
    request: Request,
    *,
    session: SessionDep,
    lingkup: OpdHalamanDep,
    where: CakupanDep,
    sejak: Tanggal = None,
    kode_skpd: KodeOpd = None,
) -> HTMLResponse:
    """ "Cetak untuk rapat": the follow-up of every OPD (the pemda's totals once,
    at the end), then per OPD every open finding, grouped by category, each
    OPD's name in the header its table repeats on every printed page. With
    ``kode_skpd``: one OPD's."""
    opd = lingkup.opd
    if kode_skpd is not None:
        opd_scope(lingkup, kode_skpd)
        opd = frozenset({kode_skpd})
    sekarang = clock.now()
    tindak = _tindak_lanjut(request, session, where=where, opd=opd, sejak=sejak, sekarang=sekarang)
    semua = MismatchFilter(
        tahun_anggaran=where.tahun_anggaran,
        tahap=where.tahap,
        status="terbuka",
        opd=opd,
    )
    nama = {o.kode_skpd: o.nama_skpd for o in tindak.opd}
    return page(
        request,
        "cetak.html",
        cakupan=where,
        tindak=tindak,
        label_status=LABEL_STATUS,
        per_opd=_per_opd_per_kategori(daftar.stream(session, semua)),
        nama_opd=nama,
        umur=lambda m: umur_hari(m.first_seen_at, sekarang),
        kesegaran=tindak.sinkron_terakhir,
        sejak=tindak.sejak,
        kembali=url("/laporan", where.query()),
    )
