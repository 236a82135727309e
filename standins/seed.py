"""What E-Planning holds before Sinkron first writes to it, for the demo: records
planners entered by hand, and a sub-unit E-Planning knows under another code.

Written from the two contracts alone, like the rest of the stand-ins.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from standins.dataset import EProgramDataset

SUPPORT = "X.XX"


def four_digit(record: dict[str, Any]) -> tuple[str, str]:
    """(kode_sub_skpd, the record's sub kegiatan code, four-digit, real bidang)."""
    seg = str(record["kode_sub_giat"]).split(".")
    if seg[0].upper() == "X":
        seg[:2] = str(record["kode_skpd"]).split(".")[:2]
    seg[-1] = seg[-1].zfill(4)
    return str(record["kode_sub_skpd"]), ".".join(seg)


def hand_entered(
    dataset: EProgramDataset,
    items: list[dict[str, Any]],
    *,
    tahun_anggaran: int,
    tahap: str,
    count: int = 3,
) -> list[dict[str, Any]]:
    """``count`` E-Planning bodies for sub kegiatan of sub-units that E-Program does
    not have: what a planner typed straight into E-Planning."""
    used = {four_digit(r) for r in dataset.records}
    units = dataset.perangkat_daerah
    by_id = {u["id_skpd"]: u for u in units}
    kabkot = [i for i in items if i.get("jenis_pemda", "KABKOT") != "PROV"]
    bodies: list[dict[str, Any]] = []
    for unit in units:
        parent = by_id.get(unit["id_unit"], unit)
        bidang = parent["kode_skpd"][:4]
        for item in kabkot:
            kode = str(item["kode"])
            if kode.startswith(SUPPORT + "."):
                kode = bidang + kode[len(SUPPORT) :]
            if not kode.startswith(bidang + ".") or (unit["kode_skpd"], kode) in used:
                continue
            pagu = Decimal(75_000_000) * (len(bodies) + 1)
            body = _body(
                parent, unit, {**item, "kode": kode}, tahun=tahun_anggaran, tahap=tahap, pagu=pagu
            )
            bodies.append(body)
            break
        if len(bodies) == count:
            break
    return bodies


def _body(
    parent: dict[str, str],
    unit: dict[str, str],
    item: dict[str, Any],
    *,
    tahun: int,
    tahap: str,
    pagu: Decimal,
) -> dict[str, Any]:
    satuan = str(item.get("satuan") or "Dokumen")
    return {
        "tahun_anggaran": tahun,
        "tahap": tahap,
        "kode_skpd": parent["kode_skpd"],
        "kode_sub_skpd": unit["kode_skpd"],
        "nama_sub_skpd": unit["nama_skpd"],
        "kode_sub_kegiatan": str(item["kode"]),
        "nama_sub_kegiatan": str(item["nama"]),
        "pagu": f"{pagu:.2f}",
        "bulan_mulai": 1,
        "bulan_selesai": 12,
        "indikator": [
            {
                "jenis": "keluaran_sub_kegiatan",
                "tolok_ukur": str(item.get("indikator") or f"Jumlah {item['nama']}"),
                "target": "1",
                "target_teks": f"1 {satuan}",
                "satuan": satuan,
            }
        ],
        "aktif": True,
    }


def renamed_unit(dataset: EProgramDataset) -> str | None:
    """The sub-unit (not an OPD) with the fewest records: the one E-Planning will
    not know, as if it had been renamed there."""
    counts = Counter(str(r["kode_sub_skpd"]) for r in dataset.records)
    units = [
        p["kode_skpd"]
        for p in dataset.perangkat_daerah
        if p["is_skpd"] == "0" and counts.get(p["kode_skpd"])
    ]
    return min(units, key=lambda kode: (counts[kode], kode), default=None)
