"""Generated E-Program data: reproducible, of the size asked for, untidy as the contract says."""

from __future__ import annotations

import json
import re
from collections import Counter
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

import pytest

from standins import opd
from standins.dataset import EProgramDataset
from standins.generator import generate
from standins.nomenklatur import SAMPLE_PATH, load_sample

CONTRACT_FIELDS = {
    "id",
    "kode_sbl",
    "tahun_anggaran",
    "tahap",
    "id_skpd",
    "kode_skpd",
    "nama_skpd",
    "id_sub_skpd",
    "kode_sub_skpd",
    "nama_sub_skpd",
    "kode_urusan",
    "nama_urusan",
    "kode_bidang_urusan",
    "nama_bidang_urusan",
    "kode_program",
    "nama_program",
    "kode_giat",
    "nama_giat",
    "kode_sub_giat",
    "nama_sub_giat",
    "pagu",
    "pagu_n_depan",
    "waktu_awal",
    "waktu_akhir",
    "sasaran",
    "sub_keg_indikator",
    "sub_keg_indikator_hasil",
    "capaian_prog_sub_keg",
    "output_giat",
    "sumber_dana",
    "lokasi_sub_keg",
    "active",
    "update_at",
}
TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


@cache
def sample() -> list[dict[str, Any]]:
    return load_sample()["items"]


@cache
def codes() -> frozenset[str]:
    return frozenset(i["kode"] for i in sample())


@cache
def dataset(size: int = 3000, untidy: bool = True) -> EProgramDataset:
    """Default arguments; tidy data is asked for without problem records too."""
    return generate(
        sample(),
        tahun_anggaran=2027,
        tahap="renja",
        size=size,
        untidy=untidy,
        problem_rate=0.02 if untidy else 0.0,
    )


def four_digit(record: dict[str, Any]) -> tuple[str, str]:
    """(kode_sub_skpd, the sub kegiatan code in full four-digit form with the real bidang)."""
    seg = record["kode_sub_giat"].split(".")
    if seg[0] == "X":
        seg[:2] = record["kode_skpd"].split(".")[:2]
    seg[5] = seg[5].zfill(4)
    return record["kode_sub_skpd"], ".".join(seg)


def rupiah(value: Any) -> Decimal | None:
    """Money as E-Program writes it, or None when it is not money at all."""
    if isinstance(value, int):
        return Decimal(value)
    text = str(value).strip()
    if "," in text:
        text = text.replace(".", "").replace(",", ".")
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def in_nomenclature(record: dict[str, Any]) -> bool:
    kode = four_digit(record)[1]
    return kode in codes() or "X.XX" + kode[4:] in codes()


# -- the nomenclature sample --------------------------------------------------
def test_sample_nomenclature_is_small_kabkot_and_complete() -> None:
    assert SAMPLE_PATH.stat().st_size < 150_000
    document = json.loads(SAMPLE_PATH.read_text(encoding="utf-8"))
    assert document["versi"] == "TA 2027 (contoh)"
    items = document["items"]
    assert 300 <= len(items) <= 400
    assert {i["jenis_pemda"] for i in items} == {"KABKOT"}
    assert len({i["kode"] for i in items}) == len(items)
    assert sum(i["kode"].startswith("X.XX.01.2.") for i in items) >= 50
    for item in items:
        assert re.fullmatch(r"(X\.XX|\d\.\d{2})\.\d{2}\.\d\.\d{2}\.\d{4}", item["kode"])
        assert item["nama"] == " ".join(item["nama"].split())
        assert item["indikator"] and item["satuan"]
        assert item["kode_sebelumnya"] is None or " " not in item["kode_sebelumnya"]
    # every OPD's main bidang has sub kegiatan of its own
    bidang = {i["kode"][:4] for i in items}
    assert {opd.bidang_of(p["kode_skpd"])[0] for p in opd.perangkat_daerah()} <= bidang


