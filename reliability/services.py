"""What the process and database scenarios share: `sinkron serve` processes,
API keys made with `sinkron keys create`, read-only SQL for figures, waiting."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
from sqlalchemy import create_engine, text

from app.db import normalise_url
from reliability.harness import ROOT, SINKRON, TAHAP, TAHUN, Stack, free_port, stop

T = TypeVar("T")


def wait_for(check: Callable[[], T | None], timeout: float, what: str, every: float = 0.1) -> T:
    """The first truthy value of ``check()``; a clear error after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout:.0f} s for {what}")
        time.sleep(every)


def query(db_url: str, sql: str, **params: Any) -> list[dict[str, Any]]:
    """Rows of a read-only query on Sinkron's database (a connection of its own)."""
    engine = create_engine(normalise_url(db_url))
    try:
        with engine.connect() as conn:
            return [dict(row) for row in conn.execute(text(sql), params).mappings()]
    finally:
        engine.dispose()


def admin_key(stack: Stack, name: str = "operator-uji") -> str:
    """A new admin key, made as an admin would: `sinkron keys create`."""
    done = subprocess.run(
        [SINKRON, "keys", "create", "--name", name, "--role", "admin"],
        cwd=ROOT,
        env=stack.env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"sinkron keys create failed:\n{done.stdout}{done.stderr}")
    return done.stdout.strip()


@dataclass
class Service:
    """One `sinkron serve` process and its base URL."""

    process: subprocess.Popen[bytes]
    url: str

    @classmethod
    def start(cls, stack: Stack, *args: str, **settings: str) -> Service:
        port = free_port()
        return cls(stack.serve(port, *args, **settings), f"http://127.0.0.1:{port}")

    def workers(self) -> list[int]:
        """The pids of the worker processes this service started (its children)."""
        return children_of(self.pid)

    @property
    def pid(self) -> int:
        return self.process.pid

    def trigger(self, key: str, *, full: bool, timeout: float = 60) -> httpx.Response:
        """POST /api/v1/runs for the stack's tahun/tahap."""
        return httpx.post(
            f"{self.url}/api/v1/runs",
            json={"tahun_anggaran": TAHUN, "tahap": TAHAP, "full": full},
            headers={"X-API-Key": key},
            timeout=timeout,
        )

    def stop(self) -> None:
        stop(self.process)


def parent_of(pid: int) -> int | None:
    """The parent pid of ``pid`` (/proc), or None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rpartition(")")[2].split()[1])


def children_of(pid: int) -> list[int]:
    """The pids whose parent is ``pid``, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and parent_of(int(entry.name)) == pid:
            found.append(int(entry.name))
    return found


def holder_pid(holder: object) -> int:
    """The pid in a lease holder ``host:pid:incarnation@start``."""
    return int(str(holder).split(":")[1])


def run_row(db_url: str, run_id: int) -> dict[str, Any]:
    rows = query(
        db_url,
        "SELECT id, status, holder, records_pulled, started_at, finished_at, error"
        " FROM sync_run WHERE id = :id",
        id=run_id,
    )
    return rows[0] if rows else {}


def ended(db_url: str, run_id: int) -> dict[str, Any] | None:
    """The run's row once it is no longer pending or running."""
    row = run_row(db_url, run_id)
    return row if row and row["status"] not in ("pending", "running") else None
