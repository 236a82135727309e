"""A small pemda for the report pages: three OPDs (long names, pagu in the
billions), mismatches of several categories and three runs for the trend."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from app.db import session_scope
from app.mismatches import ditemukan
from app.mismatches.temuan import MismatchRow
from app.models import RunStatus
from app.repositories import ringkasan, runs

TAHUN, TAHAP = 2026, "renja"

PU = "1.03.0.00.0.00.01.0000"
DINKES = "1.02.0.00.0.00.01.0000"
BAPPEDA = "5.01.5.05.0.00.01.0000"
NAMA = {
    PU: "Dinas Pekerjaan Umum, Penataan Ruang, Perumahan dan Kawasan Permukiman",
    DINKES: "Dinas Kesehatan, Pengendalian Penduduk dan Keluarga Berencana",
    BAPPEDA: "Badan Perencanaan Pembangunan, Riset dan Inovasi Daerah",
}
# The program of each OPD's sub kegiatan (the first three segments of its code).
PROGRAM = {PU: "1.03.02", DINKES: "1.02.02", BAPPEDA: "5.01.02"}
# Names as long as real ones, so the pagu tables must wrap them on a phone.
NAMA_PROGRAM = {
    PU: "PROGRAM PENGELOLAAN SUMBER DAYA AIR (SDA)",
    DINKES: "PROGRAM PEMENUHAN UPAYA KESEHATAN PERORANGAN DAN UPAYA KESEHATAN MASYARAKAT",
    BAPPEDA: "PROGRAM PERENCANAAN, PENGENDALIAN DAN EVALUASI PEMBANGUNAN DAERAH",
}
NAMA_KEGIATAN = (
    "Penyediaan Fasilitas Pelayanan Kesehatan untuk UKM dan UKP Kewenangan Daerah Kabupaten/Kota",
    "Penyediaan Layanan Kesehatan untuk UKM dan UKP Rujukan Tingkat Daerah Kabupaten/Kota",
    "Koordinasi, Sinkronisasi dan Evaluasi Perencanaan Pembangunan Daerah",
)
SUB_KEGIATAN_NAMES = (
    "Pembangunan Jalan",
    "Rehabilitasi Jembatan",
    "Penyediaan Layanan Kesehatan untuk UKP Rujukan",
    "Pengelolaan Data dan Informasi Perencanaan Pembangunan Daerah",
    "Koordinasi Penyusunan Dokumen Perencanaan Pembangunan Daerah",
    "Pemeliharaan Rutin Jalan",
)


@dataclass(frozen=True)
class Seeded:
    run_ids: list[int]
    # source id → the OPD it belongs to
    sources: dict[str, str]


def sub_kegiatan(opd: str, n: int) -> str:
    return f"{PROGRAM[opd]}.2.{n // 3 + 1:02d}.{n + 1:04d}"


def _state(opd: str, n: int, *, pagu: int, pagu_eplanning: int | None) -> dict[str, Any]:
    kode = sub_kegiatan(opd, n)
    return {
        "tahun_anggaran": TAHUN,
        "tahap": TAHAP,
        "source_id": f"{opd[:4]}-{n}",
        "kode_skpd": opd,
        "nama_skpd": NAMA[opd],
        "kode_sub_skpd": opd,
        "kode_program": PROGRAM[opd],
        "nama_program": NAMA_PROGRAM[opd],
        "kode_kegiatan": kode.rsplit(".", 1)[0],
        "nama_kegiatan": NAMA_KEGIATAN[(n // 3) % len(NAMA_KEGIATAN)],
        "kode_sub_kegiatan": kode,
        "nama_sub_kegiatan": SUB_KEGIATAN_NAMES[n % len(SUB_KEGIATAN_NAMES)],
        "dalam_lingkup": True,
        "tepat": pagu_eplanning == pagu,
        "siap_sakip": n % 3 != 0,
        "pagu_eprogram": Decimal(pagu),
        "pagu_eplanning": None if pagu_eplanning is None else Decimal(pagu_eplanning),
        "outcome": "unchanged" if pagu_eplanning == pagu else "conflict",
        "run_id": None,
    }


# opd, n (its sub kegiatan), kategori, field, E-Program value, E-Planning value, keterangan
_PROBLEMS: tuple[tuple[str, int, str, str | None, str | None, str | None, str], ...] = (
    (PU, 0, "pagu_berbeda", "pagu", "1250000000.00", "1150000000.00", "diubah manual"),
    (PU, 1, "nama_berbeda", "nama_sub_kegiatan", "Rehab Jembatan", "Rehabilitasi Jembatan",
     "nama berbeda dengan nomenklatur 2026"),
    (PU, 2, "kode_tidak_di_nomenklatur", "kode_sub_kegiatan", sub_kegiatan(PU, 2), None,
     "diganti dengan 1.03.02.2.01.0009"),
    (PU, 3, "indikator_tidak_lengkap", "indikator[0].target", "seratus", None,
     "target bukan angka"),
    (PU, 4, "data_tidak_valid", "pagu", "12O.000.000", None, "pagu tidak terbaca"),
    (DINKES, 0, "pagu_berbeda", "pagu", "27500000000.00", "27400000000.00",
     "ditolak E-Planning"),
    (DINKES, 1, "sumber_dana_tidak_sama", "sumber_dana", "3", "2",
     "jumlah sumber dana Rp 900.000.000 ≠ pagu Rp 1.000.000.000"),
    (BAPPEDA, 0, "duplikat", None, "BAPP-0", "BAPP-9", "salinan data yang sama"),
)  # fmt: skip


def problems() -> list[MismatchRow]:
    return [
        MismatchRow(
            tahun_anggaran=TAHUN,
            tahap=TAHAP,
            source_id=f"{opd[:4]}-{n}",
            kategori=kategori,
            field=field,
            nilai_eprogram=ep,
            nilai_eplanning=epl,
            keterangan=why,
            kode_skpd=opd,
            kode_sub_skpd=opd,
            kode_sub_kegiatan=sub_kegiatan(opd, n),
            nama_sub_kegiatan=SUB_KEGIATAN_NAMES[n % len(SUB_KEGIATAN_NAMES)],
        )
        for opd, n, kategori, field, ep, epl, why in _PROBLEMS
    ]


def seed(sessions: sessionmaker[Session]) -> Seeded:
    """Three runs: the first finds a few problems, the second all of them, the
    third finds Bappeda's duplicate gone (a trend that moves both ways)."""
    states = []
    for opd, pagu in ((PU, 1_250_000_000), (DINKES, 27_500_000_000), (BAPPEDA, 850_000_000)):
        for n in range(6):
            differs = opd != BAPPEDA and n == 0
            states.append(
                _state(
                    opd,
                    n,
                    pagu=pagu + n * 10_000_000,
                    pagu_eplanning=pagu + n * 10_000_000 - (100_000_000 if differs else 0),
                )
            )
    rows = problems()
    run_ids = []
    with session_scope(sessions) as session:
        ringkasan.save_states(session, states)
        for found in (rows[:3], rows, rows[:-1]):
            run = runs.create(session, tahun_anggaran=TAHUN, tahap=TAHAP, full=True, trigger="uji")
            ditemukan.record(session, run.id, found)
            ditemukan.resolve_for_sources(
                session,
                tahun_anggaran=TAHUN,
                tahap=TAHAP,
                source_ids=[r.source_id for r in rows if r.source_id],
                run_id=run.id,
            )
            ringkasan.snapshot(session, run_id=run.id, tahun_anggaran=TAHUN, tahap=TAHAP)
            runs.finish(session, run.id, status=RunStatus.SUCCEEDED, counts={"unchanged": 18})
            run_ids.append(run.id)
    return Seeded(run_ids, {s["source_id"]: s["kode_skpd"] for s in states})