def test_perangkat_daerah_are_meranti_opd_with_sub_units() -> None:
    entries = opd.perangkat_daerah()
    names = {e["nama_skpd"] for e in entries}
    assert {"Dinas Kesehatan", "Puskesmas Selatpanjang", "Kecamatan Tasik Putri Puyu"} <= names
    assert sum(e["is_skpd"] == "1" for e in entries) >= 35
    assert len({e["kode_skpd"] for e in entries}) == len(entries)
    by_id = {e["id_skpd"]: e for e in entries}
    for entry in entries:
        assert re.fullmatch(r"\d\.\d{2}\.\d\.\d{2}\.\d\.\d{2}\.\d{2}\.\d{4}", entry["kode_skpd"])
        parent = by_id[entry["id_unit"]]
        assert parent["is_skpd"] == "1"
        assert entry["kode_skpd"][:-4] == parent["kode_skpd"][:-4]
    assert sum(e["nama_skpd"].startswith("Kecamatan ") for e in entries) == 9


# -- size, uniqueness, reproducibility ----------------------------------------
@pytest.mark.parametrize("size", [1, 10, 3000, 12_000])
def test_generates_exactly_the_size_asked_for_with_unique_pairs(size: int) -> None:
    data = dataset(size)
    records = data.records
    assert len(records) == size
    assert len({r["id"] for r in records}) == size
    pairs = Counter(four_digit(r) for r in records)
    copies = sum(n - 1 for n in pairs.values())
    assert copies == round(size * 0.01)
    known = {p["kode_skpd"] for p in data.perangkat_daerah}
    assert {r["kode_sub_skpd"] for r in records} <= known


def test_untidy_data_without_copies_has_one_record_per_pair() -> None:
    data = generate(load_sample()["items"], tahun_anggaran=2027, tahap="renja", size=2000,
                    copy_rate=0)  # fmt: skip
    pairs = Counter(four_digit(r) for r in data.records)
    assert len(pairs) == 2000
    # still untidy: X.XX codes and Indonesian money grouping
    assert any(str(r["kode_sub_giat"]).startswith("X.XX") for r in data.records)
    assert any("," in str(r["pagu"]) for r in data.records)


def test_large_sizes_add_synthetic_sub_units() -> None:
    data = dataset(12_000)
    upt = [p for p in data.perangkat_daerah if re.fullmatch(r"UPT .+ \d+", p["nama_skpd"])]
    assert upt
    assert {p["kode_skpd"] for p in upt} & {r["kode_sub_skpd"] for r in data.records}
    assert len(data.eplanning_perangkat_daerah()) == len(data.perangkat_daerah)


def test_same_seed_same_data_other_seed_other_data() -> None:
    first = generate(sample(), tahun_anggaran=2027, tahap="renja", size=400, seed=7)
    again = generate(sample(), tahun_anggaran=2027, tahap="renja", size=400, seed=7)
    other = generate(sample(), tahun_anggaran=2027, tahap="renja", size=400, seed=8)
    assert first.records == again.records
    assert first.records != other.records


def test_records_are_in_feed_order_with_wib_times() -> None:
    records = dataset().records
    keys = [(r["update_at"], int(r["id"])) for r in records]
    assert keys == sorted(keys)
    assert all(TIME.fullmatch(r["update_at"]) for r in records)
    assert records[0]["update_at"].startswith("2026-")


