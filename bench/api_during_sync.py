"""How fast the service answers while it syncs: p50/p99 of `/api/v1/status`, a
mismatch list page and `/laporan` with C concurrent clients: with no sync on an
empty database (quiet), during a full sync of N records, and after it with its
data in place and nothing running (issue 22, item 4).

The stand-ins run in a process of their own with the contracts' rate limits;
`sinkron serve` (the binary given, so an older checkout's layout can be
measured from here) runs on a fresh SQLite file or PostgreSQL schema with its
own per-key rate limit lifted (measured is what it can serve, not its limit);
the sync is a full run triggered over the API, as an admin would. C clients
(asyncio, httpx, one connection each) ask the three pages in turn, each
starting at another one, one request a second each (``--interval``; 0 sends
the next as soon as the answer is in, which measures how many the service
answers at once rather than how long one takes), until the run has ended. The clients share the
machine with the service and the stand-ins: the figures are for this machine.
Printed, not written anywhere.

    .venv/bin/python bench/api_during_sync.py                   # N = 50,000, 20 clients, SQLite
    .venv/bin/python bench/api_during_sync.py --records 5000    # a quick look
    .venv/bin/python bench/api_during_sync.py --sinkron /path/to/other/.venv/bin/sinkron
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from _common import BIN, ROOT, Standins, database, free_port, last_run, machine, sinkron_env

TAHUN, TAHAP = 2027, "renja"
PAGES = ("/api/v1/status", "/api/v1/mismatches?limit=50", "/laporan")
UNLIMITED = "100000000"


@dataclass
class Latencies:
    """Seconds per answer of one page in one phase, and the answers that were not 2xx."""

    seconds: list[float] = field(default_factory=list)
    errors: int = 0

    def line(self, page: str, phase: str) -> str:
        if not self.seconds:
            return f"| {page} | {phase} | 0 | {self.errors} | – | – | – |"
        ms = sorted(s * 1000 for s in self.seconds)
        p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
        return (
            f"| {page} | {phase} | {len(ms):,} | {self.errors} | "
            f"{statistics.median(ms):.1f} | {p99:.1f} | {ms[-1]:.1f} |"
        )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument(
        "--interval",
        type=float,
        default=1.0,
        help="seconds between one client's requests (0: back to back, a saturation test)",
    )
    parser.add_argument(
        "--quiet-seconds", type=float, default=10.0, help="the phases before and after the sync"
    )
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server instead of SQLite")
    parser.add_argument(
        "--sinkron", default=str(BIN / "sinkron"), help="the `sinkron` to measure (default: ours)"
    )
    parser.add_argument(
        "--serve-args", default="", help="more `sinkron serve` options, space separated"
    )
    parser.add_argument(
        "--standins-nice",
        type=int,
        default=0,
        help="run the stand-ins at this nice value: in production E-Program and E-Planning "
        "are servers of their own, not competing with the service for its cores",
    )
    return parser.parse_args()


def sinkron(binary: str, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [binary, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise RuntimeError(f"sinkron {' '.join(args)}: {done.stdout}{done.stderr}")
    return done.stdout.strip()


def signed_in(base: str, key: str) -> str:
    """The session cookie of a planner signed in on /laporan, as a browser does."""
    with httpx.Client(base_url=base, follow_redirects=False, timeout=30) as browser:
        form = browser.get("/laporan/masuk")
        token = re.search(r'name="csrf" value="([^"]+)"', form.text)
        if token is None:
            raise RuntimeError("no form token on /laporan/masuk")
        answer = browser.post("/laporan/masuk", data={"kunci": key, "csrf": token.group(1)})
        if answer.status_code != 303:
            raise RuntimeError(f"sign-in answered {answer.status_code}")
        return str(browser.cookies["sinkron_sesi"])


async def load(
    base: str,
    clients: int,
    headers: dict[str, dict[str, str]],
    until: asyncio.Event,
    interval: float,
) -> dict[str, Latencies]:
    """``clients`` clients asking the pages in turn until ``until`` is set, each one
    request every ``interval`` seconds (0: the next as soon as the answer is in)."""
    found = {page: Latencies() for page in PAGES}

    async def client(n: int) -> None:
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            turn = n
            await asyncio.sleep(interval * n / clients)  # spread over the interval
            while not until.is_set():
                page = PAGES[turn % len(PAGES)]
                turn += 1
                started = time.perf_counter()
                try:
                    answer = await http.get(page, headers=headers[page])
                    ok = answer.status_code == 200
                except httpx.HTTPError:
                    ok = False
                took = time.perf_counter() - started
                if ok:
                    found[page].seconds.append(took)
                else:
                    found[page].errors += 1
                await asyncio.sleep(max(0.0, interval - took))

    await asyncio.gather(*(client(n) for n in range(clients)))
    return found


async def phase(
    args: argparse.Namespace,
    base: str,
    headers: dict[str, dict[str, str]],
    over: Callable[[], bool],
) -> dict[str, Latencies]:
    """The pages under load until ``over()`` (asked in a thread, every 0.5 s) says so."""
    until = asyncio.Event()
    loop = asyncio.get_running_loop()

    def watch() -> None:
        while not over():
            time.sleep(0.5)
        loop.call_soon_threadsafe(until.set)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    return await load(base, args.clients, headers, until, args.interval)


def measure(args: argparse.Namespace, base: str, env: dict[str, str], url: str) -> None:
    admin = sinkron(
        args.sinkron, env, "keys", "create", "--name", "bangku-admin", "--role", "admin"
    )
    planner = sinkron(
        args.sinkron, env, "keys", "create", "--name", "bangku-perencana", "--role", "planner"
    )
    cookie = signed_in(base, planner.splitlines()[0])
    api = {"X-API-Key": planner.splitlines()[0]}
    headers = {page: api for page in PAGES} | {"/laporan": {"Cookie": f"sinkron_sesi={cookie}"}}

    quiet_until = time.monotonic() + args.quiet_seconds
    quiet = asyncio.run(phase(args, base, headers, lambda: time.monotonic() > quiet_until))

    answer = httpx.post(
        f"{base}/api/v1/runs",
        json={"tahun_anggaran": TAHUN, "tahap": TAHAP, "full": True},
        headers={"X-API-Key": admin.splitlines()[0]},
        timeout=60,
    )
    answer.raise_for_status()
    run_id = int(answer.json()["id"])
    started = time.monotonic()
    while (run := last_run(url))["id"] != run_id or run["status"] == "pending":
        time.sleep(0.2)
    during = asyncio.run(phase(args, base, headers, lambda: last_run(url)["status"] != "running"))
    run = last_run(url)
    wall = time.monotonic() - started
    after_until = time.monotonic() + args.quiet_seconds
    after = asyncio.run(phase(args, base, headers, lambda: time.monotonic() > after_until))
    print(
        f"\nrun {run_id}: {run['status']}, {run['records_pulled']:,} records, "
        f"outcomes {run['outcome_counts']}, {wall:.1f} s from trigger to end"
    )
    print("\n| page | phase | answers | errors | p50 ms | p99 ms | max ms |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for page in PAGES:
        print(quiet[page].line(page, "quiet"))
        print(during[page].line(page, f"during the sync of {args.records:,}"))
        print(after[page].line(page, "after it (its data in place, no run)"))


def main() -> int:
    args = parse_args()
    box = machine()
    print(
        f"api_during_sync: {args.records:,} records, {args.clients} clients "
        f"(one request each every {args.interval:g} s), "
        f"{'PostgreSQL' if args.postgres else 'SQLite'}, sinkron {args.sinkron} "
        f"{args.serve_args}; stand-ins at nice {args.standins_nice}; "
        f"{box['cores']} cores, {box['cpu']}, load {box['load']}, "
        f"Python {box['python']}"
    )
    standins = Standins(size=args.records, seed=2026, limits=True, nice=args.standins_nice)
    try:
        with database(args.postgres) as url:
            env = sinkron_env(url, standins) | {
                "SINKRON_RATE_LIMIT_PER_MINUTE": UNLIMITED,
                "SINKRON_RATE_LIMIT_POST_PER_MINUTE": UNLIMITED,
                "SINKRON_WORKER_POLL_SECONDS": "1",
                "SINKRON_SYNC_SCOPES": "",
            }
            sinkron(args.sinkron, env, "db", "upgrade")
            port = free_port()
            service = subprocess.Popen(
                [args.sinkron, "serve", "--port", str(port), *args.serve_args.split()],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            base = f"http://127.0.0.1:{port}"
            try:
                wait_up(base, service)
                measure(args, base, env, url)
            finally:
                service.terminate()
                service.wait(60)
    finally:
        standins.stop()
    return 0


def wait_up(base: str, service: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if service.poll() is not None:
            raise RuntimeError(f"sinkron serve ended with {service.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise RuntimeError("sinkron serve did not answer within 60 s")


if __name__ == "__main__":
    sys.exit(main())
