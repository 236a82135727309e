"""`sinkron` as an admin types it: exit codes, the summary table, clear errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from typer.testing import CliRunner

from app import migrate
from app.cli import cli
from app.config import get_settings
from tests.e2e.conftest import TAHAP, TAHUN, World


@pytest.fixture
def env(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    values = {
        "SINKRON_DATABASE_URL": world.settings.database_url,
        "SINKRON_EPROGRAM_URL": world.settings.eprogram_url,
        "SINKRON_EPROGRAM_API_KEY": "eprogram-dev-key",
        "SINKRON_EPLANNING_URL": world.settings.eplanning_url,
        "SINKRON_EPLANNING_TOKEN": "eplanning-dev-token",
        "SINKRON_RETRY_INITIAL_WAIT": "0.01",
        "SINKRON_RETRY_MAX_ATTEMPTS": "2",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def sync(*extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["sync", "--tahun", str(TAHUN), "--tahap", TAHAP, *extra])
    return result.exit_code, result.output


def test_sync_prints_the_outcome_table_and_exits_zero(world: World, env: None) -> None:
    code, output = sync("--full")
    assert code == 0, output
    assert "berhasil" in output
    assert "dibuat                          160" in output
    assert "data ditarik                    160" in output
    assert len(world.eplanning_records()) == 160


def test_a_failed_run_exits_non_zero_with_the_reason(world: World, env: None) -> None:
    world.faults(world.target, error_rate=1.0, retry_after=0)
    code, output = sync()
    assert code == 1
    assert "gagal" in output
    assert "GET /api/v1/renja-sub-kegiatan" in output


def test_a_missing_secret_is_named(
    world: World, env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SINKRON_EPLANNING_TOKEN")
    get_settings.cache_clear()
    code, output = sync()
    assert code == 2
    assert "SINKRON_EPLANNING_TOKEN belum diisi" in output


def test_keys_are_shown_once_and_revoked_keys_are_refused(world: World, env: None) -> None:
    runner = CliRunner()
    created = runner.invoke(cli, ["keys", "create", "--name", "operator", "--role", "planner"])
    assert created.exit_code == 0
    key = created.stdout.strip().splitlines()[0]
    assert key.startswith("skr_")
    listed = runner.invoke(cli, ["keys", "list"])
    assert "operator" in listed.output and key not in listed.output
    assert (
        runner.invoke(cli, ["keys", "create", "--name", "operator", "--role", "admin"]).exit_code
        == 2
    )
    assert runner.invoke(cli, ["keys", "revoke", "operator"]).exit_code == 0
    assert "dicabut" in runner.invoke(cli, ["keys", "list"]).output


def test_sync_refuses_a_database_that_is_not_migrated(
    world: World, env: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SINKRON_DATABASE_URL", f"sqlite:///{tmp_path / 'kosong.db'}")
    get_settings.cache_clear()
    code, output = sync("--full")
    assert code == 2
    assert f"berkas {tmp_path / 'kosong.db'} tidak ada" in output
    assert not (tmp_path / "kosong.db").exists()
    assert world.eplanning_records() == {}


def test_sync_refuses_a_database_behind_the_newest_migration(world: World, env: None) -> None:
    command.downgrade(migrate.alembic_config(world.settings.database_url), "-1")
    code, output = sync("--full")
    assert code == 2
    assert "belum dimigrasi" in output
    assert world.eplanning_records() == {}


def test_a_long_sync_shows_each_page_its_speed_and_how_long_is_left(
    world: World, env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SINKRON_PAGE_SIZE", "50")
    get_settings.cache_clear()
    _, first = sync("--full")
    pages = [line for line in first.splitlines() if "] halaman " in line]
    assert len(pages) == 4  # 160 records, 50 a page
    assert all(" data/detik" in line for line in pages)
    assert "halaman 4: 160 data ditarik" in pages[-1]
    assert "perkiraan sisa" not in first  # nothing yet says how many there are

    # the last full run of the scope pulled 160: the next one says how far it is
    _, second = sync("--full")
    pages = [line for line in second.splitlines() if "] halaman " in line]
    assert "halaman 1: 50 dari ±160 data ditarik" in pages[0]
    assert "perkiraan sisa" in pages[0]
    assert "perkiraan sisa" not in pages[-1]
