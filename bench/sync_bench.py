"""Sinkron's sync against the stand-ins, with references measured in the same run.

For each size N: the stand-ins start in a process of their own (rate limits
on or off); each `sinkron sync` runs as a subprocess under `/usr/bin/time -v`
(wall, CPU, peak RSS) on a fresh SQLite file or a fresh PostgreSQL schema,
and its `stage_seconds` are read from the database afterwards. Scenarios: a
full sync into an empty E-Planning, a second full sync with nothing changed,
an incremental sync after 1 % of the records changed. References (limits
off): one PUT per record (naive), a plain hand-written client (the floor,
alternating with Sinkron at N = 3,000) and dlt's REST API source into SQLite
(the peer of Sinkron's pull + map + record leg). Prints a table and writes
docs/performance.md.

    .venv/bin/python bench/sync_bench.py                       # N = 3,000, SQLite, limits off
    .venv/bin/python bench/sync_bench.py --sizes 3000 100000 --postgres URL --limits off on
    .venv/bin/python bench/sync_bench.py --sizes 1000000 --limits on --limits-on-max 1000000
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import (
    BIN,
    PYTHON,
    ROOT,
    Standins,
    database,
    last_run,
    machine,
    sinkron_env,
    time_v,
)

# stage_seconds keys of the pipeline → the stages of design.md
STAGES = {
    "tarik": "pull",
    "petakan": "map",
    "baca_eplanning": "reconcile",
    "bandingkan": "reconcile",
    "kirim": "push",
    "kirim_ulang": "push",
    "catat": "record",
}
STAGE_ORDER = ("pull", "map", "reconcile", "push", "record", "other")
SCENARIOS = ("full, empty E-Planning", "full, nothing changed", "incremental, 1 % changed")
SYNC = [str(BIN / "sinkron"), "sync", "--tahun", "2027", "--tahap", "renja"]


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.rows: list[dict[str, Any]] = []
        self.refs: list[dict[str, Any]] = []
        self.mapping: dict[str, float] | None = None
        self.profile: str | None = None
        before = Path(args.before) if args.before else None
        self.before: dict[str, Any] | None = (
            json.loads(before.read_text()) if before and before.exists() else None
        )
        self.started = dt.datetime.now(dt.UTC)
        self.command = f"`{' '.join(['bench/sync_bench.py', *sys.argv[1:]])}`"
        # Where each set of figures was measured: a merge may join runs made on
        # different machines, and their seconds do not compare.
        self.runs: list[dict[str, Any]] = []

    # -- Sinkron ---------------------------------------------------------------
    def sync(self, standins: Standins, url: str, *flags: str) -> dict[str, Any]:
        """One measured `sinkron sync`; its run's counts must add up."""
        env = sinkron_env(url, standins)
        cpu_before, limited_before = standins.cpu_seconds(), standins.rate_limited()
        measured = time_v([*SYNC, *flags], env)
        standins_cpu = standins.cpu_seconds() - cpu_before
        run = last_run(url)
        counts = run["outcome_counts"]
        if run["status"] != "succeeded" or sum(counts.values()) != run["records_pulled"]:
            raise RuntimeError(f"run {run['id']} did not add up: {run}")
        stages = dict.fromkeys(STAGE_ORDER, 0.0)
        for key, seconds in run["stage_seconds"].items():
            stages[STAGES.get(key, "other")] += float(seconds)
        return {
            "wall": measured.wall,
            "cpu": measured.cpu,
            "rss": measured.rss_mib,
            "records": run["records_pulled"],
            "outcomes": counts,
            "stages": stages,
            "standins_cpu": standins_cpu,
            "http_429": standins.rate_limited() - limited_before,
        }

    def scenarios(self, standins: Standins, size: int, postgres: str | None) -> None:
        db = "PostgreSQL" if postgres else "SQLite"
        limits = "on" if standins.limits else "off"
        standins.reset_eplanning()
        with database(postgres) as url:
            upgrade = subprocess.run(
                [str(BIN / "sinkron"), "db", "upgrade"],
                cwd=ROOT,
                env=sinkron_env(url, standins),
                capture_output=True,
                check=False,
            )
            if upgrade.returncode:
                raise RuntimeError(upgrade.stderr.decode()[-2000:])
            for scenario in (SCENARIOS[i] for i in self.args.scenarios):
                flags: tuple[str, ...] = ("--full",)
                if scenario.startswith("incremental"):
                    ids = standins.source_ids()
                    standins.change(ids[:: max(1, len(ids) // max(1, size // 100))], "bench")
                    flags = ()
                result = self.sync(standins, url, *flags)
                row = {"size": size, "db": db, "limits": limits, "scenario": scenario, **result}
                self.rows.append(row)
                print(format_row(row), flush=True)
                self.write()

    # -- references ------------------------------------------------------------
    def reference(self, name: str, size: int, cmd: list[str]) -> dict[str, Any]:
        measured = time_v(cmd)
        result = json.loads(measured.stdout.strip().splitlines()[-1])
        ref = {
            "name": name,
            "size": size,
            "wall": measured.wall,
            "cpu": measured.cpu,
            "rss": measured.rss_mib,
            **result,
        }
        self.refs.append(ref)
        print(
            f"  {name:<44} {measured.wall:7.2f} s wall  {measured.cpu:6.2f} s CPU  "
            f"{json.dumps(result)}",
            flush=True,
        )
        self.write()
        return ref

    def references(self, standins: Standins, size: int) -> None:
        urls = ["--eprogram", standins.eprogram, "--eplanning", standins.eplanning]
        naive_records = min(size, self.args.naive_records)
        standins.reset_eplanning()
        self.reference(
            f"naive: one PUT per record ({naive_records} records)",
            size,
            [PYTHON, "bench/naive_baseline.py", *urls, "--records", str(naive_records)],
        )
        rounds = self.args.rounds if size <= 3000 else 1
        for n in range(rounds):
            standins.reset_eplanning()
            self.reference("plain client (floor)", size, [PYTHON, "bench/plain_client.py", *urls])
            # alternately with Sinkron: the floor ratio holds on a busy machine
            if size <= 3000 and not self.args.quick:
                standins.reset_eplanning()
                with database(None) as url:
                    subprocess.run(
                        [str(BIN / "sinkron"), "db", "upgrade"],
                        cwd=ROOT,
                        check=True,
                        env=sinkron_env(url, standins),
                        capture_output=True,
                    )
                    result = self.sync(standins, url, "--full")
                self.refs.append(
                    {
                        "name": "sinkron (alternating with the floor)",
                        "size": size,
                        **result,
                        "round": n,
                    }
                )
                print(
                    f"  {'sinkron, alternating with the floor':<44} {result['wall']:7.2f} s wall",
                    flush=True,
                )
        if importlib.util.find_spec("dlt") is None or self.args.no_dlt:
            print("  dlt: not installed (pip install -e '.[bench]'), skipped", flush=True)
            return
        self.reference(
            "dlt rest_api → SQLite (peer)",
            size,
            [PYTHON, "bench/dlt_peer.py", "--eprogram", standins.eprogram],
        )

    # -- profile ---------------------------------------------------------------
    def run_profile(self, standins: Standins) -> None:
        """pyinstrument on one full sync into an empty E-Planning: the call tree's top lines
        and the functions with the most time of their own."""
        standins.reset_eplanning()
        with database(None) as url, tempfile.TemporaryDirectory() as tmp:
            env = {**sinkron_env(url, standins), "PYINSTRUMENT_IGNORE_OVERHEAD_WARNING": "1"}
            subprocess.run(
                [str(BIN / "sinkron"), "db", "upgrade"],
                cwd=ROOT,
                check=True,
                env=env,
                capture_output=True,
            )
            session = f"{tmp}/sync.pyisession"
            subprocess.run(
                [
                    PYTHON,
                    "-m",
                    "pyinstrument",
                    "-r",
                    "session",
                    "-o",
                    session,
                    str(BIN / "sinkron"),
                    *SYNC[1:],
                    "--full",
                ],
                cwd=ROOT,
                env=env,
                capture_output=True,
                check=True,
            )
            views = []
            for options in ([], ["-p", "flat=true"]):
                done = subprocess.run(
                    [
                        PYTHON,
                        "-m",
                        "pyinstrument",
                        "--load",
                        session,
                        "-r",
                        "text",
                        "--unicode",
                        "--no-color",
                        *options,
                    ],
                    cwd=ROOT,
                    env=env,
                    capture_output=True,
                    text=True,
                    check=True,
                )
                lines = [line for line in done.stdout.splitlines() if line.strip()]
                start = next((i for i, line in enumerate(lines) if "Recorded:" in line), 0)
                views.append("\n".join(lines[start : start + self.args.profile_lines]))
        self.profile = "\n\n".join(views)
        self.write()

    # -- output ----------------------------------------------------------------
    def write(self) -> None:
        if self.args.output:
            Path(self.args.output).write_text(render(self))
        if self.args.json:
            state = {
                "rows": self.rows,
                "refs": self.refs,
                "mapping": self.mapping,
                "profile": self.profile,
                "started": self.started.isoformat(),
                "command": self.command,
                "machine": machine(),
            }
            Path(self.args.json).write_text(json.dumps(state, indent=1))

    def merge(self, paths: list[str]) -> None:
        """Take the figures of earlier runs' --json files (run separately, e.g. by size)."""
        self.commands: list[str] = []
        for path in paths:
            state = json.loads(Path(path).read_text())
            cpu = (state.get("machine") or {}).get("cpu", "?")
            self.rows += [{"machine": cpu, **row} for row in state["rows"]]
            self.refs += state["refs"]
            self.mapping = self.mapping or state["mapping"]
            self.profile = self.profile or state["profile"]
            self.started = min(self.started, dt.datetime.fromisoformat(state["started"]))
            self.commands.append(state.get("command", "?"))
            self.runs.append(
                {
                    "started": state["started"],
                    "command": state.get("command", "?"),
                    "machine": state.get("machine"),
                }
            )
        order = {s: i for i, s in enumerate(SCENARIOS)}
        self.rows.sort(
            key=lambda r: (r["size"], r["limits"], r["db"] != "SQLite", order.get(r["scenario"], 9))
        )
        self.refs.sort(key=lambda r: r["size"])
        self.command = "; ".join(self.commands) + " (merged with `--merge`)"


def rate(row: dict[str, Any]) -> float:
    return row["records"] / row["wall"] if row["wall"] else 0.0


def format_row(row: dict[str, Any]) -> str:
    stages = " ".join(f"{row['stages'][s]:6.2f}" for s in STAGE_ORDER)
    return (
        f"{row['size']:>8} {row['db']:<10} {row['limits']:<3} {row['scenario']:<26}"
        f" {row['wall']:7.2f} s {rate(row):8.0f}/s {row['cpu']:7.2f} CPU {row['rss']:5d} MiB"
        f"  stages {stages}  stand-ins {row['standins_cpu']:6.2f} CPU  429s {row['http_429']}"
    )


HEADER = (
    "| N | database | limits | scenario | records pulled | wall s | records/s | CPU s "
    "| CPU ms a record | peak RSS MiB | pull | map | reconcile | push | record | other "
    "| stand-ins CPU s (share of wall) | 429s |"
)


def cpu_ms(row: dict[str, Any]) -> float:
    """Sinkron's CPU per record pulled, process start included."""
    return 1000 * row["cpu"] / row["records"] if row["records"] else 0.0


def table(rows: list[dict[str, Any]]) -> list[str]:
    machines = len({r.get("machine") for r in rows}) > 1  # merged from several machines
    lines = [HEADER + (" machine |" if machines else ""), "|" + " --- |" * (18 + machines)]
    for r in rows:
        stages = " | ".join(f"{r['stages'][s]:.2f}" for s in STAGE_ORDER)
        share = r["standins_cpu"] / r["wall"] if r["wall"] else 0.0
        lines.append(
            f"| {r['size']:,} | {r['db']} | {r['limits']} | {r['scenario']} | {r['records']:,} "
            f"| {r['wall']:.2f} "
            f"| {rate(r):,.0f} | {r['cpu']:.2f} | {cpu_ms(r):.2f} | {r['rss']} | {stages} "
            f"| {r['standins_cpu']:.2f} ({share:.0%}) | {r['http_429']} |"
            + (f" {r.get('machine', '?')} |" if machines else "")
        )
    return lines


def ratios(bench: Bench) -> list[str]:
    """The references against Sinkron, per size (limits off, SQLite)."""
    lines = ["| N | comparison | reference | Sinkron | ratio |", "| --- | --- | --- | --- | --- |"]
    sizes = sorted({r["size"] for r in bench.refs})
    for size in sizes:
        refs = [r for r in bench.refs if r["size"] == size]
        first = next(
            (
                r
                for r in bench.rows
                if r["size"] == size
                and r["db"] == "SQLite"
                and r["limits"] == "off"
                and r["scenario"] == SCENARIOS[0]
            ),
            None,
        )
        naive = next((r for r in refs if r["name"].startswith("naive")), None)
        if naive and first:
            naive_rate = naive["pulled"] / naive["seconds"]
            lines.append(
                f"| {size:,} | full sync vs one PUT per record (records/s) "
                f"| {naive_rate:,.0f} | {rate(first):,.0f} "
                f"| {rate(first) / naive_rate:.1f}× the naive rate |"
            )
        floors = [r["wall"] for r in refs if r["name"].startswith("plain")]
        ours = [r["wall"] for r in refs if r["name"].startswith("sinkron")]
        if floors and (ours or first):
            mine = statistics.median(ours) if ours else first["wall"]  # type: ignore[index]
            floor = statistics.median(floors)
            how = f"median of {len(ours)} alternating" if ours else "one run each"
            lines.append(
                f"| {size:,} | full sync, process start included, vs the plain client "
                f"({how}; s) | {floor:.2f} | {mine:.2f} | {mine / floor:.1f}× the floor |"
            )
        peer = next((r for r in refs if r["name"].startswith("dlt")), None)
        if peer and first:
            leg = sum(first["stages"][s] for s in ("pull", "map", "record"))
            lines.append(
                f"| {size:,} | pull + map + record vs dlt rest_api → SQLite "
                f"(`pipeline.run` s; {peer['rows']:,} rows) | {peer['seconds']:.2f} "
                f"| {leg:.2f} | {peer['seconds'] / leg:.1f}× dlt's speed |"
            )
    return lines


def _key(row: dict[str, Any]) -> tuple[int, str, str, str]:
    return (row["size"], row["db"], row["limits"], row["scenario"])


def floor_ratio(refs: list[dict[str, Any]], size: int) -> float | None:
    """Sinkron's full sync (alternating with the plain client) over the plain
    client's, both with process start, medians; None when not measured."""
    floors = [r["wall"] for r in refs if r["size"] == size and r["name"].startswith("plain")]
    ours = [r["wall"] for r in refs if r["size"] == size and r["name"].startswith("sinkron")]
    if not floors or not ours:
        return None
    return float(statistics.median(ours) / statistics.median(floors))


def before_and_after(bench: Bench) -> list[str]:
    """Each of this run's rows beside the same row of the figures it is compared
    with (``--before``): seconds compare only on one machine, so the machine
    of each is named, and the ratio to the plain client measured beside it
    (3,000) is the figure that carries across machines."""
    before = bench.before
    if not before:
        return []
    old = {_key(r): r for r in before.get("rows", [])}
    pairs = [(old[_key(r)], r) for r in bench.rows if _key(r) in old]
    if not pairs:
        return []
    here = machine()["cpu"]
    lines = [
        "## This run beside the figures it is compared with",
        "",
        f"Against `{bench.args.before}`: {before.get('label', '')}. Seconds compare only",
        "on one machine; the machine of each side is named.",
        "",
        "| N | database | limits | scenario | wall s before → now | CPU ms a record before → now "
        "| machine before → now |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for was, now in pairs:
        lines.append(
            f"| {now['size']:,} | {now['db']} | {now['limits']} | {now['scenario']} "
            f"| {was['wall']:.2f} → {now['wall']:.2f} | {cpu_ms(was):.2f} → {cpu_ms(now):.2f} "
            f"| {was.get('machine', '?')} → {now.get('machine', here)} |"
        )
    for size in sorted({r["size"] for r in bench.refs}):
        then, now_ratio = floor_ratio(before.get("refs", []), size), floor_ratio(bench.refs, size)
        if then is not None and now_ratio is not None:
            lines += [
                "",
                f"{size:,} full sync against the plain client beside it: {then:.1f}× before, "
                f"{now_ratio:.1f}× now (medians of the alternating runs, process start included).",
            ]
    return [*lines, ""]


# Issue 22's targets that a sync's rows answer: (what, database, most CPU ms a record).
CPU_TARGETS = (("SQLite", 0.2), ("PostgreSQL", 0.3))
NO_CHANGE_FLOOR_S = 100.0  # E-Program's 1,000 pages at 10 requests/s; E-Planning's read beside it


def targets(bench: Bench) -> list[str]:
    """Issue 22's targets, each as this run measured it, or named as not run."""
    lines = [
        "## Issue 22's targets, from the figures above",
        "",
        "| target | measured | met? |",
        "| --- | --- | --- |",
    ]
    full, unchanged = SCENARIOS[0], SCENARIOS[1]
    for db, most in CPU_TARGETS:
        rows = [
            r for r in bench.rows
            if r["db"] == db and r["scenario"] == full and r["size"] >= 100_000
        ]  # fmt: skip
        got = "; ".join(f"{r['size']:,} (limits {r['limits']}): {cpu_ms(r):.2f} ms" for r in rows)
        met = "yes" if rows and all(cpu_ms(r) <= most for r in rows) else "no" if rows else "–"
        lines.append(
            f"| Sinkron's CPU a record, full sync into an empty E-Planning, {db}, at 100,000 "
            f"and 1,000,000: at most {most} ms | {got or 'not run by this invocation'} | {met} |"
        )
    million = [
        r for r in bench.rows
        if r["size"] == 1_000_000 and r["limits"] == "on" and r["scenario"] == unchanged
    ]  # fmt: skip
    most_s = 1.3 * NO_CHANGE_FLOOR_S
    got = "; ".join(f"{r['db']}: {r['wall']:.0f} s" for r in million)
    met = "yes" if million and all(r["wall"] <= most_s for r in million) else "no"
    lines.append(
        f"| A full run where nothing changed, 1,000,000, limits on: within 1.3× of the "
        f"{NO_CHANGE_FLOOR_S:.0f} s read floor ({most_s:.0f} s) "
        f"| {got or 'not run by this invocation'} | {met if million else '–'} |"
    )
    ratio = floor_ratio(bench.refs, 3000)
    lines.append(
        "| The 3,000 full sync within 1.5× of the plain client (process start included, "
        "alternating, both unpaced) | "
        + ("not run by this invocation | – |" if ratio is None else f"{ratio:.1f}× | "
           f"{'yes' if ratio <= 1.5 else 'no'} |")
    )  # fmt: skip
    lines += [
        "",
        "The API's p99 during a sync (item 4) is `bench/api_during_sync.py`'s, and the rows",
        "a no-change run writes per record `bench/rows_written.py`'s; their figures are in",
        "the notes below.",
        "",
    ]
    return lines


def render(bench: Bench) -> str:
    args, info = bench.args, machine()
    if bench.runs:
        where = ["- measured in these runs (their seconds compare only within a machine):"]
        for run in bench.runs:
            m = run["machine"] or {}
            where.append(
                f"  - {run['started'][:16].replace('T', ' ')} UTC on {m.get('cores', '?')} cores"
                f" ({m.get('cpu', '?')}), load average at its end {m.get('load', '?')}:"
                f" {run['command']}"
            )
    else:
        where = [
            f"- machine: {info['cores']} cores ({info['cpu']}), {info['memory']} memory,"
            f" Python {info['python']}; load average at the end {info['load']}",
            f"- command: {bench.command}",
        ]
    out = [
        "# Performance",
        "",
        "Written by `make bench` (`bench/sync_bench.py`); the figures below are as measured,",
        "not edited. Each row stands beside the same row where issue 22 began",
        "(`bench/before.json`), and issue 22's targets are answered from them. The",
        "figures before the pipeline work of issue 9 are in `docs/performance-before.md`;",
        "the notes at the end were written as each step landed.",
        "",
        f"- date: {bench.started:%Y-%m-%d %H:%M} UTC",
        *where,
        "- The machine is shared with other engineers' test runs, so absolute figures are",
        "  noisy; the ratios against references measured in the same run hold better.",
        "",
        "## Sinkron's sync",
        "",
        "Sinkron's process only (`/usr/bin/time -v`), process start included. Stage seconds",
        "come from the run's `stage_seconds` (reconcile includes reading E-Planning's",
        "scope, which a full run does and an incremental one does not; pull is the wait",
        "for the next page, fetched while the page before it is worked on). The stand-ins",
        "run in their own process; their CPU is shown with its share",
        "of the sync's wall time, so it is clear when they, not Sinkron, are the limit.",
        "429s are the answers the stand-ins' rate limiters sent during the sync. CPU ms a",
        "record is Sinkron's CPU over the records pulled, process start included: a run",
        "that pulls few records (the incremental ones) shows mostly the start.",
        "",
        *table(bench.rows),
        "",
        "## References (limits off)",
        "",
        "Measured by the same invocation as Sinkron's rows, except for a size run with",
        "`--references-only` (see the command line above); the ratios compare with",
        "Sinkron's full sync into an empty E-Planning on SQLite.",
        "",
        *ratios(bench),
        "",
    ]
    out += before_and_after(bench)
    out += targets(bench)
    if bench.refs:
        out += [
            "Each reference as measured:",
            "",
            "| N | reference | wall s | CPU s | peak RSS MiB | result |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for r in bench.refs:
            result = {
                k: (round(v, 2) if isinstance(v, float) else v)
                for k, v in r.items()
                if k in ("pulled", "pushed", "seconds", "rows", "records", "total_seconds")
            }
            out.append(
                f"| {r['size']:,} | {r['name']} | {r['wall']:.2f} | {r['cpu']:.2f} "
                f"| {r['rss']} | {json.dumps(result)} |"
            )
        out.append("")
    if bench.mapping:
        m = bench.mapping
        out += [
            "## Mapping alone",
            "",
            f"`bench/mapping_bench.py`: {m['best']:,.0f} records/s on "
            f"one core (best of 5 passes; median {m['median']:,.0f}), "
            f"{m['us_per_record']:.0f} µs a record, over the generator's untidy 3,000.",
            "",
        ]
    if bench.profile:
        out += [
            "## Where the time goes: pyinstrument on a full sync of 3,000",
            "",
            "The call tree (library frames folded), then the functions by time of their own.",
            "",
            "```",
            bench.profile,
            "```",
            "",
        ]
    notes = Path(args.notes) if args.notes else None
    if notes and notes.exists():
        out += [notes.read_text().rstrip(), ""]
    return "\n".join(out)


def each_size(args: argparse.Namespace, body: Callable[[Standins, int], None]) -> None:
    for size in args.sizes:
        for limits in args.limits:
            if limits == "on" and size > args.limits_on_max:
                continue
            standins = Standins(size=size, seed=args.seed, limits=limits == "on")
            try:
                body(standins, size)
            finally:
                standins.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[3000])
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--postgres", metavar="URL", help="also on PostgreSQL (a fresh schema each)"
    )
    parser.add_argument(
        "--postgres-only", action="store_true", help="with --postgres: skip the SQLite rows"
    )
    parser.add_argument("--limits", nargs="+", choices=("off", "on"), default=["off"])
    parser.add_argument(
        "--limits-on-max",
        type=int,
        default=3000,
        help="largest N run with the limits on (the rest: by hand)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="floor/Sinkron alternations at 3,000")
    parser.add_argument(
        "--scenarios",
        type=int,
        nargs="+",
        default=[0, 1, 2],
        help="which scenarios, in this order (0 full into an empty E-Planning, 1 full again, "
        "2 incremental); at 1,000,000 by hand: 0 2 1, so the longest comes last",
    )
    parser.add_argument("--naive-records", type=int, default=3000)
    parser.add_argument("--no-dlt", action="store_true")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="CI: the floor once (Sinkron's first full sync is its pair), 300 naive records",
    )
    parser.add_argument("--no-references", action="store_true")
    parser.add_argument(
        "--references-only", action="store_true", help="the references alone (merge the rest)"
    )
    parser.add_argument("--profile", action="store_true", help="pyinstrument a 3,000 full sync")
    parser.add_argument("--profile-lines", type=int, default=45)
    parser.add_argument("--mapping", action="store_true", help="include bench/mapping_bench.py")
    parser.add_argument("--output", default="docs/performance.md", help="'' to write nothing")
    parser.add_argument("--json", help="also keep the figures in this file (for --merge)")
    parser.add_argument(
        "--merge",
        nargs="+",
        default=[],
        metavar="JSON",
        help="render the output from these --json files and exit",
    )
    parser.add_argument(
        "--before",
        default="bench/before.json",
        help="figures to set beside this run's (a --json file; '' for none)",
    )
    parser.add_argument(
        "--notes",
        default="bench/performance_notes.md",
        help="hand-written notes appended to the output",
    )
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.naive_records, args.profile = 1, 300, False
    bench = Bench(args)
    if args.merge:
        bench.merge(args.merge)
        bench.write()
        print("\n".join(ratios(bench)))
        return
    if args.mapping:
        done = subprocess.run(
            [PYTHON, "bench/mapping_bench.py", "--json"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        bench.mapping = json.loads(done.stdout)
        print(f"mapping alone: {bench.mapping['best']:,.0f} records/s", flush=True)

    def body(standins: Standins, size: int) -> None:
        print(f"N = {size:,}, limits {'on' if standins.limits else 'off'}", flush=True)
        databases = (None, args.postgres) if args.postgres else (None,)
        if args.postgres_only:
            databases = (args.postgres,)
        for postgres in databases:
            if not args.references_only:
                bench.scenarios(standins, size, postgres)
        if not standins.limits and not args.no_references:
            bench.references(standins, size)
        if args.profile and size == 3000 and not standins.limits and bench.profile is None:
            bench.run_profile(standins)

    each_size(args, body)
    bench.write()
    print("\n".join(ratios(bench)))


if __name__ == "__main__":
    main()