# -- the RECORD shape -----------------------------------------------------------
def test_tidy_records_have_the_contract_shape() -> None:
    records = dataset(600, untidy=False).records
    for record in records:
        assert set(record) == CONTRACT_FIELDS
        assert all(isinstance(v, (str, list)) for v in record.values())
        assert record["tahun_anggaran"] == "2027" and record["tahap"] == "renja"
        assert re.fullmatch(r"\d\.\d{2}\.\d{2}\.\d\.\d{2}\.\d{4}", record["kode_sub_giat"])
        assert record["kode_sub_giat"].startswith(record["kode_giat"] + ".")
        assert record["kode_giat"].startswith(record["kode_program"] + ".")
        assert record["kode_program"].startswith(record["kode_bidang_urusan"] + ".")
        assert record["nama_sub_giat"] == " ".join(record["nama_sub_giat"].split())
        assert record["pagu"].isdigit() and record["pagu_n_depan"].isdigit()
        assert len(record["kode_sbl"].split(".")) == 5
        for kind, text in (
            ("sub_keg_indikator", "outputteks"),
            ("sub_keg_indikator_hasil", "hasilteks"),
            ("capaian_prog_sub_keg", "capaianteks"),
            ("output_giat", "outputteks"),
        ):
            assert all(isinstance(i[text], str) and i[text] for i in record[kind])
    assert len({four_digit(r) for r in records}) == len(records)


def test_keluaran_indicator_comes_from_the_nomenclature() -> None:
    by_code = {i["kode"]: i for i in sample()}
    for record in dataset(600, untidy=False).records:
        row = by_code.get(four_digit(record)[1]) or by_code.get("X.XX" + four_digit(record)[1][4:])
        if row is None or not record["sub_keg_indikator"]:
            continue
        indicator = record["sub_keg_indikator"][0]
        assert indicator["outputteks"] == row["indikator"]
        assert indicator["satuanoutput"] == row["satuan"]


def test_sumber_dana_adds_up_to_pagu_exactly() -> None:
    checked = 0
    for record in dataset().records:
        pagu = rupiah(record["pagu"])
        if pagu is None or not record["sumber_dana"]:
            continue
        total = sum(rupiah(s["pagu_dana"]) or Decimal(0) for s in record["sumber_dana"])
        checked += total == pagu
    assert checked >= 0.97 * len(dataset().records)


def test_every_support_opd_gets_support_and_own_bidang_sub_kegiatan() -> None:
    records = dataset().records
    support = {r["kode_skpd"] for r in records if four_digit(r)[1][5:7] == "01"}
    own = {r["kode_skpd"] for r in records if four_digit(r)[1][5:7] != "01"}
    opd_codes = {p["kode_skpd"] for p in opd.perangkat_daerah() if p["is_skpd"] == "1"}
    assert support == opd_codes
    assert own == opd_codes


# -- untidiness and genuine problems --------------------------------------------
def test_untidy_records_carry_every_untidiness_of_the_contract() -> None:
    records = dataset().records
    pagu = [r["pagu"] for r in records]
    assert any(isinstance(p, int) for p in pagu)
    assert any(isinstance(p, str) and re.fullmatch(r"\d+", p) for p in pagu)
    assert any(isinstance(p, str) and re.fullmatch(r"\d+\.00", p) for p in pagu)
    assert any(isinstance(p, str) and re.fullmatch(r"\d{1,3}(\.\d{3})+,00", p) for p in pagu)
    assert any(r["pagu_n_depan"] == "" for r in records)
    assert any(
        re.fullmatch(r"(\d|X)\.\w{2}\.\d{2}\.\d\.\d{2}\.\d{2}", r["kode_sub_giat"]) for r in records
    )
    assert any(r["kode_sub_giat"].startswith("X.XX.") for r in records)
    assert any(r["kode_bidang_urusan"] == "X.XX" for r in records)
    names = [r["nama_sub_giat"] for r in records] + [r["nama_giat"] for r in records]
    assert any(re.match(r"[\dX]\.[\dX]{2}\.\d{2}\.\d\.\d{2}(\.\d+)? ", n) for n in names)
    assert any("\n" in n for n in names)
    assert any("  " in n.strip() for n in names)
    assert any(n != n.rstrip() for n in names)
    targets = {i["targetoutput"] for r in records for i in r["sub_keg_indikator"]}
    assert {"100", "8,5", "100 %", "12 Bulan", "", "Ada"} <= targets
    actives = [r["active"] for r in records]
    assert {"1", "true", "0"} <= set(actives)
    assert any(a is True for a in actives)
    assert any(type(a) is int for a in actives)
    assert any(set(r) - CONTRACT_FIELDS for r in records)


