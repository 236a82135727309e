"""Mismatches and record states of two OPDs, stored the way a run stores them
(ditemukan.record, ringkasan.save_states, ringkasan.snapshot over two runs)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from app.db import session_scope
from app.mismatches import ditemukan
from app.mismatches.temuan import MismatchRow
from app.models import SyncRun
from app.repositories import ringkasan

TAHUN, TAHAP = 2026, "renja"
OPD_A = "1.02.0.00.0.00.01.0000"
OPD_B = "2.07.0.00.0.00.01.0000"
NAMA = {OPD_A: "Dinas Kesehatan", OPD_B: "Dinas Perdagangan"}


def _rows(kode_skpd: str, count: int, kategori: str, start: int) -> list[MismatchRow]:
    rows = []
    for i in range(start, start + count):
        money = kategori in {"pagu_berbeda", "sumber_dana_tidak_sama"}
        rows.append(
            MismatchRow(
                tahun_anggaran=TAHUN,
                tahap=TAHAP,
                source_id=f"{kode_skpd}-{i}",
                kategori=kategori,
                field="pagu" if money else "nama_sub_kegiatan",
                nilai_eprogram="1250000000.00" if money else f"Penyediaan Jalan {i}",
                nilai_eplanning="1000000000.00" if money else "=SUM(A1:A2)",
                keterangan="berbeda",
                kode_skpd=kode_skpd,
                kode_sub_skpd=kode_skpd[:-4] + "0001",
                kode_sub_kegiatan=f"1.02.02.2.01.{i:04d}",
                nama_sub_kegiatan=f"Sub kegiatan {i} <script>",
            )
        )
    return rows


# OPD A: 3 nama_berbeda, 2 pagu_berbeda, 1 ditolak; OPD B: 4 nama_berbeda, 1 duplikat.
PLAN = {
    OPD_A: {"nama_berbeda": 3, "pagu_berbeda": 2, "ditolak": 1},
    OPD_B: {"nama_berbeda": 4, "duplikat": 1},
}


def _states(kode_skpd: str, run_id: int, count: int) -> list[dict[str, Any]]:
    return [
        {
            "tahun_anggaran": TAHUN,
            "tahap": TAHAP,
            "source_id": f"{kode_skpd}-{i}",
            "kode_skpd": kode_skpd,
            "nama_skpd": NAMA[kode_skpd],
            "kode_sub_skpd": kode_skpd[:-4] + "0001",
            "kode_program": f"1.02.0{i % 2 + 1}",
            "kode_kegiatan": f"1.02.0{i % 2 + 1}.2.01",
            "kode_sub_kegiatan": f"1.02.02.2.01.{i:04d}",
            "nama_sub_kegiatan": f"Sub kegiatan {i}",
            "dalam_lingkup": True,
            "tepat": i % 3 != 0,
            "siap_sakip": i % 2 == 0,
            "pagu_eprogram": Decimal("1250000000.50"),
            "pagu_eplanning": Decimal("1000000000.00") if i < 2 else Decimal("1250000000.50"),
            "outcome": "conflict" if i < 2 else "unchanged",
            "run_id": run_id,
        }
        for i in range(count)
    ]


def seed(sessions: sessionmaker[Session]) -> None:
    with session_scope(sessions) as session:
        runs = []
        for _ in range(2):
            run = SyncRun(
                tahun_anggaran=TAHUN, tahap=TAHAP, full=True, trigger="test", status="succeeded"
            )
            session.add(run)
            session.flush()
            runs.append(run.id)
        ringkasan.save_states(session, _states(OPD_A, runs[0], 10) + _states(OPD_B, runs[0], 6))
        ringkasan.snapshot(session, run_id=runs[0], tahun_anggaran=TAHUN, tahap=TAHAP)
        rows: list[MismatchRow] = []
        for kode, plan in PLAN.items():
            start = 0
            for kategori, n in plan.items():
                rows += _rows(kode, n, kategori, start)
                start += n
        ditemukan.record(session, runs[1], rows)
        ringkasan.snapshot(session, run_id=runs[1], tahun_anggaran=TAHUN, tahap=TAHAP)
