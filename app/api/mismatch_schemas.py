"""Request and response models of the planners' report: mismatches, decisions,
the per-OPD summary. Money is Decimal, sent as a string ("1250000000.00")."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.http.inputs import Id, Note, Reason, TahunAnggaran, TextRule
from app.mismatches.kategori import info as kategori_info
from app.mismatches.siklus import Keputusan
from app.mismatches.tindak_lanjut import ATURAN_KESIAPAN, SinkronTerakhir
from app.models import Mismatch, MismatchEvent
from app.repositories.ringkasan import OpdFigures
from app.sync.scope import KODE_SKPD
from app.vocabulary import Kategori, StatusFilter, Tahap
from mappings.nomenklatur import TINGKAT_SAKIP

KodeSkpd = Annotated[str, TextRule(40, KODE_SKPD)]
Catatan = Note
Alasan = Reason
# A decision on many takes at most this many mismatches (ids, or what a filter picks).
BULK_MAX = 5000


class KeputusanOut(BaseModel):
    oleh: str
    pada: datetime
    catatan: str | None


class MismatchOut(BaseModel):
    id: int
    tahun_anggaran: int
    tahap: str
    kode_skpd: str | None
    kode_sub_skpd: str | None
    kode_sub_kegiatan: str | None
    nama_sub_kegiatan: str | None
    source_id: str | None
    kategori: str
    kategori_label: str
    field: str | None
    nilai_eprogram: str | None
    nilai_eplanning: str | None = Field(description="Nilai di E-Planning atau di nomenklatur.")
    keterangan: str | None
    saran: str | None = Field(description="Apa yang perlu dilakukan.")
    status: str
    first_seen_at: datetime
    last_seen_at: datetime
    first_run_id: int | None
    last_run_id: int | None
    keputusan_terakhir: KeputusanOut | None
    ditanggapi_pada: datetime | None = Field(
        description="Keputusan pertama sejak terakhir dibuka; null: belum ditanggapi."
    )
    penyebab_id: int | None = Field(
        description="Akibat dari mismatch ini: tidak dihitung tersendiri (satu sebab, sekali)."
    )

    @classmethod
    def of(cls, m: Mismatch) -> MismatchOut:
        info = kategori_info(m.kategori)
        decided = (
            KeputusanOut(oleh=m.diputuskan_oleh, pada=m.diputuskan_pada, catatan=m.catatan)
            if m.diputuskan_oleh and m.diputuskan_pada
            else None
        )
        return cls(
            id=m.id,
            tahun_anggaran=m.tahun_anggaran,
            tahap=m.tahap,
            kode_skpd=m.kode_skpd,
            kode_sub_skpd=m.kode_sub_skpd,
            kode_sub_kegiatan=m.kode_sub_kegiatan,
            nama_sub_kegiatan=m.nama_sub_kegiatan,
            source_id=m.source_id,
            kategori=m.kategori,
            kategori_label=info.label if info else m.kategori,
            field=m.field,
            nilai_eprogram=m.nilai_eprogram,
            nilai_eplanning=m.nilai_eplanning,
            keterangan=m.keterangan,
            saran=info.saran if info else None,
            status=m.status,
            first_seen_at=m.first_seen_at,
            last_seen_at=m.last_seen_at,
            first_run_id=m.first_run_id,
            last_run_id=m.last_run_id,
            keputusan_terakhir=decided,
            ditanggapi_pada=m.ditanggapi_pada,
            penyebab_id=m.penyebab_id,
        )


class MismatchPage(BaseModel):
    items: list[MismatchOut]
    next_cursor: str | None


class MismatchEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    oleh: str = Field(description="Nama orang pemegang kunci yang mengubah status, atau 'sistem'")
    oleh_email: str | None = Field(
        default=None, description="E-mail orang itu saat memutuskan; null untuk sinkronisasi"
    )
    dari: str | None
    ke: str
    catatan: str | None
    run_id: int | None


class MismatchDetail(MismatchOut):
    riwayat: list[MismatchEventOut]

    @classmethod
    def with_history(cls, m: Mismatch, events: list[MismatchEvent]) -> MismatchDetail:
        return cls(
            **MismatchOut.of(m).model_dump(),
            riwayat=[MismatchEventOut.model_validate(e) for e in events],
        )


class AkuiIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    catatan: Catatan | None = None


class KecualikanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    alasan: Alasan = Field(description="Wajib: mengapa perbedaan ini diterima.")


class BukaKembaliIn(AkuiIn):
    pass


FILTER_FIELDS = ("tahun_anggaran", "tahap", "kode_skpd", "kategori", "status", "q")


class KeputusanMassalIn(BaseModel):
    """A decision on many mismatches: by ``ids``, or by a filter within one tahun/tahap."""

    keputusan: Keputusan
    catatan: Catatan | None = None
    alasan: Catatan | None = Field(default=None, description="Wajib untuk 'kecualikan'.")
    ids: list[Id] | None = Field(default=None, min_length=1, max_length=BULK_MAX)
    tahun_anggaran: TahunAnggaran | None = None
    tahap: Tahap | None = None
    kode_skpd: KodeSkpd | None = None
    kategori: Kategori | None = None
    status: StatusFilter | None = None
    q: Annotated[str, TextRule(100)] | None = None

    # What _chosen checks, said in the document: ids or a filter within one
    # tahun/tahap, never both; excepting needs a reason.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "allOf": [
                {
                    "oneOf": [
                        {
                            "required": ["ids"],
                            "properties": {
                                "ids": {"type": "array"},
                                **{name: {"type": "null"} for name in FILTER_FIELDS},
                            },
                        },
                        {
                            "required": ["tahun_anggaran", "tahap"],
                            "properties": {
                                "ids": {"type": "null"},
                                "tahun_anggaran": {"type": "integer"},
                                "tahap": {"type": "string"},
                            },
                        },
                    ]
                },
                {
                    "if": {"properties": {"keputusan": {"const": "kecualikan"}}},
                    "then": {
                        "required": ["alasan"],
                        "properties": {"alasan": {"type": "string", "minLength": 1}},
                    },
                },
            ]
        },
    )


class KeputusanMassalOut(BaseModel):
    keputusan: str
    cocok: int = Field(description="Mismatch yang dipilih.")
    diubah: int
    dilewati: int = Field(description="Berstatus yang tidak berlaku untuk keputusan ini.")
    dilewati_per_status: dict[str, int]


class TrenOut(BaseModel):
    run_id: int
    at: datetime
    jumlah: int
    tepat: int
    siap_sakip: int
    kesiapan_sakip: float | None
    mismatch_terbuka: int
    pagu_eprogram: Decimal
    pagu_eplanning: Decimal
    selisih_pagu: Decimal


class OpdRingkasanOut(BaseModel):
    kode_skpd: str | None = Field(description="null: seluruh pemda (total).")
    nama_skpd: str | None
    jumlah: int = Field(description="Sub kegiatan dalam lingkup (aktif, bukan salinan).")
    tepat: int = Field(description="Tiba di E-Planning persis sama.")
    siap_sakip: int = Field(description="Siap di keempat tingkat indikator.")
    kesiapan_sakip: float | None = Field(description="Bagian yang siap SAKIP, 0..1.")
    siap_per_tingkat: dict[str, int] = Field(
        description="Sub kegiatan yang siap per tingkat indikator."
    )
    kesiapan_per_tingkat: dict[str, float | None] = Field(
        description="Bagian yang siap per tingkat indikator, 0..1."
    )
    mismatch_terbuka: int = Field(description="Tanpa temuan yang akibat dari temuan lain.")
    mismatch_per_kategori: dict[str, int]
    pagu_eprogram: Decimal
    pagu_eplanning: Decimal
    selisih_pagu: Decimal
    tren: list[TrenOut] = Field(description="Angka yang sama pada 30 run terakhir, terlama dulu.")

    @classmethod
    def of(cls, f: OpdFigures, tren: list[TrenOut]) -> OpdRingkasanOut:
        return cls(
            kode_skpd=f.kode_skpd,
            nama_skpd=f.nama_skpd,
            jumlah=f.jumlah,
            tepat=f.tepat,
            siap_sakip=f.siap_sakip,
            kesiapan_sakip=f.kesiapan,
            siap_per_tingkat={t: f.siap_tingkat.get(t, 0) for t in TINGKAT_SAKIP},
            kesiapan_per_tingkat=f.kesiapan_tingkat(),
            mismatch_terbuka=f.mismatch_terbuka,
            mismatch_per_kategori={k.value: f.mismatch.get(k, 0) for k in Kategori}
            | {k: n for k, n in f.mismatch.items() if Kategori.of(k) is None},
            pagu_eprogram=f.pagu_eprogram,
            pagu_eplanning=f.pagu_eplanning,
            selisih_pagu=f.selisih_pagu,
            tren=tren,
        )


class SinkronTerakhirOut(BaseModel):
    """Kapan angka ini terakhir diperbarui oleh sinkronisasi."""

    berhasil_pada: datetime | None = Field(description="Sinkronisasi berhasil terakhir.")
    gagal_terakhir: datetime | None = Field(description="Sinkronisasi gagal terakhir.")
    basi: bool = Field(description="Run terakhir gagal, atau yang berhasil terlalu lama.")
    peringatan: str | None = Field(description="Mengapa angka ini mungkin tidak terkini.")

    @classmethod
    def of(cls, s: SinkronTerakhir) -> SinkronTerakhirOut:
        return cls(
            berhasil_pada=s.berhasil_pada,
            gagal_terakhir=s.gagal_terakhir,
            basi=s.basi,
            peringatan=s.alasan,
        )


class RingkasanOut(BaseModel):
    tahun_anggaran: int
    tahap: str
    ada_data: bool = Field(description="false: belum ada data untuk tahun/tahap ini.")
    sinkron_terakhir: SinkronTerakhirOut
    aturan_kesiapan: str = Field(default=ATURAN_KESIAPAN)
    total: OpdRingkasanOut
    opd: list[OpdRingkasanOut] = Field(description="Diurutkan dari mismatch terbuka terbanyak.")


class PaguRollupOut(BaseModel):
    kode: str
    nama: str | None = Field(
        default=None,
        description=(
            "Nama program atau kegiatan seperti di E-Program; kosong untuk data yang "
            "belum disinkronkan ulang sejak nama disimpan."
        ),
    )
    jumlah: int
    pagu_eprogram: Decimal
    pagu_eplanning: Decimal
    selisih_pagu: Decimal


class PaguOut(BaseModel):
    tahun_anggaran: int
    tahap: str
    kode_skpd: str
    tingkat: str
    items: list[PaguRollupOut] = Field(description="Hanya yang pagunya berbeda.")
