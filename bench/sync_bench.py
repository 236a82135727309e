"""Wall time and peak RSS of full syncs against the stand-ins.

The stand-ins run in a process of their own (``python -m standins``) so their
memory is not counted; each sync is ``sinkron sync`` under ``/usr/bin/time -v``
on a fresh SQLite file. Prints one line per measured run.

    .venv/bin/python bench/sync_bench.py --sizes 3000 30000
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/_standin/stats", timeout=1.0)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit(f"stand-in at {url} did not start")


def time_v(cmd: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """(wall seconds, peak RSS in MiB, output) of one command under /usr/bin/time -v."""
    done = subprocess.run(
        ["/usr/bin/time", "-v", *cmd], env=env, capture_output=True, text=True, check=False
    )
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", done.stderr)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    if done.returncode != 0 or wall is None or rss is None:
        raise SystemExit(
            f"{cmd[0]} failed ({done.returncode}):\n{done.stdout}\n{done.stderr[-3000:]}"
        )
    hours, minutes, seconds = wall.groups()
    total = int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)
    return total, int(rss.group(1)) // 1024, done.stdout


def timed_sync(env: dict[str, str], *extra: str) -> tuple[float, int, str]:
    """(wall seconds, peak RSS in MiB, last lines of output) of one `sinkron sync`."""
    cmd = [str(BIN / "sinkron"), "sync", "--tahun", "2027", "--tahap", "renja"]
    return time_v([*cmd, *extra], env)


def bench(size: int, seed: int) -> None:
    source_port, target_port = free_port(), free_port()
    standins = subprocess.Popen(
        [str(BIN / "python"), "-m", "standins", "--size", str(size), "--seed", str(seed),
         "--eprogram-port", str(source_port), "--eplanning-port", str(target_port)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_until_up(f"http://127.0.0.1:{source_port}")
        wait_until_up(f"http://127.0.0.1:{target_port}")
        with tempfile.TemporaryDirectory() as tmp:
            env = {
                **os.environ,
                "SINKRON_DATABASE_URL": f"sqlite:///{tmp}/bench.db",
                "SINKRON_EPROGRAM_URL": f"http://127.0.0.1:{source_port}",
                "SINKRON_EPROGRAM_API_KEY": "eprogram-dev-key",
                "SINKRON_EPLANNING_URL": f"http://127.0.0.1:{target_port}",
                "SINKRON_EPLANNING_TOKEN": "eplanning-dev-token",
            }
            subprocess.run([str(BIN / "sinkron"), "db", "upgrade"], env=env, check=True,
                           capture_output=True)  # fmt: skip
            for label in ("first full sync", "second full sync (nothing changed)"):
                wall, rss, out = timed_sync(env, "--full")
                total = re.search(r"total\s+([\d.]+)", out)
                records = total.group(1) if total else "?"
                print(f"{size:>6} records  {label:<36} {wall:7.1f} s  peak RSS {rss:5d} MiB"
                      f"  ({records} outcomes)", flush=True)  # fmt: skip
    finally:
        standins.terminate()
        standins.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[3000, 30000])
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    for size in args.sizes:
        bench(size, args.seed)


if __name__ == "__main__":
    main()
