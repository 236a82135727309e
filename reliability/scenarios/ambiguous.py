"""E-Planning applies a write and then drops the connection: did it land? Sinkron cannot know.

The fault is the E-Planning stand-in's own `drop_after_apply` (standins/faults.py):
on a share of the write requests (single PUTs and whole batches) it applies
the request, then cuts the answer off mid-body. Sinkron pushes each pulled
page as its batches (of at most 200), so small pages make enough write
requests for the share to matter. (SINKRON_PUSH_BATCH_SIZE is read by
app/config.py but used nowhere: the batch limit is the connector's 200.)
"""

from __future__ import annotations

from pathlib import Path

from reliability import oracle
from reliability.harness import TAHAP, TAHUN, stack
from reliability.rows import Row, Size

NAME = "ambiguous"
RECORDS = {"small": 1200, "full": 20_000}
PAGE = {"small": 20, "full": 50}
RATE = 0.05


def run(size: Size, workdir: Path) -> list[Row]:
    records, page = RECORDS[size], PAGE[size]
    with stack(records, workdir, page_size=str(page)) as s:
        s.faults("eplanning", drop_after_apply_rate=RATE, seed=5)
        result = s.sync()
        s.faults("eplanning")
        stats = s.stats("eplanning")
        injected = stats["faults"].get("drop_after_apply", 0)
        writes = sum(sum(c.values()) for r, c in stats["requests"].items() if r.startswith("POST"))
        duplicates = s.control("eplanning", "applied")["duplicate_effects"]
        if result.returncode != 0:  # the next run must heal what this one left
            result = s.sync(full=False)
        expected = oracle.expected_holdings(s.source_records(), tahun_anggaran=TAHUN, tahap=TAHAP)
        found = oracle.diff(expected, s.holdings())
        duplicates = s.control("eplanning", "applied")["duplicate_effects"]
    fault = (
        f"E-Planning applies, then drops the connection, on {RATE:.0%} of writes "
        f"({injected} of {writes} batch answers lost; {records:,} records, pages of {page})"
    )
    return [
        Row(
            fault,
            "duplicate effects: 0",
            str(duplicates),
            duplicates == 0 and injected > 0,
        ),
        Row(
            fault,
            "final state exact per the oracle",
            f"exit {result.returncode}; E-Planning: {found.summary()}",
            found.exact and injected > 0,
        ),
    ]
