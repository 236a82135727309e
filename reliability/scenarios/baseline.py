"""No fault: a full sync lands every record exactly; the reference the other rows compare to."""

from __future__ import annotations

from pathlib import Path

from reliability import oracle
from reliability.harness import TAHAP, TAHUN, stack
from reliability.rows import Row, Size

NAME = "baseline"
RECORDS = {"small": 1000, "full": 50_000}


def run(size: Size, workdir: Path) -> list[Row]:
    with stack(RECORDS[size], workdir) as s:
        result = s.sync()
        expected = oracle.expected_holdings(s.source_records(), tahun_anggaran=TAHUN, tahap=TAHAP)
        found = oracle.diff(expected, s.holdings())
    measured = (
        f"{len(expected):,} records, exit {result.returncode}, {result.seconds:.1f} s; "
        f"E-Planning: {found.summary()}"
    )
    return [
        Row(
            "none (undisturbed full sync)",
            "exit 0; E-Planning exactly as the oracle says",
            measured,
            result.returncode == 0 and found.exact,
        )
    ]
