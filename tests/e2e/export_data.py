"""Many mismatches at once, for exports that take long enough to walk away from:
a bulk insert (ditemukan.record would take longer than the tests themselves)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, insert

from app.mismatches.temuan import identitas
from app.models import Mismatch, utcnow

TAHUN, TAHAP = 2026, "renja"
BESAR = "1.03.0.00.0.00.01.0000"  # many mismatches: an export of it takes seconds
KECIL = "1.02.0.00.0.00.01.0000"  # a few: an export of it is done at once


def seed(engine: Engine, *, kode_skpd: str, rows: int) -> None:
    now = utcnow()
    batch: list[dict[str, Any]] = []
    with engine.begin() as conn:
        for i in range(rows):
            source_id = f"{kode_skpd}-{i}"
            name = f"Penyediaan Jalan Lingkungan Desa Nomor {i} di Kecamatan Tebing Tinggi"
            batch.append(
                {
                    "tahun_anggaran": TAHUN,
                    "tahap": TAHAP,
                    "identitas": identitas(
                        source_id=source_id,
                        kode_sub_skpd=None,
                        kode_sub_kegiatan=None,
                        kategori="nama_berbeda",
                        field="nama_sub_kegiatan",
                    ),
                    "kode_skpd": kode_skpd,
                    "kode_sub_skpd": kode_skpd[:-4] + "0001",
                    "kode_sub_kegiatan": f"1.03.02.2.01.{i % 9999 + 1:04d}",
                    "nama_sub_kegiatan": name,
                    "source_id": source_id,
                    "kategori": "nama_berbeda",
                    "field": "nama_sub_kegiatan",
                    "nilai_eprogram": name,
                    "nilai_eplanning": name.upper(),
                    "keterangan": "nama berbeda dengan nomenklatur",
                    "status": "baru",
                    "first_seen_at": now,
                    "last_seen_at": now,
                }
            )
            if len(batch) == 5000:
                conn.execute(insert(Mismatch), batch)
                batch.clear()
        if batch:
            conn.execute(insert(Mismatch), batch)
