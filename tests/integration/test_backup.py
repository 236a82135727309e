"""`sinkron db backup` and `sinkron db restore`: run history and decisions come back."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from app import migrate
from app.cli import cli
from app.config import get_settings
from app.db import make_engine, make_session_factory, normalise_url, session_scope
from app.models import RunStatus
from app.repositories import runs
from tests.conftest import POSTGRES_SKIP, POSTGRES_URL


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def whole_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database of its own (pg_dump dumps a whole database, not a schema)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'sinkron.db'}"
        migrate.upgrade(url)
        yield url
        return
    if not POSTGRES_URL:
        pytest.skip(POSTGRES_SKIP)
    name = f"backup_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = normalise_url(POSTGRES_URL).rsplit("/", 1)[0] + f"/{name}"
    try:
        migrate.upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def sinkron(url: str, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    monkeypatch.setenv("SINKRON_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, list(args))
    finally:
        get_settings.cache_clear()
    return result.exit_code, result.output


def run_ids(url: str) -> list[tuple[int, str]]:
    engine = make_engine(url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            return sorted((r.id, r.status) for r in runs.page(session, limit=50))
    finally:
        engine.dispose()


def add_run(url: str, status: RunStatus) -> None:
    engine = make_engine(url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            run = runs.create(session, tahun_anggaran=2026, tahap="renja", full=True, trigger="cli")
            run.status = status
    finally:
        engine.dispose()


def test_a_backup_brings_back_the_run_history_as_it_was(
    whole_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_run(whole_database, RunStatus.SUCCEEDED)
    add_run(whole_database, RunStatus.FAILED)
    before = run_ids(whole_database)
    file = tmp_path / "sinkron.backup"

    code, output = sinkron(whole_database, monkeypatch, "db", "backup", str(file))
    assert code == 0, output
    assert "ditulis ke" in output and file.stat().st_size > 0

    add_run(whole_database, RunStatus.SUCCEEDED)  # after the backup: gone after the restore
    assert len(run_ids(whole_database)) == 3
    code, output = sinkron(whole_database, monkeypatch, "db", "restore", str(file))
    assert code == 0, output
    assert run_ids(whole_database) == before


def test_a_backup_never_overwrites_a_file(
    whole_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "ada.backup"
    file.write_bytes(b"cadangan kemarin")
    code, output = sinkron(whole_database, monkeypatch, "db", "backup", str(file))
    assert code == 1
    assert "sudah ada" in output
    assert file.read_bytes() == b"cadangan kemarin"


def test_restoring_a_file_that_is_not_a_sinkron_backup_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'sinkron.db'}"
    migrate.upgrade(url)
    add_run(url, RunStatus.SUCCEEDED)
    stray = tmp_path / "bukan.db"
    stray.write_text("ini catatan, bukan basis data")
    code, output = sinkron(url, monkeypatch, "db", "restore", str(stray))
    assert code == 1
    assert "bukan" in output
    assert len(run_ids(url)) == 1
