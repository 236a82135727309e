"""The oracle reads E-Program's formats by its own rules, and catches what a sync got wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from reliability import oracle
from reliability.harness import TAHAP, TAHUN, stack


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1500000", "1500000.00"), ("1500000.00", "1500000.00"), ("1.500.000,00", "1500000.00"),
     (1500000, "1500000.00"), ("250.000", "250000.00")],
)  # fmt: skip
def test_money_in_every_format_of_the_contract(raw: object, expected: str) -> None:
    assert oracle.READERS["money"](raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("100", "100"), ("8,5", "8.5"), ("100 %", "100"), ("12 Bulan", "12"), ("", None),
     ("Ada", None), (None, None)],
)  # fmt: skip
def test_a_target_is_its_number_or_none(raw: object, expected: str | None) -> None:
    assert oracle.READERS["target"](raw) == expected


def test_a_name_loses_its_code_prefix_line_breaks_and_doubled_spaces() -> None:
    raw = "7.01.02.2.01.01 Koordinasi/Sinergi\n\nPerencanaan  dan Pelaksanaan "
    assert oracle.READERS["name"](raw) == "Koordinasi/Sinergi Perencanaan dan Pelaksanaan"
    assert oracle.READERS["money_optional"](0) == "0.00"
    assert oracle.READERS["money_optional"]("") is None


def test_support_code_takes_the_opd_bidang_and_a_two_digit_number_is_widened() -> None:
    kode = oracle.kode_sub_kegiatan("X.XX.01.2.01.01", "1.02.0.00.0.00.01.0000")
    assert kode == "1.02.01.2.01.0001"


def test_two_records_for_one_key_are_refused() -> None:
    raw = {"tahun_anggaran": "2027", "tahap": "renja", "kode_skpd": "1.02.0.00.0.00.01.0000",
           "kode_sub_giat": "1.02.01.2.01.0001", "pagu": "1", "waktu_awal": "1",
           "waktu_akhir": "12", "active": "1", "id": "1"}  # fmt: skip
    with pytest.raises(ValueError, match="two source records"):
        oracle.expected_holdings([raw, {**raw, "id": "2"}], tahun_anggaran=2027, tahap="renja")


@pytest.mark.slow
def test_a_real_sync_is_exact_and_a_changed_record_shows_both_values(tmp_path: Path) -> None:
    with stack(300, tmp_path) as s:
        assert s.sync().returncode == 0
        records = s.source_records()
        # the untidy formats the readers are for are in the data
        assert any(len(str(r["kode_sub_giat"]).split(".")[-1]) == 2 for r in records)
        assert any(isinstance(r["pagu"], str) and "," in r["pagu"] for r in records)
        expected = oracle.expected_holdings(records, tahun_anggaran=TAHUN, tahap=TAHAP)
        assert len(expected) == 300
        assert oracle.diff(expected, s.holdings()).exact

        # a planner changes one pagu by hand in E-Planning: the oracle must see it
        key = next(iter(expected))
        edit = {"key": {"tahun_anggaran": TAHUN, "tahap": TAHAP, "kode_sub_skpd": key[0],
                        "kode_sub_kegiatan": key[1]}, "changes": {"pagu": "1.00"}}  # fmt: skip
        s.client.post(f"{s.standins.eplanning}/_standin/manual-edit", json=edit).raise_for_status()
        found = oracle.diff(expected, s.holdings())
        assert found.wrong == [(key, "pagu", expected[key]["pagu"], "1.00")]
        assert not found.lost and not found.extra

        s.client.post(f"{s.standins.eplanning}/_standin/reset").raise_for_status()
        assert len(oracle.diff(expected, s.holdings()).lost) == 300
