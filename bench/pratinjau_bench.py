"""A preview's memory and time at growing sizes: its plan lives in the
database (table rencana), so peak RSS should not grow with the records.

For each N: the stand-ins (limits off) in a process of their own, a fresh
SQLite file (or PostgreSQL schema), then a preview of a first sync (every
record planned as a create) and, after a full sync, a preview with nothing
changed (every record planned as left alone), each in a child process under
`/usr/bin/time -v` (wall, CPU, peak RSS). The preview must pull N records and
its plan hold a row for each write, each record left alone and each conflict.

    .venv/bin/python bench/pratinjau_bench.py                       # N = 10,000 and 100,000
    .venv/bin/python bench/pratinjau_bench.py --sizes 3000 --postgres URL
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
from typing import Any

from _common import BIN, PYTHON, ROOT, Standins, database, last_run, sinkron_env, time_v

CHILD = [PYTHON, str(ROOT / "bench" / "pratinjau_bench.py"), "--child"]


def child() -> None:
    """One preview of 2027/renja, carried out in this process (settings from the environment)."""
    from app.config import Settings
    from app.db import make_engine, make_session_factory
    from app.models import Trigger
    from app.runs.runner import create_run, execute_run
    from app.sync.scope import Scope

    settings = Settings()
    sessions = make_session_factory(make_engine(settings.database_url))
    scope = Scope(2027, "renja", (), True)
    run_id = create_run(sessions, scope, trigger=Trigger.CLI, pratinjau=True)
    summary = asyncio.run(execute_run(run_id, settings=settings, session_factory=sessions))
    print(f"run {summary.run_id} {summary.status} {summary.pulled}")


def plan_rows(url: str, run_id: int) -> dict[str, int]:
    from sqlalchemy import create_engine, text

    from app.db import normalise_url

    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT aksi, count(*) FROM rencana WHERE run_id = :id"
                    " AND status <> 'digantikan' GROUP BY aksi"
                ),
                {"id": run_id},
            )
            return {aksi: int(n) for aksi, n in rows}
    finally:
        engine.dispose()


def measure(url: str, standins: Standins, size: int, label: str) -> dict[str, Any]:
    measured = time_v(CHILD, sinkron_env(url, standins))
    run = last_run(url)
    plan = plan_rows(url, run["id"])
    counts = run["outcome_counts"]
    shown = sum(counts.get(k, 0) for k in ("direncanakan", "unchanged", "conflict"))
    if run["status"] != "succeeded" or run["records_pulled"] != size or sum(plan.values()) != shown:
        raise RuntimeError(f"preview {run['id']} did not add up: {run} {plan}")
    row = {
        "size": size,
        "scenario": label,
        "wall": measured.wall,
        "cpu": measured.cpu,
        "rss": measured.rss_mib,
        "plan": plan,
        "outcomes": counts,
    }
    print(
        f"{size:>9,} {label:<34} {measured.wall:7.1f} s {measured.cpu:7.1f} CPU s "
        f"{measured.rss_mib:5d} MiB  {plan}",
        flush=True,
    )
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--postgres", help="a PostgreSQL URL instead of SQLite")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child()
        return
    print(f"{'records':>9} {'preview':<34} {'wall':>9} {'CPU':>11} {'peak RSS':>9}")
    for size in args.sizes:
        standins = Standins(size=size, seed=args.seed, limits=False)
        try:
            with database(args.postgres) as url:
                env = sinkron_env(url, standins)
                for cmd in (["db", "upgrade"],):
                    subprocess.run([str(BIN / "sinkron"), *cmd], cwd=ROOT, env=env, check=True,
                                   capture_output=True)  # fmt: skip
                measure(url, standins, size, "first sync (every record a create)")
                sync = [str(BIN / "sinkron"), "sync", "--tahun", "2027", "--tahap", "renja"]
                subprocess.run([*sync, "--full"], cwd=ROOT, env=env, check=True,
                               capture_output=True)  # fmt: skip
                measure(url, standins, size, "nothing changed (every record left)")
        finally:
            standins.stop()


if __name__ == "__main__":
    sys.exit(main())
