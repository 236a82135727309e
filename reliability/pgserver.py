"""A PostgreSQL server of a scenario's own: initdb in a temporary directory, a
free port, `pg_ctl -m immediate restart` on demand.

The machine's shared server must not be restarted under other people's tests,
so the scenarios that restart PostgreSQL or dump a whole database start their
own. pg_ctl refuses to run as root: as root the server runs as the `postgres`
user, in a directory that user owns.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

import psycopg

from reliability.harness import SEED, Stack, start_standins


def _bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl is None:
        raise RuntimeError("pg_ctl not found: install the PostgreSQL server package")
    return Path(pg_ctl).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PgServer:
    """``with PgServer() as pg: pg.create_database("x") … pg.restart_immediate()``."""

    def __init__(self) -> None:
        self.bin = _bin_dir()
        self.port = _free_port()
        self.root = Path(tempfile.mkdtemp(prefix="sinkron-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.root, user="postgres", group="postgres")
            self.root.chmod(0o755)

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bin / tool), *args]
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, check=check, cwd=self.root)

    def _options(self) -> str:
        return f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"

    def start(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-o",
            self._options(),
            "-w",
            "start",
        )

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def restart_immediate(self) -> float:
        """`pg_ctl -m immediate restart`: no checkpoint, every connection cut, crash
        recovery at start. Returns the seconds until the server accepts connections."""
        started = time.monotonic()
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-m",
            "immediate",
            "-l",
            str(self.log),
            "-o",
            self._options(),
            "-w",
            "restart",
        )
        while True:
            try:
                with psycopg.connect(self.url(), connect_timeout=2):
                    return time.monotonic() - started
            except psycopg.OperationalError:
                time.sleep(0.05)

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PgServer:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


@contextmanager
def pg_stack(
    records: int, settings: dict[str, str] | None = None, *, seed: int = SEED
) -> Iterator[tuple[Stack, PgServer]]:
    """The harness's stack, with Sinkron's database on a PostgreSQL server of its own."""
    standins = start_standins(records, seed=seed)
    try:
        with PgServer() as pg:
            url = pg.create_database("sinkron")
            built = Stack(
                standins, url, standins.eprogram, standins.eplanning, dict(settings or {})
            )
            try:
                built.migrate()
                yield built, pg
            finally:
                built.client.close()
    finally:
        standins.stop()
