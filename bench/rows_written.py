"""Rows a full run writes, per table, when nothing changed (issue 22, item 2: such a
run should write only its own rows, none per record).

On a fresh PostgreSQL schema with the stand-ins unlimited: one full sync of N
records into an empty E-Planning, then a second full sync with nothing changed.
Printed: the rows each table had inserted, updated and deleted by the second run,
from PostgreSQL's own counters (pg_stat_user_tables; a process reports its
counts when it exits), and the rows per record; then the WAL the second run
wrote after a checkpoint (as a nightly run finds the database), which also
counts what those counters do not: a row an upsert found as it is and left,
but locked (its xmax written). PostgreSQL only: SQLite keeps no
such counts.

    .venv/bin/python bench/rows_written.py --postgres postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/rows_written.py --postgres URL --records 30000
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from typing import Any

from _common import BIN, ROOT, Standins, database, last_run, sinkron_env
from sqlalchemy import Engine, create_engine, text

SYNC = [str(BIN / "sinkron"), "sync", "--tahun", "2027", "--tahap", "renja", "--full"]
COUNTS = text(
    "SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables "
    "WHERE schemaname = current_schema() ORDER BY relname"
)


def counts(engine: Engine) -> dict[str, tuple[int, int, int]]:
    with engine.connect() as conn:
        return {row[0]: (row[1], row[2], row[3]) for row in conn.execute(COUNTS)}


def scalar(engine: Engine, sql: str, **params: str) -> Any:
    """The statement's one value (None for a statement that returns no rows)."""
    with engine.connect() as conn:
        result = conn.execute(text(sql), params)
        return result.scalar() if result.returns_rows else None


def settled(engine: Engine) -> dict[str, tuple[int, int, int]]:
    """The counters once the exited process's report is in (it is sent at exit;
    read until two reads a second apart agree)."""
    before = counts(engine)
    while True:
        time.sleep(1.0)
        now = counts(engine)
        if now == before:
            return now
        before = now


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", metavar="URL", required=True)
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    standins = Standins(size=args.records, seed=args.seed, limits=False)
    try:
        with database(args.postgres) as url:
            env = sinkron_env(url, standins)
            subprocess.run([str(BIN / "sinkron"), "db", "upgrade"], cwd=ROOT, env=env,
                           check=True, capture_output=True)  # fmt: skip
            subprocess.run(SYNC, cwd=ROOT, env=env, check=True, capture_output=True)
            # Autocommit: each read sees the counters anew. The CHECKPOINT is as
            # a nightly run finds the database: the last run's pages written out
            # since, so the first change to a page after it logs the whole page
            # (8 KB), a lock included. It needs a superuser or pg_checkpoint.
            engine = create_engine(url, isolation_level="AUTOCOMMIT")
            try:
                before = settled(engine)
                scalar(engine, "CHECKPOINT")
                start = str(scalar(engine, "SELECT pg_current_wal_lsn()"))
                began = time.perf_counter()
                subprocess.run(SYNC, cwd=ROOT, env=env, check=True, capture_output=True)
                wall = time.perf_counter() - began
                wal = int(scalar(engine, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), "
                                         "CAST(:start AS pg_lsn))", start=start))  # fmt: skip
                stages = last_run(url)["stage_seconds"]
                after = settled(engine)
            finally:
                engine.dispose()
    finally:
        standins.stop()
    print(f"rows written by a full run of {args.records:,} records with nothing changed")
    print("\n| table | inserted | updated | deleted | per record |")
    print("| --- | --- | --- | --- | --- |")
    total = 0
    for table, (ins, upd, dele) in sorted(after.items()):
        b = before.get(table, (0, 0, 0))
        moved = (ins - b[0], upd - b[1], dele - b[2])
        if not any(moved):
            continue
        total += sum(moved)
        per = sum(moved) / args.records
        print(f"| {table} | {moved[0]:,} | {moved[1]:,} | {moved[2]:,} | {per:.2f} |")
    print(f"| all | | | | {total / args.records:.2f} |")
    print(
        f"\nWAL written by the second run (the whole server's; nothing else should run): "
        f"{wal / 1e6:.1f} MB, {wal / args.records:,.0f} bytes a record"
    )
    print(f"its wall time {wall:.1f} s, process start included; its stages (s): " +
          ", ".join(f"{stage} {seconds:.1f}" for stage, seconds in stages.items()))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
