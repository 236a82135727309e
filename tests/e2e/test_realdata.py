"""A check on real data (issue 6, point 7): one DPUPR's Renja/DPA sheet served by
the stand-in E-Program, the TA 2027 nomenclature imported into Sinkron and given
to the stand-in E-Planning, one full sync; the report's findings are compared
with counts this test works out on its own from the two sheets.

Run with ``pytest -s`` to see the figures. Skips when ../shared/data is absent.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.db import session_scope
from app.models import Mismatch
from app.nomenklatur import reader, store
from standins import opd
from standins.dataset import EProgramDataset
from tests.e2e.conftest import TAHAP, World, make_world

TAHUN = 2027  # the nomenclature's year; the sheet's sub kegiatan are judged by it
RENJA = "renja-dpa-subkegiatan-dpupr-2024.xlsx"
NOMENKLATUR = "nomenklatur-subkegiatan-ta2027.xlsx"
DPUPR = next(p for p in opd.perangkat_daerah() if p["kode_skpd"] == "1.03.0.00.0.00.01.0000")


# -- the sheet as E-Program records -------------------------------------------------


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _month(value: Any) -> str:
    """AWAL/AKHIR PELAKSANAAN: a date, or an Excel serial number of one."""
    if isinstance(value, datetime):
        return str(value.month)
    if isinstance(value, int | float):
        from openpyxl.utils.datetime import from_excel

        moment = from_excel(value)
        return str(moment.month) if isinstance(moment, datetime) else ""
    return ""


def _target(value: Any) -> tuple[str, str]:
    """'1 Laporan' → ('1', 'Laporan'); 0.96 → ('0.96', '')."""
    text = " ".join(_text(value).split())
    number, _, unit = text.partition(" ")
    return (number, unit) if re.fullmatch(r"[0-9.,]+", number) else (text, "")


def _indicator(stem: str, label: str, tolok_ukur: Any, target: Any) -> list[dict[str, str]]:
    if not _text(tolok_ukur).strip():
        return []
    value, satuan = _target(target)
    return [
        {
            f"{label}teks": _text(tolok_ukur),
            f"target{stem}": value,
            f"satuan{stem}": satuan,
            f"target{stem}teks": _text(target),
        }
    ]


def renja_records(path: Path) -> list[dict[str, Any]]:
    """Each row of the Renja/DPA sheet as an E-Program RECORD of the DPUPR."""
    sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [_text(c).strip() for c in next(rows)]
    records = []
    for n, values in enumerate(rows):
        row = dict(zip(header, values, strict=False))
        kode = _text(row["KODE SUB KEGIATAN"]).strip()
        if not kode:
            continue
        pagu = _text(row["JUMLAH PAGU"])
        records.append(
            {
                "id": str(20_000 + n),
                "tahun_anggaran": str(TAHUN),
                "tahap": TAHAP,
                "id_skpd": DPUPR["id_skpd"],
                "kode_skpd": DPUPR["kode_skpd"],
                "nama_skpd": DPUPR["nama_skpd"],
                "id_sub_skpd": DPUPR["id_skpd"],
                "kode_sub_skpd": DPUPR["kode_skpd"],
                "nama_sub_skpd": DPUPR["nama_skpd"],
                "kode_sub_giat": kode,
                "nama_sub_giat": _text(row["PROGRAM DAN KEGIATAN"]),
                "pagu": pagu,
                "waktu_awal": _month(row["AWAL PELAKSANAAN"]),
                "waktu_akhir": _month(row["AKHIR PELAKSANAAN"]),
                "capaian_prog_sub_keg": _indicator(
                    "capaian",
                    "capaian",
                    row["TOLAK UKUR CAPAIAN KEG."],
                    row["TARGET KINERJA CAPAIAN KEG."],
                ),
                "sub_keg_indikator": _indicator(
                    "output", "output", row["TOLAK UKUR KELUARAN"], row["TARGET KINERJA KELUARAN"]
                ),
                "sub_keg_indikator_hasil": _indicator(
                    "hasil", "hasil", row["TOLAK UKUR HASIL"], row["TARGET KINERJA HASIL"]
                ),
                "output_giat": [],
                "sumber_dana": [
                    {"kode_dana": _text(row["SUMBER DANA"]), "nama_dana": "", "pagu_dana": pagu}
                ],
                "lokasi_sub_keg": [{"daerahteks": _text(row["LOKASI"])}],
                "active": "1",
                "update_at": f"2026-11-02 08:{n // 60:02d}:{n % 60:02d}",
            }
        )
    return records


# -- what the two sheets say, worked out here ---------------------------------------


@dataclass(frozen=True)
class Expected:
    rows: int
    not_in_nomenclature: set[str]
    successors: dict[str, str]
    other_names: set[str]
    no_keluaran: set[str]
    other_satuan: set[str]


def _name(text: Any) -> str:
    """What a person means by a name: case, spacing and spacing around
    punctuation aside."""
    words = " ".join(_text(text).split()).casefold()
    return re.sub(r"\s*([-/,.;:()&])\s*", r"\1", words).rstrip(".")


def expected(renja: Path, nomenklatur: Path) -> Expected:
    sheet = load_workbook(nomenklatur, read_only=True, data_only=True).worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    col = {name: i for i, name in enumerate(next(rows))}
    names: dict[str, str] = {}
    satuan: dict[str, str] = {}
    replaced_by: dict[str, str] = {}
    for row in rows:
        if row[col["JENIS PEMDA"]] != "KABKOT":
            continue
        kode, _, nama = _text(row[col["SUBKEGIATAN"]]).strip().partition(" ")
        names[kode] = nama
        satuan[kode] = " ".join(_text(row[col["SATUAN"]]).split()).casefold()
        previous = _text(row[col["SUBKEGIATAN SEBELUMNYA"]]).strip().partition(" ")[0]
        if previous and previous != "[null]":
            replaced_by[previous] = kode

    def listed(kode: str) -> str | None:
        for form in (kode, "X.XX" + kode[4:]):
            if form in names:
                return form
        return None

    data = load_workbook(renja, read_only=True, data_only=True).worksheets[0]
    lines = data.iter_rows(values_only=True)
    head = {_text(c).strip(): i for i, c in enumerate(next(lines))}
    result = Expected(0, set(), {}, set(), set(), set())
    count = 0
    for line in lines:
        kode = _text(line[head["KODE SUB KEGIATAN"]]).strip()
        if not kode:
            continue
        count += 1
        form = listed(kode)
        keluaran = _text(line[head["TOLAK UKUR KELUARAN"]]).strip()
        if not keluaran:
            result.no_keluaran.add(kode)
        if form is None:
            result.not_in_nomenclature.add(kode)
            successor = replaced_by.get(kode) or replaced_by.get("X.XX" + kode[4:])
            if successor:
                result.successors[kode] = (
                    kode[:4] + successor[4:] if successor.startswith("X.XX") else successor
                )
            continue
        if _name(line[head["PROGRAM DAN KEGIATAN"]]) != _name(names[form]):
            result.other_names.add(kode)
        unit = _target(line[head["TARGET KINERJA KELUARAN"]])[1].casefold()
        if keluaran and satuan[form] and unit != satuan[form]:
            result.other_satuan.add(kode)
    return replace(result, rows=count)


# -- the check ------------------------------------------------------------------------


@pytest.fixture
def real(
    shared_data: Path, session_factory: sessionmaker[Session], database_url: str
) -> Iterator[World]:
    fmt, entries = reader.read(shared_data / NOMENKLATUR)
    with session_scope(session_factory) as session:
        version = store.save_version(
            session,
            tahun_anggaran=TAHUN,
            label="TA 2027",
            source=shared_data / NOMENKLATUR,
            source_format=fmt,
            entries=entries,
        )
        items = store.items_as_reference(session, version.id)
    dataset = EProgramDataset(opd.perangkat_daerah(), renja_records(shared_data / RENJA))
    yield from make_world(session_factory, database_url, dataset, tahun_anggaran=TAHUN, items=items)


def test_real_renja_sheet_against_the_ta2027_nomenclature(real: World, shared_data: Path) -> None:
    want = expected(shared_data / RENJA, shared_data / NOMENKLATUR)

    summary = real.sync(full=True)

    assert summary.pulled == want.rows == 44
    assert sum(summary.counts.values()) == summary.pulled
    with session_scope(real.sessions) as session:
        rows = list(session.scalars(select(Mismatch)))
        session.expunge_all()
    by_kategori: dict[str, list[Mismatch]] = {}
    for row in rows:
        by_kategori.setdefault(row.kategori, []).append(row)
    code_rows = by_kategori.get("kode_tidak_di_nomenklatur", [])
    name_rows = by_kategori.get("nama_berbeda", [])
    indicator_rows = by_kategori.get("indikator_tidak_lengkap", [])
    kode_of = {r["id"]: r["kode_sub_giat"] for r in real.dataset.records}

    print(
        f"\nData nyata: {want.rows} sub kegiatan DPUPR, nomenklatur TA 2027 "
        f"({summary.counts})\n"
        f"  kode tidak ada di nomenklatur: laporan {len(code_rows)}, "
        f"dihitung sendiri {len(want.not_in_nomenclature)}\n"
        f"    dengan kode pengganti: laporan {sum(1 for r in code_rows if r.nilai_eplanning)}, "
        f"dihitung sendiri {len(want.successors)}\n"
        f"  nama berbeda: laporan {len(name_rows)}, dihitung sendiri {len(want.other_names)}\n"
        f"  tanpa indikator keluaran: laporan "
        f"{sum(1 for r in indicator_rows if r.field == 'indikator')}, "
        f"dihitung sendiri {len(want.no_keluaran)}\n"
        f"  satuan keluaran berbeda: laporan "
        f"{sum(1 for r in indicator_rows if r.field == 'sub_keg_indikator.satuanoutput')}, "
        f"dihitung sendiri {len(want.other_satuan)}\n"
        f"  semua kategori: {dict(Counter(r.kategori for r in rows))}\n"
        f"  kode yang tidak ada: {sorted(want.not_in_nomenclature)}\n"
        f"  nama berbeda: {[(r.nilai_eprogram, r.nilai_eplanning) for r in name_rows]}"
    )

    assert {r.nilai_eprogram for r in code_rows} == want.not_in_nomenclature
    assert {r.nilai_eprogram: r.nilai_eplanning for r in code_rows if r.nilai_eplanning} == (
        want.successors
    )
    assert {kode_of[r.source_id or ""] for r in name_rows} == want.other_names
    assert {
        kode_of[r.source_id or ""] for r in indicator_rows if r.field == "indikator"
    } == want.no_keluaran
    assert {
        kode_of[r.source_id or ""]
        for r in indicator_rows
        if r.field == "sub_keg_indikator.satuanoutput"
    } == want.other_satuan
    assert all(r.kode_skpd == DPUPR["kode_skpd"] for r in rows)
