"""Every untidiness the E-Program contract lists, through a real sync: what lands
in E-Planning is the tidy value (one test per case)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from app.models import RunStatus
from standins.generator import generate
from tests.e2e.conftest import TAHAP, TAHUN, World, make_world


@pytest.fixture
def small(
    session_factory: sessionmaker[Session], database_url: str, sample_items: list[dict[str, Any]]
) -> Iterator[World]:
    dataset = generate(
        sample_items,
        tahun_anggaran=TAHUN,
        tahap=TAHAP,
        size=4,
        seed=11,
        untidy=False,
        problem_rate=0,
    )
    yield from make_world(session_factory, database_url, dataset)


def sync_one(world: World, raw: dict[str, Any]) -> dict[str, Any]:
    """Put `raw` into E-Program, sync, and return what E-Planning holds for it."""
    world.dataset.add(raw)
    summary = world.sync(full=True)
    assert summary.status is RunStatus.SUCCEEDED, summary.error
    assert sum(summary.counts.values()) == summary.pulled
    held = [r for r in world.eplanning_records().values() if r["sumber"]["id"] == raw["id"]]
    assert len(held) == 1, f"E-Planning holds {len(held)} records from E-Program id {raw['id']}"
    return held[0]


def first(world: World) -> dict[str, Any]:
    return dict(world.dataset.records[0])


@pytest.mark.parametrize(
    ("pagu", "expected"),
    [
        ("296187500", "296187500.00"),
        ("296187500.00", "296187500.00"),
        ("296.187.500,00", "296187500.00"),
        (296187500, "296187500.00"),
    ],
    ids=["plain", "two-decimals", "indonesian-grouping", "json-number"],
)
def test_money_formats(small: World, pagu: Any, expected: str) -> None:
    raw = first(small)
    raw.update(pagu=pagu, sumber_dana=[{**raw["sumber_dana"][0], "pagu_dana": "296187500"}])
    raw["pagu_n_depan"] = "1.176.533.636,00"
    held = sync_one(small, raw)
    assert held["pagu"] == expected
    assert held["pagu_tahun_depan"] == "1176533636.00"


def test_empty_next_year_pagu_is_null(small: World) -> None:
    raw = {**first(small), "pagu_n_depan": ""}
    assert sync_one(small, raw)["pagu_tahun_depan"] is None


def test_two_digit_sub_kegiatan_number_is_widened(small: World) -> None:
    raw = first(small)
    four = raw["kode_sub_giat"]
    raw["kode_sub_giat"] = four[:-4] + four[-2:]
    assert sync_one(small, raw)["kode_sub_kegiatan"] == four


def test_xxx_placeholder_takes_the_opds_bidang(small: World) -> None:
    raw = first(small)
    # Penyusunan Dokumen Perencanaan Perangkat Daerah: every OPD has it, under its own bidang.
    raw["kode_sub_giat"] = "X.XX.01.2.01.0001"
    held = sync_one(small, raw)
    assert held["kode_sub_kegiatan"] == raw["kode_skpd"][:4] + ".01.2.01.0001"


def test_names_lose_code_prefix_line_breaks_and_extra_spaces(small: World) -> None:
    raw = first(small)
    clean = raw["nama_sub_giat"]
    words = clean.split(" ")
    raw["nama_sub_giat"] = f"{raw['kode_sub_giat']} {words[0]}\n\n{'  '.join(words[1:])}   "
    assert sync_one(small, raw)["nama_sub_kegiatan"] == clean


@pytest.mark.parametrize(
    ("target", "satuan", "expected_target", "expected_teks"),
    [
        ("100", "%", "100", "100 %"),
        ("8,5", "Nilai", "8.5", "8,5 Nilai"),
        ("100 %", "%", "100", "100 %"),
        ("12 Bulan", "Bulan", "12", "12 Bulan"),
        ("", "Dokumen", None, ""),
        ("Ada", "Dokumen", None, "Ada Dokumen"),
    ],
    ids=["number", "decimal-comma", "with-percent", "with-unit", "empty", "text"],
)
def test_targets_split_into_number_and_text(
    small: World, target: str, satuan: str, expected_target: str | None, expected_teks: str
) -> None:
    raw = first(small)
    indikator = {**raw["sub_keg_indikator"][0], "targetoutput": target, "satuanoutput": satuan}
    indikator["targetoutputteks"] = ""
    raw["sub_keg_indikator"] = [indikator]
    held = sync_one(small, raw)
    keluaran = [i for i in held["indikator"] if i["jenis"] == "keluaran_sub_kegiatan"]
    assert len(keluaran) == 1
    assert keluaran[0]["target"] == expected_target
    assert keluaran[0]["target_teks"] == expected_teks
    assert keluaran[0]["satuan"] == satuan


@pytest.mark.parametrize(
    "active", ["1", 1, "true", True], ids=["text-1", "number-1", "text-true", "json-true"]
)
def test_active_spellings(small: World, active: Any) -> None:
    raw = {**first(small), "active": active}
    assert sync_one(small, raw)["aktif"] is True


@pytest.mark.parametrize("inactive", ["0", 0, False], ids=["text-0", "number-0", "json-false"])
def test_switched_off_record_is_deactivated(small: World, inactive: Any) -> None:
    raw = first(small)
    small.sync(full=True)
    small.dataset.touch(raw["id"], active=inactive)
    summary = small.sync()
    assert summary.counts == {"deactivated": 1}
    held = [r for r in small.eplanning_records().values() if r["sumber"]["id"] == raw["id"]]
    assert held[0]["aktif"] is False


def test_wib_timestamp_becomes_timezone_aware(small: World) -> None:
    raw = {**first(small), "update_at": "2026-01-05 10:22:33"}
    held = sync_one(small, raw)
    assert held["sumber"]["diperbarui_pada"] == "2026-01-05T10:22:33+07:00"


def test_unknown_fields_are_ignored(small: World) -> None:
    raw = {**first(small), "kode_rekening_baru": "5.1.02", "catatan_operator": {"x": 1}}
    assert sync_one(small, raw)["nama_sub_kegiatan"]


def test_operator_copy_loses_to_the_later_record(small: World) -> None:
    real = first(small)
    copy = {
        **real,
        "id": "700001",
        "update_at": "2024-12-31 23:00:00",
        "pagu": "1",
        "sumber_dana": [],
    }
    small.dataset.add(copy)
    small.dataset.touch(real["id"])

    summary = small.sync(full=True)

    assert summary.status is RunStatus.SUCCEEDED
    outcomes = small.outcomes(summary.run_id)
    assert outcomes["700001"].outcome == "duplicate"
    assert outcomes[real["id"]].outcome in ("created", "updated")
    held = [
        r
        for r in small.eplanning_records().values()
        if r["kode_sub_kegiatan"] == real["kode_sub_giat"]
    ]
    assert [r["sumber"]["id"] for r in held if r["kode_sub_skpd"] == real["kode_sub_skpd"]] == [
        real["id"]
    ]


def test_a_record_that_cannot_be_mapped_is_reported_not_fatal(small: World) -> None:
    raw = {**first(small), "id": "700002", "pagu": "Rp. satu juta"}
    small.dataset.add(raw)
    summary = small.sync(full=True)
    assert summary.status is RunStatus.SUCCEEDED
    outcome = small.outcomes(summary.run_id)["700002"]
    assert outcome.outcome == "unmappable"
    assert "pagu" in (outcome.message or "")
