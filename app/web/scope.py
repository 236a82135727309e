"""What a report page is asked for: the tahun/tahap, the OPD and the table's
filters, read from the query string and checked (a clear 4xx page, not JSON)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from fastapi import Depends, Path, Query
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError
from sqlalchemy.orm import Session

from app.access.opd_scope import OpdScope
from app.http.deps import SessionDep
from app.http.inputs import INT32_MAX, BlankIsNone, Id, TahunAnggaran, Text, TextRule
from app.mismatches.daftar import URUTAN, MismatchFilter
from app.repositories import ringkasan
from app.vocabulary import Kategori, MismatchStatus, Tahap
from app.web.errors import HalamanGalat, TidakDitemukan
from app.web.sessions import OpdHalamanDep
from mappings.normalise import WIB

# The path segment of the OPD page for problems filed under no OPD.
TANPA_OPD = "-"
STATUS_PILIHAN = ("terbuka", *(s.value for s in MismatchStatus), "semua")
# Read by app.http.inputs; what it refuses is a 4xx page (app.web.errors).
Teks = Annotated[Text | None, Query()]
# As the API: a search reads every row of the tahun/tahap.
Cari = Annotated[Annotated[str, TextRule(100)] | None, Query()]
# The OPD in a page's path, as the overview links it: a code, or TANPA_OPD.
KodeHalaman = Annotated[str, TextRule(100), Path()]
MismatchId = Annotated[Id, Path()]


# At most this many mismatches in one decision from a page.
BATAS_MASSAL = 1000


def _ids(value: str) -> str:
    ids = [int(i) for i in value.split(",") if i]
    if len(ids) > BATAS_MASSAL:
        raise PydanticCustomError(
            "terlalu_banyak", "paling banyak {batas} baris sekaligus", {"batas": BATAS_MASSAL}
        )
    if any(i < 1 or i > INT32_MAX for i in ids):
        raise PydanticCustomError("id_salah", "setiap id antara 1 dan {le}", {"le": INT32_MAX})
    return value


# Mismatch ids as a page sends them, "12,13,20": ticked rows, or those a
# decision on many changed (for its undo).
DaftarId = Annotated[
    str,
    TextRule(11 * BATAS_MASSAL, pattern=r"^([0-9]{1,10}(,[0-9]{1,10})*)?$"),
    AfterValidator(_ids),
]


@dataclass(frozen=True)
class Cakupan:
    """The tahun anggaran and tahap a page shows, and the others on offer."""

    tahun_anggaran: int
    tahap: str
    pilihan: tuple[tuple[int, str], ...]

    def query(self) -> dict[str, str]:
        return {"tahun_anggaran": str(self.tahun_anggaran), "tahap": self.tahap}


def cakupan(session: Session, tahun: int | None, tahap: str | None) -> Cakupan:
    """The asked scope, else the newest one with data (else this year's Renja)."""
    if tahap is not None and Tahap.of(tahap) is None:
        raise HalamanGalat(f"tahap '{tahap}' tidak dikenal; pilih {', '.join(Tahap)}")
    pilihan = tuple(sorted(ringkasan.scopes(session), key=lambda s: (-s[0], _tahap_order(s[1]))))
    fitting = [s for s in pilihan if tahun in (None, s[0]) and tahap in (None, s[1])]
    chosen = (
        fitting[0] if fitting else (tahun or datetime.now(WIB).year, tahap or Tahap.RENJA.value)
    )
    return Cakupan(chosen[0], chosen[1], pilihan)


def _tahap_order(tahap: str) -> int:
    order = list(Tahap)
    known = Tahap.of(tahap)
    return order.index(known) if known is not None else len(order)


def opd_scope(lingkup: OpdScope, kode_skpd: str) -> None:
    """Another OPD's page answers as if it did not exist (and so does the page
    of problems filed under no OPD, for a key limited to OPDs)."""
    if not lingkup.shows(kode_skpd):
        raise TidakDitemukan("perangkat daerah ini tidak ada dalam laporan Anda")


@dataclass(frozen=True)
class Saringan:
    """The OPD table's filters, as the form and the export links carry them."""

    kategori: str = ""
    status: str = "terbuka"
    q: str = ""
    urut: str = "id"

    @classmethod
    def read(
        cls, kategori: str | None, status: str | None, q: str | None, urut: str | None = None
    ) -> Saringan:
        kategori, status, q = kategori or "", status or "terbuka", (q or "").strip()
        urut = urut or "id"
        if urut.removeprefix("-") not in URUTAN:
            raise HalamanGalat(f"urutan '{urut}' tidak dikenal; pilih {', '.join(URUTAN)}")
        if kategori and Kategori.of(kategori) is None:
            raise HalamanGalat(f"kategori '{kategori}' tidak dikenal")
        if status not in STATUS_PILIHAN:
            raise HalamanGalat(
                f"status '{status}' tidak dikenal; pilih {', '.join(STATUS_PILIHAN)}"
            )
        return cls(kategori, status, q, urut)

    def query(self) -> dict[str, str]:
        asked = {"kategori": self.kategori, "status": self.status, "q": self.q}
        if self.urut != "id":
            asked["urut"] = self.urut
        return {k: v for k, v in asked.items() if v}

    def mismatch_filter(self, where: Cakupan, kode_skpd: str, lingkup: OpdScope) -> MismatchFilter:
        tanpa_opd = kode_skpd == TANPA_OPD
        return MismatchFilter(
            tahun_anggaran=where.tahun_anggaran,
            tahap=where.tahap,
            kode_skpd=None if tanpa_opd else kode_skpd,
            tanpa_opd=tanpa_opd,
            kategori=self.kategori or None,
            status=None if self.status == "semua" else self.status,
            q=self.q or None,
            opd=lingkup.opd,
        )


def url(path: str, *parts: dict[str, str]) -> str:
    """``path`` with the merged query parts (later parts win)."""
    merged: dict[str, str] = {}
    for part in parts:
        merged.update(part)
    return f"{path}?{urlencode(merged)}" if merged else path


def kembali_dengan(target: str, parts: dict[str, str], *, buang: tuple[str, ...] = ()) -> str:
    """A page address (path, query, #fragment) with ``parts`` set in its query
    and the ``buang`` names dropped; the fragment stays last."""
    split = urlsplit(target)
    query = {k: v for k, v in parse_qsl(split.query, keep_blank_values=True) if k not in buang}
    query.update(parts)
    return urlunsplit(("", "", split.path, urlencode(query), split.fragment))


# What a page adds to say what a decision just did; dropped from a page's own
# address so that the next decision does not carry the last one's.
JEJAK_KEPUTUSAN = ("diputuskan", "massal", "keputusan", "urung")


@dataclass(frozen=True)
class TabelOpd:
    """One OPD's mismatch table as asked: the page and its exports read the same."""

    kode_skpd: str
    cakupan: Cakupan
    saringan: Saringan
    filter: MismatchFilter

    @property
    def path(self) -> str:
        return f"/laporan/opd/{self.kode_skpd}"

    def query(self) -> dict[str, str]:
        return {**self.cakupan.query(), **self.saringan.query()}


def _cakupan_asked(
    session: SessionDep,
    tahun_anggaran: Annotated[TahunAnggaran | None, BlankIsNone, Query()] = None,
    tahap: Teks = None,
) -> Cakupan:
    return cakupan(session, tahun_anggaran, tahap)


CakupanDep = Annotated[Cakupan, Depends(_cakupan_asked)]


async def tabel_opd(
    *,
    kode_skpd: KodeHalaman,
    where: CakupanDep,
    lingkup: OpdHalamanDep,
    kategori: Teks = None,
    status: Teks = None,
    q: Cari = None,
    urut: Teks = None,
) -> TabelOpd:
    opd_scope(lingkup, kode_skpd)
    saringan = Saringan.read(kategori, status, q, urut)
    return TabelOpd(kode_skpd, where, saringan, saringan.mismatch_filter(where, kode_skpd, lingkup))


TabelDep = Annotated[TabelOpd, Depends(tabel_opd)]
