"""`make bench` answers issue 22's targets from the rows it measured, and sets
each row beside the figures it is compared with."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import sync_bench  # noqa: E402


def _row(size: int, db: str, scenario: int, *, wall: float, cpu: float, limits: str = "off"):
    return {
        "size": size, "db": db, "limits": limits, "scenario": sync_bench.SCENARIOS[scenario],
        "records": size, "wall": wall, "cpu": cpu, "rss": 100,
        "stages": dict.fromkeys(sync_bench.STAGE_ORDER, 0.0), "standins_cpu": 1.0,
        "http_429": 0, "outcomes": {"created": size},
    }  # fmt: skip


def _bench(rows: list[dict[str, Any]], refs: list[dict[str, Any]], before: Any) -> Any:
    args = argparse.Namespace(before="bench/before.json", notes="")
    bench = sync_bench.Bench.__new__(sync_bench.Bench)
    bench.args, bench.rows, bench.refs, bench.before = args, rows, refs, before
    return bench


def test_each_target_is_answered_from_the_rows_and_met_only_when_every_row_meets_it() -> None:
    rows = [
        _row(100_000, "SQLite", 0, wall=60.0, cpu=18.0),  # 0.18 ms a record
        _row(1_000_000, "SQLite", 0, wall=400.0, cpu=250.0, limits="on"),  # 0.25 ms
        _row(100_000, "PostgreSQL", 0, wall=70.0, cpu=29.0),  # 0.29 ms
        _row(1_000_000, "SQLite", 1, wall=125.0, cpu=90.0, limits="on"),
    ]
    refs = [
        {"size": 3000, "name": "plain client (floor)", "wall": 2.0},
        {"size": 3000, "name": "plain client (floor)", "wall": 2.2},
        {"size": 3000, "name": "sinkron (alternating with the floor)", "wall": 2.9},
        {"size": 3000, "name": "sinkron (alternating with the floor)", "wall": 3.1},
    ]
    lines = "\n".join(sync_bench.targets(_bench(rows, refs, None)))
    assert (
        "SQLite, at 100,000 and 1,000,000: at most 0.2 ms | 100,000 (limits off): 0.18 ms; "
        "1,000,000 (limits on): 0.25 ms | no |" in lines
    )
    assert (
        "PostgreSQL, at 100,000 and 1,000,000: at most 0.3 ms "
        "| 100,000 (limits off): 0.29 ms | yes |" in lines
    )
    assert "read floor (130 s) | SQLite: 125 s | yes |" in lines
    assert "both unpaced) | 1.4× | yes |" in lines


def test_rows_stand_beside_the_same_row_before_and_the_rest_are_left_out() -> None:
    before = {
        "label": "then",
        "rows": [_row(3000, "SQLite", 0, wall=6.0, cpu=3.0) | {"machine": "AMD EPYC"}],
        "refs": [
            {"size": 3000, "name": "plain client (floor)", "wall": 2.0},
            {"size": 3000, "name": "sinkron (alternating with the floor)", "wall": 6.0},
        ],
    }
    rows = [_row(3000, "SQLite", 0, wall=4.5, cpu=2.4), _row(3000, "PostgreSQL", 0, wall=5, cpu=3)]
    refs = [
        {"size": 3000, "name": "plain client (floor)", "wall": 2.0},
        {"size": 3000, "name": "sinkron (alternating with the floor)", "wall": 4.0},
    ]
    text = "\n".join(sync_bench.before_and_after(_bench(rows, refs, before)))
    assert (
        "| 3,000 | SQLite | off | full, empty E-Planning | 6.00 → 4.50 | 1.00 → 0.80 | AMD EPYC → "
        in text
    )
    assert "PostgreSQL" not in text  # no row to stand beside
    assert "3.0× before, 2.0× now" in text
    assert sync_bench.before_and_after(_bench(rows, refs, None)) == []
