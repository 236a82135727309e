"""Shared fixtures: a migrated database on SQLite and, when configured, PostgreSQL."""

from __future__ import annotations

import atexit
import os
import shutil
import sqlite3
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.orm import Session, sessionmaker

from app import migrate
from app.db import make_engine, make_session_factory, normalise_url

POSTGRES_URL = os.environ.get("SINKRON_TEST_POSTGRES_URL")
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
POSTGRES_SKIP = "SINKRON_TEST_POSTGRES_URL is not set: PostgreSQL tests skipped"
# How long a test waits for an answer of a service it started. httpx waits 5 s
# by default; on two cores shared by two test processes, a PostgreSQL server and
# the services under test, a first OpenAPI document or a filtered 100,000-row
# export has taken longer, and the test then failed on the machine's load, not
# on the code. Tests that measure how fast something answers set their own.
SERVICE_TIMEOUT = 60.0


def pytest_report_header(config: pytest.Config) -> str:
    if POSTGRES_URL:
        return f"sinkron: PostgreSQL tests against {POSTGRES_URL}"
    return f"sinkron: {POSTGRES_SKIP}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not POSTGRES_URL:
        terminalreporter.write_line(f"sinkron: {POSTGRES_SKIP}", yellow=True)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@contextmanager
def postgres_schema(name: str | None = None) -> Iterator[str]:
    """The URL of an empty PostgreSQL schema of its own, dropped afterwards."""
    with _schema(name or f"t_{uuid.uuid4().hex[:12]}", migrated=False) as url:
        yield url


@contextmanager
def _schema(schema: str, *, migrated: bool) -> Iterator[str]:
    if not POSTGRES_URL:
        pytest.skip(POSTGRES_SKIP)
    admin = create_engine(normalise_url(POSTGRES_URL))
    if migrated:
        _templates.postgres(schema, admin)
    else:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{normalise_url(POSTGRES_URL)}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


class _Templates:
    """One database migrated by Alembic per test process, copied for each test.

    Running the migrations takes about a second a database; a copy of their
    result takes a file copy on SQLite and one batch of DDL on PostgreSQL. The
    template is made by the real migrations, so every test still starts from
    exactly what `sinkron db upgrade` makes (tests/integration/test_migrations.py
    runs them up and down on such a copy, and compares the result with the models).
    """

    def __init__(self) -> None:
        self._sqlite: Path | None = None
        self._postgres: str | None = None

    def sqlite(self, target: Path) -> None:
        if self._sqlite is None:
            folder = Path(tempfile.mkdtemp(prefix="sinkron-template-"))
            atexit.register(shutil.rmtree, folder, ignore_errors=True)
            migrate.upgrade(f"sqlite:///{folder / 'template.db'}")
            self._sqlite = folder / "template.db"
        # SQLite's backup API, not a file copy: it also carries what is still in the WAL
        with (
            closing(sqlite3.connect(self._sqlite)) as source,
            closing(sqlite3.connect(target)) as copy,
        ):
            source.backup(copy)

    def postgres(self, schema: str, engine: Engine) -> None:
        if self._postgres is None:
            self._postgres = self._postgres_script()
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute(self._postgres.replace(TEMPLATE_SCHEMA, schema))
            raw.commit()
        finally:
            raw.close()

    def _postgres_script(self) -> str:
        """The template schema as SQL (pg_dump, rows as INSERTs), its name to be
        replaced by each test's schema."""
        assert POSTGRES_URL
        with postgres_schema(TEMPLATE_SCHEMA) as url:
            migrate.upgrade(url)
            server = make_url(normalise_url(POSTGRES_URL)).set(drivername="postgresql")
            dumped = subprocess.run(
                ["pg_dump", f"--schema={TEMPLATE_SCHEMA}", "--no-owner", "--no-privileges",
                 "--inserts", server.render_as_string(hide_password=False)],
                capture_output=True, text=True, check=True,
            ).stdout  # fmt: skip
        # psql's own commands (\restrict and the like) are not SQL
        return "\n".join(line for line in dumped.splitlines() if not line.startswith("\\"))


TEMPLATE_SCHEMA = f"sinkron_template_{uuid.uuid4().hex[:12]}"
_templates = _Templates()


@contextmanager
def migrated_database(kind: str, directory: Path) -> Iterator[str]:
    """A migrated database of its own: a SQLite file in ``directory``, or a
    PostgreSQL schema of its own, dropped afterwards (copies of one template,
    see :class:`_Templates`)."""
    if kind == "sqlite":
        _templates.sqlite(directory / "sinkron.db")
        yield f"sqlite:///{directory / 'sinkron.db'}"
        return
    with _schema(f"t_{uuid.uuid4().hex[:12]}", migrated=True) as url:
        yield url


DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated database: a SQLite file, or a PostgreSQL schema of its own."""
    with migrated_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"reference data not found at {SHARED_DATA}")
    return SHARED_DATA
