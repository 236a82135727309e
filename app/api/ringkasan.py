"""The planners' scoreboard: per OPD and for the whole pemda, with each OPD's
trend over the last runs, and the pagu rolled up per program or kegiatan."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from app import vocabulary
from app.api.mismatch_schemas import (
    KodeSkpd,
    OpdRingkasanOut,
    PaguOut,
    PaguRollupOut,
    RingkasanOut,
    SinkronTerakhirOut,
    TrenOut,
)
from app.http.deps import IkhtisarDep, OpdScopeDep, SessionDep
from app.http.errors import NotFound
from app.http.inputs import TahunAnggaran
from app.mismatches.ikhtisar import Lingkup
from app.models import OpdSnapshot
from app.repositories import ringkasan

router = APIRouter(prefix="/api/v1/ringkasan", tags=["ringkasan"])

Tahun = Annotated[TahunAnggaran, Query()]
Tahap = Annotated[vocabulary.Tahap, Query()]


def _tren(points: list[OpdSnapshot]) -> list[TrenOut]:
    return [
        TrenOut(
            run_id=p.run_id,
            at=p.at,
            jumlah=p.jumlah,
            tepat=p.tepat,
            siap_sakip=p.siap_sakip,
            kesiapan_sakip=p.siap_sakip / p.jumlah if p.jumlah else None,
            mismatch_terbuka=p.mismatch_terbuka,
            pagu_eprogram=p.pagu_eprogram,
            pagu_eplanning=p.pagu_eplanning,
            selisih_pagu=p.pagu_eprogram - p.pagu_eplanning,
        )
        for p in points
    ]


@router.get("", response_model=RingkasanOut, summary="Ringkasan per OPD dan seluruh pemda")
def get_ringkasan(
    session: SessionDep,
    scope: OpdScopeDep,
    kept: IkhtisarDep,
    tahun_anggaran: Tahun,
    tahap: Tahap,
) -> RingkasanOut:
    ikhtisar = kept.baca(session, Lingkup(tahun_anggaran, tahap, scope.opd))
    rows = ikhtisar.per_opd
    series = ringkasan.trend(session, tahun_anggaran=tahun_anggaran, tahap=tahap, opd=scope.opd)
    return RingkasanOut(
        tahun_anggaran=tahun_anggaran,
        tahap=tahap,
        ada_data=bool(rows),
        sinkron_terakhir=SinkronTerakhirOut.of(ikhtisar.tindak.sinkron_terakhir),
        total=OpdRingkasanOut.of(ringkasan.total(rows), _tren(series.get(None, []))),
        # Under None the trend holds the pemda's figures: an OPD without a code
        # (records whose OPD could not be read) has no trend of its own.
        opd=[
            OpdRingkasanOut.of(r, _tren(series.get(r.kode_skpd, [])) if r.kode_skpd else [])
            for r in rows
        ],
    )


@router.get(
    "/{kode_skpd}/pagu",
    response_model=PaguOut,
    summary="Pagu E-Program dan E-Planning per program atau kegiatan satu OPD (yang berbeda)",
)
def get_pagu(
    kode_skpd: Annotated[KodeSkpd, Path()],
    session: SessionDep,
    scope: OpdScopeDep,
    tahun_anggaran: Tahun,
    tahap: Tahap,
    tingkat: Annotated[Literal["program", "kegiatan"], Query()] = "program",
) -> PaguOut:
    known = scope.shows(kode_skpd) and ringkasan.per_opd(
        session, tahun_anggaran=tahun_anggaran, tahap=tahap, opd=frozenset({kode_skpd})
    )
    if not known:
        # The same answer outside the caller's OPDs, which names no OPD: another
        # OPD's data does not leak, nor does the answer say whose it was.
        raise NotFound(f"tidak ada data OPD ini untuk {tahun_anggaran}/{tahap}")
    rollups = ringkasan.pagu_rollup(
        session, tahun_anggaran=tahun_anggaran, tahap=tahap, kode_skpd=kode_skpd, level=tingkat
    )
    return PaguOut(
        tahun_anggaran=tahun_anggaran,
        tahap=tahap,
        kode_skpd=kode_skpd,
        tingkat=tingkat,
        items=[
            PaguRollupOut(
                kode=r.kode,
                nama=r.nama,
                jumlah=r.jumlah,
                pagu_eprogram=r.pagu_eprogram,
                pagu_eplanning=r.pagu_eplanning,
                selisih_pagu=r.selisih,
            )
            for r in rollups
        ],
    )
