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
from graphlib import TopologicalSorter
from pathlib import Path

import pytest
from sqlalchemy import URL, Connection, Engine, create_engine, make_url, text
from sqlalchemy.exc import OperationalError
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
def _schema(schema: str, *, migrated: bool, fresh: bool = True) -> Iterator[str]:
    """A schema of its own; a migrated one that is not asked ``fresh`` may be
    one an earlier test used, emptied back to the template (see :class:`_Templates`)."""
    if not POSTGRES_URL:
        pytest.skip(POSTGRES_SKIP)
    admin = create_engine(normalise_url(POSTGRES_URL))
    if migrated:
        schema = _templates.postgres(schema, admin, fresh=fresh)
    else:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{normalise_url(POSTGRES_URL)}{separator}options=-csearch_path%3D{schema}"
    finally:
        if not (migrated and _templates.postgres_back(schema, admin)):
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


# What a schema is made of, its name left out: relations with their options and
# rights, columns, constraints, indexes, triggers, functions and types. A schema
# given back with the template's shape is emptied and used again.
SHAPE = """
WITH ns AS (SELECT oid FROM pg_namespace WHERE nspname = :schema)
SELECT coalesce(string_agg(item, ' | ' ORDER BY item), '') FROM (
  SELECT 'n ' || coalesce(n.nspacl::text, '') AS item
    FROM pg_namespace n, ns WHERE n.oid = ns.oid
  UNION ALL
  SELECT 'r ' || c.relname || ' ' || c.relkind::text || ' ' || coalesce(c.reloptions::text, '')
         || ' ' || coalesce(c.relacl::text, '') || ' ' || c.relpersistence::text
    FROM pg_class c, ns WHERE c.relnamespace = ns.oid
  UNION ALL
  SELECT 'a ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
         || ' ' || a.attnotnull || ' ' || a.attidentity::text || ' '
         || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
    FROM ns, pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE c.relnamespace = ns.oid AND a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT 'k ' || c.relname || ' ' || k.conname || ' ' || pg_get_constraintdef(k.oid)
    FROM ns, pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
    WHERE c.relnamespace = ns.oid
  UNION ALL
  SELECT 'i ' || pg_get_indexdef(i.indexrelid)
    FROM ns, pg_index i JOIN pg_class c ON c.oid = i.indrelid WHERE c.relnamespace = ns.oid
  UNION ALL
  SELECT 't ' || c.relname || ' ' || t.tgname
    FROM ns, pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relnamespace = ns.oid
  UNION ALL
  SELECT 'f ' || p.proname FROM ns, pg_proc p WHERE p.pronamespace = ns.oid
  UNION ALL
  SELECT 'y ' || y.typname FROM ns, pg_type y WHERE y.typnamespace = ns.oid AND y.typtype <> 'c'
    AND y.typname NOT LIKE '\\_%'
) shape
"""


