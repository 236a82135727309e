"""The Alembic history builds the schema the models describe, on both databases."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from app import migrate
from app.db import make_engine
from app.models import Base


def test_upgrade_reaches_head_and_matches_models(engine: Engine) -> None:
    assert migrate.is_at_head(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"models and migrations disagree: {diff}"
    tables = set(inspect(engine).get_table_names())
    assert {"sync_run", "record_outcome", "checkpoint", "pushed_state", "mismatch"} <= tables
    assert {"dead_letter", "push_key", "nomenklatur_version", "nomenklatur_item"} <= tables


def test_upgrade_is_repeatable(database_url: str, engine: Engine) -> None:
    migrate.upgrade(database_url)
    assert migrate.is_at_head(engine)


def test_the_heads_read_from_the_files_are_alembics() -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    assert migrate.head_revisions() == frozenset(script.get_heads())


def test_a_database_behind_head_or_never_migrated_is_not_at_head(
    database_url: str, engine: Engine, tmp_path: Path
) -> None:
    command.downgrade(migrate.alembic_config(database_url), "-1")
    assert not migrate.is_at_head(engine)
    command.downgrade(migrate.alembic_config(database_url), "base")
    assert not migrate.is_at_head(engine)
    empty = make_engine(f"sqlite:///{tmp_path / 'kosong.db'}")
    assert not migrate.is_at_head(empty)
    empty.dispose()
