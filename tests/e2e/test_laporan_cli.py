"""`sinkron keys create --opd` and `sinkron laporan` as an operator types them."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from app import clock
from app.cli import cli
from app.config import get_settings
from app.db import session_scope
from app.models import SyncRun
from tests.e2e.laporan_data import OPD_A, OPD_B, TAHAP, TAHUN, seed


@pytest.fixture
def env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SINKRON_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_a_planner_key_can_be_scoped_to_opds_and_the_list_shows_them(env: None) -> None:
    created = CliRunner().invoke(
        cli,
        ["keys", "create", "--name", "dinkes", "--role", "planner", "--opd", OPD_A, "--opd", OPD_B],
    )
    assert created.exit_code == 0, created.output
    assert created.stdout.strip().startswith("skr_")

    bad_code, bad = run("keys", "create", "--name", "x", "--role", "planner", "--opd", "1.02")
    admin_code, admin = run("keys", "create", "--name", "y", "--role", "admin", "--opd", OPD_A)
    listed = run("keys", "list")[1]

    assert bad_code == 2 and "--opd '1.02' bukan kode_skpd" in bad
    assert admin_code == 2 and "hanya kunci planner yang dapat dibatasi" in admin
    line = next(row for row in listed.splitlines() if row.startswith("dinkes"))
    assert f"{OPD_A}, {OPD_B}" in line
    assert "x " not in listed and "y " not in listed


def test_laporan_writes_the_same_files_as_the_service(
    env: None, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    seed(session_factory)
    xlsx, csv_file = tmp_path / "laporan.xlsx", tmp_path / "laporan.csv"

    code, output = run(
        "laporan", "--tahun", str(TAHUN), "--tahap", TAHAP, "--opd", OPD_A,
        "--xlsx", str(xlsx), "--csv", str(csv_file),
    )  # fmt: skip

    assert code == 0, output
    assert f"{xlsx}: 6 ketidaksesuaian, lembar Ringkasan, Nama berbeda, Pagu berbeda" in output
    assert f"{csv_file}: 6 ketidaksesuaian" in output
    book = openpyxl.load_workbook(xlsx)
    assert book["Ringkasan"].cell(row=5, column=1).value == f"Filter: OPD {OPD_A}"
    # The same freshness line as the command printed, in the file's title block.
    freshness = book["Ringkasan"].cell(row=6, column=1).value
    assert freshness.startswith("Sinkron berhasil terakhir: ")
    assert freshness.split(" · ")[0] in output
    with csv_file.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f, delimiter=";"))
    assert len(rows) == 6 and {r["Kode SKPD"] for r in rows} == {OPD_A}


YEAR = ("--tahun", str(TAHUN))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--tahap", TAHAP, "--xlsx", "x.xlsx"), "opsi '--tahun' wajib diisi"),
        ((*YEAR, "--tahap", "final", "--xlsx", "x.xlsx"), "tahap 'final' tidak dikenal"),
        ((*YEAR, "--tahap", TAHAP), "sebutkan --xlsx BERKAS dan/atau --csv BERKAS"),
        ((*YEAR, "--tahap", TAHAP, "--opd", "BOGUS", "--csv", "x.csv"), "--opd 'BOGUS' bukan"),
        ((*YEAR, "--tahap", TAHAP, "--status", "tutup", "--csv", "x.csv"), "'tutup' bukan salah"),
    ],
)
def test_laporan_refuses_bad_options_clearly(
    env: None, args: tuple[str, ...], message: str
) -> None:
    code, output = run("laporan", *args)
    assert code == 2
    assert message in output


def test_laporan_says_when_the_scope_last_synced_and_warns_when_stale(
    env: None, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    seed(session_factory)
    synced = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)  # 2 Desember 01.00 WIB
    with session_scope(session_factory) as session:
        for found in session.scalars(select(SyncRun)):
            found.finished_at = synced
    args = ("laporan", *YEAR, "--tahap", TAHAP, "--csv", str(tmp_path / "l.csv"))

    with clock.using(clock.JamPalsu(synced + timedelta(hours=3))):
        fresh = CliRunner().invoke(cli, list(args))
    with clock.using(clock.JamPalsu(synced + timedelta(hours=30))):
        stale = CliRunner().invoke(cli, list(args))

    line = "Sinkron berhasil terakhir: 2 Desember 2026 01.00 WIB"
    assert fresh.exit_code == 0 and line in fresh.stdout
    assert "PERINGATAN" not in fresh.output
    assert stale.exit_code == 0 and line in stale.stdout
    assert (
        "PERINGATAN: data mungkin tidak terkini: sinkronisasi berhasil terakhir 30 jam yang lalu"
        in stale.stderr
    )
