"""The real `sinkron` command, run as an admin runs it: every error one `galat:` line
in Bahasa Indonesia with a non-zero exit, never a traceback; help in Indonesian;
no database made where none was asked for."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker

from app.db import normalise_url
from tests.conftest import postgres_schema
from tests.e2e.laporan_data import OPD_A, TAHAP, TAHUN, seed

SINKRON = str(Path(sys.executable).parent / "sinkron")

# Words of Click's and Typer's own messages and help, and of Python's tracebacks.
ENGLISH = re.compile(
    r"Usage:|Options|Commands|Arguments|Show this message|Missing |Invalid value|"
    r"Try '|Error|No such|is not one of|Input should|\[default|\[required\]|"
    r"Traceback|unexpected extra|requires an argument|<int>|<str>|<path>"
)


@dataclass
class Ran:
    code: int
    stdout: str
    stderr: str


def sinkron(*args: str, cwd: Path, database_url: str | None = None, **settings: str) -> Ran:
    """The real command, with only the SINKRON_ variables given here."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SINKRON_")}
    env.update(SINKRON_EPROGRAM_API_KEY="kunci-eprogram-uji", SINKRON_EPLANNING_TOKEN="token-uji")
    env.update(settings)
    if database_url is not None:
        env["SINKRON_DATABASE_URL"] = database_url
    done = subprocess.run(
        [SINKRON, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    return Ran(done.returncode, done.stdout, done.stderr)


def one_galat_line(ran: Ran) -> str:
    """The run ended non-zero with exactly one `galat:` line and no English."""
    assert ran.code != 0, ran
    lines = [line for line in ran.stderr.splitlines() if line.startswith("galat: ")]
    assert len(lines) == 1, ran.stderr
    assert not ENGLISH.search(ran.stderr + ran.stdout), ran.stderr
    return lines[0]


# --- commands run where no database is ------------------------------------------------

ELSEWHERE = [
    ("runs", "list"),
    ("runs", "show", "1"),
    ("keys", "list"),
    ("keys", "create", "--name", "operator", "--role", "admin"),
    ("keys", "revoke", "operator"),
    ("nomenklatur", "list"),
    ("laporan", "--tahun", str(TAHUN), "--tahap", TAHAP, "--csv", "laporan.csv"),
    ("sync", "--tahun", str(TAHUN), "--tahap", TAHAP),
    ("serve", "--port", "0"),
    ("db", "backup", "cadangan.backup"),
]


@pytest.mark.parametrize("args", ELSEWHERE, ids=lambda a: " ".join(a[:2]))
def test_a_command_run_elsewhere_names_the_missing_file_and_creates_none(
    args: tuple[str, ...], tmp_path: Path
) -> None:
    ran = sinkron(*args, cwd=tmp_path)  # the default sqlite:///sinkron.db

    line = one_galat_line(ran)
    assert str(tmp_path / "sinkron.db") in line
    assert "tidak ada" in line and "sinkron db upgrade" in line
    assert list(tmp_path.iterdir()) == []


def test_only_db_upgrade_makes_the_database(tmp_path: Path) -> None:
    assert sinkron("db", "upgrade", cwd=tmp_path).code == 0
    assert (tmp_path / "sinkron.db").is_file()
    assert sinkron("runs", "list", cwd=tmp_path).code == 0


@dataclass
class Place:
    url: str
    named: str  # how the galat line names it


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def not_sinkrons(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Place]:
    """A database that exists but holds no Sinkron tables: a SQLite file of
    something else, or an empty PostgreSQL schema."""
    if request.param == "sqlite":
        path = tmp_path / "lain.db"
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE catatan (isi TEXT)")
        yield Place(f"sqlite:///{path}", f"berkas {path}")
        return
    with postgres_schema() as url:
        yield Place(url, "server postgresql")


def test_a_database_without_sinkron_is_named_and_left_as_it_was(
    not_sinkrons: Place, tmp_path: Path
) -> None:
    ran = sinkron("keys", "create", "--name", "x", "--role", "admin", cwd=tmp_path,
                  database_url=not_sinkrons.url)  # fmt: skip

    line = one_galat_line(ran)
    assert not_sinkrons.named in line
    assert "tidak berisi basis data Sinkron" in line
    engine = create_engine(normalise_url(not_sinkrons.url))
    try:
        with engine.connect() as conn:
            tables = conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                if not_sinkrons.url.startswith("sqlite")
                else "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            )
            assert [row[0] for row in tables] == (
                ["catatan"] if not_sinkrons.url.startswith("sqlite") else []
            )
    finally:
        engine.dispose()


# --- the report and the keys ----------------------------------------------------------


@pytest.fixture
def seeded(database_url: str, session_factory: sessionmaker[Session]) -> str:
    seed(session_factory)
    return database_url


def test_laporan_into_a_missing_directory_is_a_galat_line_not_a_traceback(
    seeded: str, tmp_path: Path
) -> None:
    ran = sinkron("laporan", "--tahun", str(TAHUN), "--tahap", TAHAP,
                  "--xlsx", "/no/such/dir/x.xlsx", cwd=tmp_path, database_url=seeded)  # fmt: skip

    line = one_galat_line(ran)
    assert (
        line == "galat: /no/such/dir/x.xlsx tidak dapat ditulis: direktori /no/such/dir tidak ada"
    )
    assert ran.code == 2


@pytest.mark.parametrize(
    ("tahun", "opd", "asked"),
    [
        (TAHUN + 1, (), f"tahun anggaran {TAHUN + 1} tahap {TAHAP}"),
        (TAHUN, ("9.99.0.00.0.00.01.0000",), f"tahun anggaran {TAHUN} tahap {TAHAP} OPD 9.99"),
    ],
)
def test_laporan_of_a_scope_without_data_says_so_and_writes_nothing(
    seeded: str, tmp_path: Path, tahun: int, opd: tuple[str, ...], asked: str
) -> None:
    opd_args = [arg for kode in opd for arg in ("--opd", kode)]
    here = tmp_path / "kerja"
    here.mkdir()
    ran = sinkron("laporan", "--tahun", str(tahun), "--tahap", TAHAP, *opd_args,
                  "--xlsx", "l.xlsx", "--csv", "l.csv", cwd=here, database_url=seeded)  # fmt: skip

    line = one_galat_line(ran)
    assert ran.code == 1
    assert f"belum ada data untuk {asked}" in line
    assert f"data yang ada: {TAHUN}/{TAHAP}" in line
    assert list(here.iterdir()) == []


def test_laporan_of_a_scope_with_data_but_no_findings_is_an_empty_report(
    database_url: str, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    seed(session_factory)
    ran = sinkron("laporan", "--tahun", str(TAHUN), "--tahap", TAHAP, "--status", "selesai",
                  "--csv", "l.csv", cwd=tmp_path, database_url=database_url)  # fmt: skip

    assert ran.code == 0, ran.stderr
    assert "l.csv: 0 ketidaksesuaian" in ran.stdout


def test_a_key_for_an_opd_no_run_or_nomenclature_knows_is_made_with_a_warning(
    seeded: str, tmp_path: Path
) -> None:
    unknown = "9.99.0.00.0.00.01.0000"
    ran = sinkron("keys", "create", "--name", "Nur Aini", "--email", "nur@dinkes.go.id",
                  "--role", "planner", "--opd", OPD_A, "--opd", unknown,
                  cwd=tmp_path, database_url=seeded)  # fmt: skip
    known = sinkron("keys", "create", "--name", "Budi", "--email", "budi@dinkes.go.id",
                    "--role", "planner", "--opd", OPD_A,
                    cwd=tmp_path, database_url=seeded)  # fmt: skip

    assert ran.code == 0 and ran.stdout.startswith("skr_")
    warnings = [line for line in ran.stderr.splitlines() if line.startswith("peringatan:")]
    assert len(warnings) == 1
    assert f"kode_skpd {unknown} belum dikenal" in warnings[0]
    assert "bidang urusan 9.99 tidak ada di nomenklatur" in warnings[0]
    assert known.code == 0 and "peringatan" not in known.stderr
    listed = sinkron("keys", "list", cwd=tmp_path, database_url=seeded).stdout
    assert f"{OPD_A}, {unknown}" in listed


# --- the command line itself ----------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("laporan", "--tahap", TAHAP, "--csv", "x.csv"), "opsi '--tahun' wajib diisi"),
        (("runs", "list", "--limit", "banyak"), "nilai '--limit' tidak sah: harus bilangan bulat"),
        (("runs", "show"), "argumen 'ID' wajib diisi"),
        (("runs", "show", "1", "2"), "argumen berlebih: 2"),
        (
            ("laporan", "--tahun", "2027", "--tahap", TAHAP, "--status", "tutup", "--csv", "x"),
            "nilai '--status' tidak sah: 'tutup' bukan salah satu dari 'baru', 'diakui'",
        ),
        (("keys", "create", "--name", "x", "--role", "raja"), "'raja' bukan salah satu dari"),
        (("runz",), "perintah 'runz' tidak dikenal; mungkin maksudnya: runs"),
        (("runs", "list", "--lmit", "3"), "opsi --lmit tidak dikenal; mungkin maksudnya: --limit"),
        (("runs", "list", "--limit"), "opsi --limit perlu nilai"),
        (("sync", "--full=ya", "--tahun", "2027", "--tahap", TAHAP), "opsi --full"),
    ],
)
def test_a_wrong_command_line_is_one_galat_line_in_indonesian(
    args: tuple[str, ...], said: str, tmp_path: Path
) -> None:
    ran = sinkron(*args, cwd=tmp_path)

    line = one_galat_line(ran)
    assert ran.code == 2
    assert said in line


@pytest.mark.parametrize(
    "args", [(), ("--help",), ("db",), ("laporan", "--help"), ("db", "backup", "--help")]
)
def test_help_is_in_indonesian(args: tuple[str, ...], tmp_path: Path) -> None:
    ran = sinkron(*args, cwd=tmp_path)

    assert ran.code == 0, ran.stderr
    assert ran.stdout.startswith("Penggunaan: sinkron")
    assert "Tampilkan bantuan ini lalu keluar." in ran.stdout
    assert not ENGLISH.search(ran.stdout), ran.stdout
    assert list(tmp_path.iterdir()) == []


def test_runs_show_says_the_kind_of_run_in_words(seeded: str, tmp_path: Path) -> None:
    ran = sinkron("runs", "show", "1", cwd=tmp_path, database_url=seeded)

    assert ran.code == 0, ran.stderr
    assert "run penuh" in ran.stdout
    assert "True" not in ran.stdout and "False" not in ran.stdout


# --- settings ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("SINKRON_BASE_URL", "sinkron.pemda.go.id", "SINKRON_BASE_URL: harus alamat http://"),
        ("SINKRON_PAGE_SIZE", "seribu", "SINKRON_PAGE_SIZE: harus bilangan bulat"),
        ("SINKRON_PAGE_SIZE", "5000", "SINKRON_PAGE_SIZE: paling besar 1000"),
    ],
)
def test_a_bad_setting_is_named_in_indonesian(
    variable: str, value: str, said: str, tmp_path: Path
) -> None:
    line = one_galat_line(sinkron("runs", "list", cwd=tmp_path, **{variable: value}))
    assert said in line
    assert "Value error" not in line and "Input should" not in line
