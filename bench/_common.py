"""What the benchmark scripts share: measuring a command, running the stand-ins, databases."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PYTHON = str(BIN / "python")


@dataclass(frozen=True)
class Measured:
    """One process run under ``/usr/bin/time -v``."""

    wall: float
    cpu: float  # user + system seconds
    rss_mib: int
    stdout: str


def time_v(cmd: list[str], env: dict[str, str] | None = None) -> Measured:
    """Run ``cmd`` under /usr/bin/time -v; raise with its output when it fails."""
    done = subprocess.run(
        ["/usr/bin/time", "-v", *cmd],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    err = done.stderr
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", err)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)
    user = re.search(r"User time \(seconds\): ([\d.]+)", err)
    system = re.search(r"System time \(seconds\): ([\d.]+)", err)
    if done.returncode != 0 or not (wall and rss and user and system):
        raise RuntimeError(
            f"{' '.join(cmd[:3])} failed ({done.returncode}):\n{done.stdout}\n{err[-3000:]}"
        )
    hours, minutes, seconds = wall.groups()
    total = int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)
    cpu = float(user.group(1)) + float(system.group(1))
    return Measured(total, cpu, int(rss.group(1)) // 1024, done.stdout)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def send(client: httpx.Client, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """A request that waits out 429s (the limits-on runs)."""
    while True:
        answer = client.request(method, url, **kwargs)
        if answer.status_code != 429:
            answer.raise_for_status()
            return answer
        time.sleep(float(answer.headers.get("retry-after", "1")))


class Standins:
    """``python -m standins`` in a process of its own, so its CPU and memory are its own."""

    def __init__(
        self,
        *,
        size: int,
        seed: int,
        limits: bool,
        extra: tuple[str, ...] = (),
        nice: int = 0,
    ) -> None:
        """``extra``: more ``python -m standins`` arguments, e.g. ``("--tidy",)``;
        ``nice``: their CPU priority below the rest (0: the same)."""
        self.size, self.limits = size, limits
        self.eprogram = f"http://127.0.0.1:{free_port()}"
        self.eplanning = f"http://127.0.0.1:{free_port()}"
        cmd = [
            PYTHON,
            "-m",
            "standins",
            "--size",
            str(size),
            "--seed",
            str(seed),
            "--eprogram-port",
            self.eprogram.rsplit(":", 1)[1],
            "--eplanning-port",
            self.eplanning.rsplit(":", 1)[1],
        ]
        if limits:
            cmd.append("--rate-limits")
        cmd += extra
        if nice:
            cmd = ["nice", "-n", str(nice), *cmd]
        self.process = subprocess.Popen(
            cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.client = httpx.Client(timeout=120)
        deadline = time.monotonic() + 600
        for url in (self.eprogram, self.eplanning):
            while True:
                try:
                    self.client.get(f"{url}/_standin/stats")
                    break
                except httpx.TransportError:
                    if self.process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("the stand-ins did not start") from None
                    time.sleep(0.3)

    def cpu_seconds(self) -> float:
        """User + system CPU seconds of the stand-ins' process so far (Linux /proc)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rate_limited(self) -> int:
        """429s the stand-ins' limiters sent so far, both systems."""
        return sum(
            int(self.client.get(f"{url}/_standin/stats").json().get("rate_limited", 0))
            for url in (self.eprogram, self.eplanning)
        )

    def reset_eplanning(self) -> None:
        self.client.post(f"{self.eplanning}/_standin/reset").raise_for_status()

    def source_ids(self) -> list[str]:
        ids: list[str] = []
        params: dict[str, Any] = {"tahun_anggaran": 2027, "tahap": "renja", "limit": 1000}
        headers = {"X-API-Key": "eprogram-dev-key"}
        while True:
            page = send(
                self.client,
                "GET",
                f"{self.eprogram}/api/v1/sub-kegiatan",
                params=params,
                headers=headers,
            ).json()
            ids += [str(r["id"]) for r in page["data"]]
            if not page["next_after"]:
                return ids
            params["after"] = page["next_after"]

    def change(self, ids: list[str], mark: str) -> None:
        """Change where the records take place: mapped content, harmless to E-Planning's rules."""
        lokasi = [
            {
                "daerahteks": "Kab. Kepulauan Meranti",
                "camatteks": "Rangsang",
                "lurahteks": f"Desa {mark}",
            }
        ]
        body = {"ids": ids, "changes": {"lokasi_sub_keg": lokasi}}
        self.client.post(f"{self.eprogram}/_standin/touch", json=body).raise_for_status()

    def stop(self) -> None:
        self.client.close()
        self.process.terminate()
        self.process.wait(timeout=60)


@contextmanager
def database(postgres: str | None) -> Iterator[str]:
    """A fresh SQLite file, or a fresh schema in the PostgreSQL database of ``postgres``."""
    if postgres is None:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/bench.db"
        return
    from sqlalchemy import create_engine, text

    from app.db import normalise_url

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_url(postgres))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in postgres else "?"
    try:
        yield f"{normalise_url(postgres)}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def last_run(url: str) -> dict[str, Any]:
    """The latest sync_run row: status, records_pulled, outcome_counts, stage_seconds."""
    from sqlalchemy import create_engine, text

    from app.db import normalise_url

    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as conn:
            row = (
                conn.execute(
                    text(
                        "SELECT id, status, records_pulled, outcome_counts, stage_seconds, error"
                        " FROM sync_run ORDER BY id DESC LIMIT 1"
                    )
                )
                .mappings()
                .one()
            )
    finally:
        engine.dispose()
    run = dict(row)
    for field in ("outcome_counts", "stage_seconds"):
        if isinstance(run[field], str):
            run[field] = json.loads(run[field])
    return run


def sinkron_env(db_url: str, standins: Standins) -> dict[str, str]:
    return {
        **os.environ,
        "SINKRON_DATABASE_URL": db_url,
        "SINKRON_EPROGRAM_URL": standins.eprogram,
        "SINKRON_EPROGRAM_API_KEY": "eprogram-dev-key",
        "SINKRON_EPLANNING_URL": standins.eplanning,
        "SINKRON_EPLANNING_TOKEN": "eplanning-dev-token",
        "SINKRON_LOG_LEVEL": "WARNING",
        # Limits off measures Sinkron's own speed: it does not pace itself either.
        # Limits on: the contract's budget, Sinkron's defaults.
        **(
            {}
            if standins.limits
            else {
                "SINKRON_EPROGRAM_REQUESTS_PER_SECOND": "0",
                "SINKRON_EPLANNING_REQUESTS_PER_SECOND": "0",
            }
        ),
    }


def machine() -> dict[str, str]:
    """What the figures were measured on: cores, CPU model, memory, load."""
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = subprocess.run(["nproc"], capture_output=True, text=True, check=False).stdout.strip()
    free = subprocess.run(["free", "-m"], capture_output=True, text=True, check=False).stdout
    mem = next((line.split()[1] for line in free.splitlines() if line.startswith("Mem:")), "?")
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return {
        "cores": cores,
        "cpu": model,
        "memory": f"{mem} MiB",
        "load": load,
        "python": sys.version.split()[0],
    }
