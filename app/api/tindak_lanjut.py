"""Follow-up on findings (tindak lanjut): which OPDs have not answered their
findings, ranked by status, then the oldest untouched finding, then open
findings per 100 sub kegiatan (docs/design.md, "Tindak lanjut"). A key scoped
to OPDs sees only theirs."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from app import vocabulary
from app.api.mismatch_schemas import SinkronTerakhirOut
from app.http.deps import IkhtisarDep, OpdScopeDep, SessionDep
from app.http.errors import Invalid
from app.http.inputs import TahunAnggaran, Tanggal
from app.mismatches import tindak_lanjut as tl
from app.mismatches.ikhtisar import Lingkup
from app.mismatches.tindak_lanjut import TindakLanjutOpd

router = APIRouter(prefix="/api/v1/tindak-lanjut", tags=["tindak lanjut"])


class AktivitasOut(BaseModel):
    pada: datetime
    oleh: str
    apa: str


class TindakLanjutOpdOut(BaseModel):
    kode_skpd: str | None = Field(description="null: seluruh pemda (total).")
    nama_skpd: str | None
    status_tindak_lanjut: tl.StatusTindakLanjut
    peringkat: int | None = Field(description="1: paling tertinggal; null untuk total pemda.")
    belum_ditanggapi: int = Field(description="Baru, belum pernah diputuskan siapa pun.")
    belum_ditanggapi_tertua_hari: int | None
    diakui_terbuka: int = Field(description="Sudah ditanggapi, masih terbuka.")
    diakui_tertua_hari: int | None
    selesai_sejak: int = Field(description="Selesai (tidak ditemukan lagi) sejak tanggal `sejak`.")
    dikecualikan_sejak: int
    median_hari_selesai: float | None = Field(description="Hari dari ditemukan sampai selesai.")
    jumlah_sub_kegiatan: int
    terbuka: int
    terbuka_per_100: float | None = Field(description="Temuan terbuka per 100 sub kegiatan.")
    kesiapan_sakip: float | None = Field(description="Bagian sub kegiatan siap SAKIP, 0..1.")
    aktivitas_terakhir: AktivitasOut | None
    akibat: int = Field(description="Temuan terbuka akibat temuan lain: tidak dihitung.")

    @classmethod
    def of(cls, o: TindakLanjutOpd) -> TindakLanjutOpdOut:
        a = o.aktivitas_terakhir
        return cls(
            kode_skpd=o.kode_skpd,
            nama_skpd=o.nama_skpd,
            status_tindak_lanjut=o.status,
            peringkat=o.peringkat,
            belum_ditanggapi=o.belum_ditanggapi,
            belum_ditanggapi_tertua_hari=o.belum_ditanggapi_tertua_hari,
            diakui_terbuka=o.diakui_terbuka,
            diakui_tertua_hari=o.diakui_tertua_hari,
            selesai_sejak=o.selesai_sejak,
            dikecualikan_sejak=o.dikecualikan_sejak,
            median_hari_selesai=o.median_hari_selesai,
            jumlah_sub_kegiatan=o.jumlah_sub_kegiatan,
            terbuka=o.terbuka,
            terbuka_per_100=o.terbuka_per_100,
            kesiapan_sakip=o.kesiapan_sakip,
            aktivitas_terakhir=AktivitasOut(pada=a.pada, oleh=a.oleh, apa=a.apa) if a else None,
            akibat=o.akibat,
        )


class TindakLanjutOut(BaseModel):
    tahun_anggaran: int
    tahap: str
    sejak: datetime
    sekarang: datetime
    batas_hari: int = Field(description="Hari sebuah temuan boleh belum ditanggapi.")
    ada_data: bool = Field(description="false: belum ada data untuk tahun/tahap ini.")
    sinkron_terakhir: SinkronTerakhirOut
    total: TindakLanjutOpdOut
    opd: list[TindakLanjutOpdOut] = Field(description="Diurutkan menurut peringkat.")


def tanggal(text: str) -> date:
    """A date (``YYYY-MM-DD``); a 422 for a date that does not exist."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid(f"sejak: tanggal '{text}' tidak ada (format YYYY-MM-DD)") from None


@router.get(
    "",
    response_model=TindakLanjutOut,
    summary="Tindak lanjut temuan per OPD: status, umur, peringkat",
)
def get_tindak_lanjut(
    session: SessionDep,
    scope: OpdScopeDep,
    kept: IkhtisarDep,
    tahun_anggaran: Annotated[TahunAnggaran, Query()],
    tahap: Annotated[vocabulary.Tahap, Query()],
    sejak: Annotated[
        Tanggal | None,
        Query(description="Awal periode (YYYY-MM-DD, WIB), mis. tanggal rapat; baku 30 hari."),
    ] = None,
) -> TindakLanjutOut:
    hari = tanggal(sejak) if sejak else None
    hasil = kept.baca(session, Lingkup(tahun_anggaran, tahap, scope.opd, sejak=hari)).tindak
    return TindakLanjutOut(
        tahun_anggaran=tahun_anggaran,
        tahap=tahap,
        sejak=hasil.sejak.astimezone(UTC),
        sekarang=hasil.sekarang,
        batas_hari=hasil.batas_hari,
        ada_data=hasil.ada_data,
        sinkron_terakhir=SinkronTerakhirOut.of(hasil.sinkron_terakhir),
        total=TindakLanjutOpdOut.of(hasil.pemda),
        opd=[TindakLanjutOpdOut.of(o) for o in hasil.opd],
    )
