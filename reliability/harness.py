"""What every scenario needs, from plain scripts: stand-ins, a database, `sinkron` as a process.

Everything here goes through external interfaces only: the stand-ins over HTTP
(their API and their `/_standin/` control endpoints), Sinkron through its CLI
and its environment (`SINKRON_*`), and Sinkron's database read-only for figures.
The stand-in processes and the database helper are bench/'s (bench/_common.py).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench._common import Standins, free_port, send
from reliability.faultproxy import FaultProxy

ROOT = Path(__file__).resolve().parents[1]
SINKRON = str(Path(sys.executable).parent / "sinkron")
TAHUN, TAHAP = 2027, "renja"
SEED = 2026
EPROGRAM_KEY = "eprogram-dev-key"
EPLANNING_TOKEN = "eplanning-dev-token"
# A PostgreSQL server to run the matrix on (a schema of its own per stack); SQLite otherwise.
POSTGRES_ENV = "RELIABILITY_POSTGRES_URL"

__all__ = [
    "SEED",
    "TAHAP",
    "TAHUN",
    "Stack",
    "SyncResult",
    "database",
    "free_port",
    "stack",
    "start_standins",
]


def start_standins(records: int, *, seed: int = SEED) -> Standins:
    """Both stand-ins in a process of their own: untidy data without bad records or copies.

    The untidiness the E-Program contract lists (money and code formats, names
    with codes and stray spaces, targets with units) stays, as the oracle's
    rules read it; what needs judgement goes: operator copies (which copy is
    the real one) and records E-Planning must refuse.
    """
    extra = ("--problem-rate", "0", "--copy-rate", "0")
    return Standins(size=records, seed=seed, limits=False, extra=extra)


@contextmanager
def database(workdir: Path, *, postgres: str | None = None) -> Iterator[str]:
    """A fresh, empty Sinkron database URL: a SQLite file in ``workdir``, or a schema of
    its own on the PostgreSQL server of ``postgres`` (default: ``RELIABILITY_POSTGRES_URL``)."""
    postgres = postgres or os.environ.get(POSTGRES_ENV)
    if not postgres:
        yield f"sqlite:///{workdir / f'sinkron-{uuid.uuid4().hex[:8]}.db'}"
        return
    from bench._common import database as bench_database

    with bench_database(postgres) as url:
        yield url


@dataclass(frozen=True)
class SyncResult:
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@dataclass
class Stack:
    """Stand-ins, a migrated database and the environment of `sinkron` pointed at both.

    ``eprogram``/``eplanning`` are the URLs Sinkron talks to (a fault proxy's,
    when one sits in between); ``standins`` has the stand-ins' own URLs, for
    control and figures.
    """

    standins: Standins
    db_url: str
    eprogram: str
    eplanning: str
    settings: dict[str, str] = field(default_factory=dict)
    client: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=120))

    # -- Sinkron ----------------------------------------------------------------
    def env(self, **settings: str) -> dict[str, str]:
        """`sinkron`'s environment; ``settings`` are more SINKRON_* (without the prefix)."""
        env = {
            **os.environ,
            "SINKRON_DATABASE_URL": self.db_url,
            "SINKRON_EPROGRAM_URL": self.eprogram,
            "SINKRON_EPROGRAM_API_KEY": EPROGRAM_KEY,
            "SINKRON_EPLANNING_URL": self.eplanning,
            "SINKRON_EPLANNING_TOKEN": EPLANNING_TOKEN,
            "SINKRON_LOG_LEVEL": "WARNING",
        }
        for name, value in {**self.settings, **settings}.items():
            env[f"SINKRON_{name.upper()}"] = value
        return env

    def command(self, *args: str, full: bool = True) -> list[str]:
        flags = ["--full"] if full else []
        return [SINKRON, "sync", "--tahun", str(TAHUN), "--tahap", TAHAP, *flags, *args]

    def sync(self, *, full: bool = True, timeout: float = 1800, **settings: str) -> SyncResult:
        """`sinkron sync` to its end: exit code, output, wall seconds."""
        started = time.monotonic()
        done = subprocess.run(
            self.command(full=full),
            cwd=ROOT,
            env=self.env(**settings),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return SyncResult(done.returncode, done.stdout, done.stderr, time.monotonic() - started)

    def start_sync(
        self, *, full: bool = True, output: Path | None = None, **settings: str
    ) -> subprocess.Popen[bytes]:
        """`sinkron sync` in the background; its stdout and stderr go to ``output``
        (a file, so a long run never blocks on a full pipe) or nowhere."""
        sink = output.open("wb") if output is not None else subprocess.DEVNULL
        try:
            return subprocess.Popen(
                self.command(full=full),
                cwd=ROOT,
                env=self.env(**settings),
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        finally:
            if output is not None and not isinstance(sink, int):
                sink.close()

    def serve(self, port: int, *args: str, **settings: str) -> subprocess.Popen[bytes]:
        """`sinkron serve` on ``port`` (``args``: more options, e.g. --tanpa-worker);
        returns once it answers /healthz (or raises)."""
        process = subprocess.Popen(
            [SINKRON, "serve", "--host", "127.0.0.1", "--port", str(port), *args],
            cwd=ROOT,
            env=self.env(**settings),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"sinkron serve ended with {process.returncode}")
            try:
                self.client.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                return process
            except httpx.TransportError:
                time.sleep(0.3)
        stop(process)
        raise RuntimeError("sinkron serve did not answer within 60 s")

    def worker(self, **settings: str) -> subprocess.Popen[bytes]:
        """`sinkron worker` in the background (beside `sinkron serve --tanpa-worker`)."""
        return subprocess.Popen(
            [SINKRON, "worker"],
            cwd=ROOT,
            env=self.env(**settings),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def migrate(self, **settings: str) -> None:
        """`sinkron db upgrade` (``database_url=...`` for another database than the stack's)."""
        done = subprocess.run(
            [SINKRON, "db", "upgrade"],
            cwd=ROOT,
            env=self.env(**settings),
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            raise RuntimeError(f"sinkron db upgrade failed:\n{done.stdout}{done.stderr}")

    def runs(self, db_url: str | None = None) -> list[dict[str, Any]]:
        """Every sync_run row, oldest first (read-only, for figures)."""
        from sqlalchemy import create_engine, text

        from app.db import normalise_url

        engine = create_engine(normalise_url(db_url or self.db_url))
        try:
            with engine.connect() as conn:
                rows = conn.execute(
                    text(
                        "SELECT id, status, records_pulled, outcome_counts, error"
                        " FROM sync_run ORDER BY id"
                    )
                ).mappings()
                result = [dict(row) for row in rows]
        finally:
            engine.dispose()
        for run in result:
            if isinstance(run["outcome_counts"], str):
                run["outcome_counts"] = json.loads(run["outcome_counts"])
        return result

    # -- the stand-ins ------------------------------------------------------------
    def source_records(self) -> list[dict[str, Any]]:
        """Every record E-Program serves for the stack's tahun/tahap, straight from its API."""
        records: list[dict[str, Any]] = []
        params: dict[str, Any] = {"tahun_anggaran": TAHUN, "tahap": TAHAP, "limit": 1000}
        while True:
            page = send(
                self.client,
                "GET",
                f"{self.standins.eprogram}/api/v1/sub-kegiatan",
                params=params,
                headers={"X-API-Key": EPROGRAM_KEY},
            ).json()
            records += page["data"]
            if not page["next_after"]:
                return records
            params["after"] = page["next_after"]

    def holdings(self) -> list[dict[str, Any]]:
        """Every record E-Planning holds, as stored (with versi)."""
        answer = self.client.get(f"{self.standins.eplanning}/_standin/records")
        answer.raise_for_status()
        return list(answer.json()["items"])

    def stats(self, system: str) -> dict[str, Any]:
        """``/_standin/stats`` of "eprogram" or "eplanning"."""
        answer = self.client.get(f"{self._url(system)}/_standin/stats")
        answer.raise_for_status()
        return dict(answer.json())

    def faults(self, system: str, **settings: Any) -> None:
        """Replace a stand-in's HTTP-level faults (standins/faults.py); no arguments: none."""
        answer = self.client.put(f"{self._url(system)}/_standin/faults", json=settings)
        answer.raise_for_status()

    def control(self, system: str, path: str) -> Any:
        """GET any other ``/_standin/<path>`` of a stand-in."""
        answer = self.client.get(f"{self._url(system)}/_standin/{path}")
        answer.raise_for_status()
        return answer.json()

    def _url(self, system: str) -> str:
        return {"eprogram": self.standins.eprogram, "eplanning": self.standins.eplanning}[system]

    def reset_eplanning(self) -> None:
        """E-Planning back to empty, its counts and faults as at start."""
        self.client.post(f"{self.standins.eplanning}/_standin/reset").raise_for_status()

    @contextmanager
    def proxied(self) -> Iterator[tuple[FaultProxy, FaultProxy]]:
        """Fault proxies in front of E-Program and E-Planning, Sinkron pointed at them."""
        urls = self.eprogram, self.eplanning
        with (
            FaultProxy.to(self.standins.eprogram) as eprogram,
            FaultProxy.to(self.standins.eplanning) as eplanning,
        ):
            self.eprogram, self.eplanning = eprogram.url, eplanning.url
            try:
                yield eprogram, eplanning
            finally:
                self.eprogram, self.eplanning = urls


@contextmanager
def stack(
    records: int,
    workdir: Path,
    *,
    seed: int = SEED,
    eprogram: str | None = None,
    eplanning: str | None = None,
    postgres: str | None = None,
    **settings: str,
) -> Iterator[Stack]:
    """Stand-ins with ``records`` records, a migrated database, Sinkron's environment.

    ``eprogram``/``eplanning``: the URLs Sinkron uses when not the stand-ins'
    own; a proxy started later can be put in by setting ``Stack.eplanning``.
    ``postgres``: a PostgreSQL server URL for the database (see :func:`database`).
    """
    standins = start_standins(records, seed=seed)
    try:
        with database(workdir, postgres=postgres) as url:
            built = Stack(
                standins,
                url,
                eprogram or standins.eprogram,
                eplanning or standins.eplanning,
                dict(settings),
            )
            try:
                built.migrate()
                yield built
            finally:
                built.client.close()
    finally:
        standins.stop()


def stop(process: subprocess.Popen[bytes], *, timeout: float = 30) -> int:
    """SIGTERM, then SIGKILL after ``timeout``; the exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return int(process.returncode)