def test_operator_copies_are_older_than_the_real_record() -> None:
    by_pair: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for record in dataset().records:
        by_pair.setdefault(four_digit(record), []).append(record)
    twins = [group for group in by_pair.values() if len(group) > 1]
    assert len(twins) == 30
    for copy, real in twins:
        assert copy["id"] != real["id"]
        assert copy["update_at"] < real["update_at"]


def test_problem_records_cover_every_outcome() -> None:
    records = dataset().records
    garbage = [r for r in records if rupiah(r["pagu"]) is None]
    unknown_code = [r for r in records if not in_nomenclature(r)]
    no_keluaran = [r for r in records if not r["sub_keg_indikator"] and rupiah(r["pagu"])]
    inactive = [r for r in records if str(r["active"]) == "0"]
    mismatched = [
        r
        for r in records
        if r["sumber_dana"]
        and rupiah(r["pagu"]) is not None
        and sum(rupiah(s["pagu_dana"]) or 0 for s in r["sumber_dana"]) != rupiah(r["pagu"])
    ]
    for found in (garbage, unknown_code, no_keluaran, inactive, mismatched):
        assert 5 <= len(found) <= 20
    assert all(
        isinstance(r["pagu"], str) and (not r["pagu"][0].isdigit() or "," in r["pagu"])
        for r in garbage
    )


def test_no_problems_when_problem_rate_is_zero() -> None:
    data = generate(sample(), tahun_anggaran=2027, tahap="renja", size=800, problem_rate=0)
    assert all(in_nomenclature(r) for r in data.records)
    assert all(rupiah(r["pagu"]) is not None for r in data.records)
    assert all(str(r["active"]) != "0" for r in data.records)


# -- the dataset as tests change it --------------------------------------------
def test_touch_moves_a_record_to_the_end_with_a_later_update_at() -> None:
    data = generate(sample(), tahun_anggaran=2027, tahap="renja", size=50, untidy=False)
    first = data.records[0]
    last_time = data.records[-1]["update_at"]
    touched = data.touch(first["id"], pagu="1000")
    assert data.records[-1]["id"] == first["id"]
    assert touched["update_at"] > last_time
    assert data.get(first["id"])["pagu"] == "1000"
    assert first["pagu"] != "1000"  # the old dict is left as it was


def test_touch_many_shares_one_second_and_the_clock_is_reproducible() -> None:
    def run() -> list[str]:
        data = generate(sample(), tahun_anggaran=2027, tahap="renja", size=50, untidy=False)
        ids = [r["id"] for r in data.records[:3]]
        shared = data.touch_many(ids, active="0")
        added = data.add({"id": "99999", "tahun_anggaran": "2027", "tahap": "renja"})
        return [r["update_at"] for r in shared] + [added["update_at"], data.now()]

    first, again = run(), run()
    assert first == again
    assert first[0] == first[1] == first[2]
    assert first[3] > first[0]
    assert first[4] == first[3]


def test_add_replaces_a_record_with_the_same_id() -> None:
    data = EProgramDataset(clock_start="2026-01-05 08:00:00")
    data.add({"id": "1", "tahun_anggaran": "2027", "tahap": "renja", "pagu": "1"})
    data.add({"id": "2", "tahun_anggaran": "2027", "tahap": "renja", "pagu": "2"})
    data.add({"id": "1", "tahun_anggaran": "2027", "tahap": "renja", "pagu": "3"})
    assert [r["id"] for r in data.records] == ["2", "1"]
    assert [r["update_at"] for r in data.records] == ["2026-01-05 08:00:02", "2026-01-05 08:00:03"]
    assert data.get("1")["pagu"] == "3"
    assert data.get("404") is None
    with pytest.raises(KeyError):
        data.touch("404")