class _Templates:
    """One database migrated by Alembic per test process, copied for each test.

    On PostgreSQL a copy takes ~150 DDL statements and its drop another batch
    (0.5-1 s a test on a loaded machine); so a schema a test is done with is,
    when its shape is still the template's (``SHAPE``), emptied (its rows
    deleted, its sequences restarted, the template's rows again) and given to
    the next test of the process: the same tables, indexes and sequences,
    empty, at the same version.

    Running the migrations takes about a second a database; a copy of their
    result takes a file copy on SQLite and one batch of DDL on PostgreSQL. The
    template is made by the real migrations, so every test still starts from
    exactly what `sinkron db upgrade` makes (tests/integration/test_migrations.py
    runs them up and down on such a copy, and compares the result with the models).
    """

    def __init__(self) -> None:
        self._sqlite: Path | None = None
        self._postgres: str | None = None
        self._rows = ""  # the template's rows (Alembic's version), as INSERTs
        self._shape: str | None = None
        self._free: list[str] = []  # schemas given back, emptied, the template's shape
        self._emptying: tuple[list[str], list[str]] | None = None

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

    def postgres(self, schema: str, engine: Engine, *, fresh: bool = True) -> str:
        """The name of a schema holding a copy of the template: ``schema`` made
        now, or (unless ``fresh``) one given back by an earlier test."""
        if self._postgres is None:
            self._postgres = self._postgres_script()
            self._rows = "\n".join(
                line for line in self._postgres.splitlines() if line.startswith("INSERT ")
            )
        if not fresh and self._free:
            return self._free.pop()
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute(self._postgres.replace(TEMPLATE_SCHEMA, schema))
            raw.commit()
        finally:
            raw.close()
        if self._shape is None:
            with engine.connect() as conn:
                self._shape = _shape_of(conn, schema)
            atexit.register(self._drop_free, engine.url)
        return schema

    def postgres_back(self, schema: str, engine: Engine) -> bool:
        """Empty a schema a test is done with for the next, as the template has
        it: every table's rows deleted, its sequences restarted, the template's
        rows written again. A schema whose shape a test changed (a migration
        down, a table of its own) is not taken back: False, and it is dropped.

        DELETE, not TRUNCATE: TRUNCATE makes new files for every table and
        index, as slow as a new copy; a test's few rows go in milliseconds.
        """
        with engine.connect() as conn:
            if self._shape is None or _shape_of(conn, schema) != self._shape:
                return False
            if self._emptying is None:
                self._emptying = _emptying(conn, schema)
            tables, sequences = self._emptying
            # a test's connection still in a transaction: drop the schema the old way
            conn.execute(text("SET LOCAL lock_timeout = '10s'"))
            try:
                for table in tables:
                    conn.execute(text(f'DELETE FROM "{schema}"."{table}"'))
                for sequence in sequences:
                    conn.execute(text(f'ALTER SEQUENCE "{schema}"."{sequence}" RESTART'))
                conn.exec_driver_sql(self._rows.replace(TEMPLATE_SCHEMA, schema))
                conn.commit()
            except OperationalError:
                conn.rollback()
                return False
        self._free.append(schema)
        return True

    def _drop_free(self, url: URL) -> None:
        engine = create_engine(url)
        try:
            with engine.begin() as conn:
                for schema in self._free:
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        finally:
            engine.dispose()

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


def _shape_of(conn: Connection, schema: str) -> str:
    return str(conn.scalar(text(SHAPE), {"schema": schema})).replace(schema, "<schema>")


def _emptying(conn: Connection, schema: str) -> tuple[list[str], list[str]]:
    """The schema's tables, each before those its foreign keys point at, and its sequences."""
    tables = conn.scalars(
        text("SELECT tablename FROM pg_tables WHERE schemaname = :s"), {"s": schema}
    ).all()
    order: TopologicalSorter[str] = TopologicalSorter({table: set() for table in tables})
    for child, parent in conn.execute(text(FOREIGN_KEYS), {"s": schema}):
        if child != parent:
            order.add(parent, child)
    sequences = conn.scalars(
        text("SELECT sequencename FROM pg_sequences WHERE schemaname = :s"), {"s": schema}
    ).all()
    return list(order.static_order()), list(sequences)


FOREIGN_KEYS = """
SELECT c.relname, p.relname FROM pg_constraint k
  JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid
  WHERE k.contype = 'f' AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = :s)
"""
TEMPLATE_SCHEMA = f"sinkron_template_{uuid.uuid4().hex[:12]}"
_templates = _Templates()


@contextmanager
def migrated_database(kind: str, directory: Path, *, fresh: bool = False) -> Iterator[str]:
    """A migrated database of its own: a SQLite file in ``directory``, or a
    PostgreSQL schema of its own (copies of one template, see :class:`_Templates`;
    ``fresh``: a schema made for this caller, never one emptied for reuse)."""
    if kind == "sqlite":
        _templates.sqlite(directory / "sinkron.db")
        yield f"sqlite:///{directory / 'sinkron.db'}"
        return
    with _schema(f"t_{uuid.uuid4().hex[:12]}", migrated=True, fresh=fresh) as url:
        yield url


DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated database: a SQLite file, or a PostgreSQL schema of its own.

    A PostgreSQL schema is, by default, one an earlier test of this process
    used and that was emptied back to the template; a test about PostgreSQL's
    own statistics of the tables (which TRUNCATE keeps) asks for a new one
    with ``@pytest.mark.fresh_schema``."""
    fresh = request.node.get_closest_marker("fresh_schema") is not None
    with migrated_database(request.param, tmp_path, fresh=fresh) as url:
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
