"""Backing up and restoring Sinkron's own database: `sinkron db backup|restore FILE`.

SQLite is copied with SQLite's online backup API (`sqlite3.Connection.backup`),
which gives a consistent copy even while the service writes, unlike copying the
file beside its `-wal`. PostgreSQL is dumped with `pg_dump --format=custom` and
brought back with `pg_restore --clean --if-exists`, the tools PostgreSQL
documents for it; they must be on PATH, of a version not older than the server.

The password of a PostgreSQL URL is handed to the tools in `PGPASSWORD`, never
on their command line, where `ps` would show it.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import URL, make_url

from app.db import normalise_url


class BackupProblem(Exception):
    """A backup or restore that could not be done; the message is for the admin."""


@dataclass(frozen=True)
class Done:
    """What was written: the file and its size, and how (``sqlite`` or ``pg_dump``)."""

    path: Path
    size: int
    method: str


def backup(database_url: str, target: Path) -> Done:
    """Write a backup of the database at ``database_url`` to ``target`` (a new file)."""
    if target.exists():
        raise BackupProblem(f"{target} sudah ada; pilih nama berkas lain")
    url = make_url(normalise_url(database_url))
    if url.get_backend_name() == "sqlite":
        source = _sqlite_path(url)
        if not source.is_file():
            # sqlite3 would create it, and the backup of an empty file would "succeed".
            raise BackupProblem(
                f"basis data {source.resolve()} tidak ada; tidak ada yang dicadangkan"
            )
        _sqlite_copy(source, target)
        method = "sqlite"
    else:
        _run_tool("pg_dump", ["--format=custom", "--no-owner", f"--file={target}"], url)
        method = "pg_dump"
    return Done(target, target.stat().st_size, method)


def restore(database_url: str, source: Path) -> Done:
    """Replace the database at ``database_url`` with the backup in ``source``.

    Stop the service and any sync first: what they write meanwhile is lost.
    """
    if not source.is_file():
        raise BackupProblem(f"berkas cadangan {source} tidak ada")
    url = make_url(normalise_url(database_url))
    if url.get_backend_name() == "sqlite":
        _check_sqlite_backup(source)
        _sqlite_copy(source, _sqlite_path(url))
        method = "sqlite"
    else:
        _run_tool("pg_restore", ["--clean", "--if-exists", "--no-owner", str(source)], url)
        method = "pg_restore"
    return Done(source, source.stat().st_size, method)


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupProblem("basis data SQLite di memori tidak dapat dicadangkan")
    return Path(url.database)


def _check_sqlite_backup(path: Path) -> None:
    """Refuse a file that is not a Sinkron database before it replaces one."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            found = conn.execute(
                "SELECT count(*) FROM sqlite_master WHERE name = 'alembic_version'"
            ).fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupProblem(f"{path} bukan basis data SQLite: {exc}") from None
    if not found or found[0] != 1:
        raise BackupProblem(f"{path} bukan cadangan basis data Sinkron (tanpa alembic_version)")


def _sqlite_copy(source: Path, target: Path) -> None:
    """Copy page by page through the backup API; the target is replaced whole."""
    try:
        src = sqlite3.connect(source)
        try:
            dst = sqlite3.connect(target)
            try:
                src.backup(dst)
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.Error as exc:
        raise BackupProblem(f"salinan SQLite {source} → {target} gagal: {exc}") from None


def _run_tool(tool: str, args: list[str], url: URL) -> None:
    """Run pg_dump/pg_restore against ``url``; a failure carries the tool's own words."""
    if shutil.which(tool) is None:
        raise BackupProblem(f"{tool} tidak ditemukan di PATH; pasang klien PostgreSQL")
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    libpq = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    done = subprocess.run(
        [tool, f"--dbname={libpq}", *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BackupProblem(f"{tool} gagal ({done.returncode}): {done.stderr.strip()[-2000:]}")
