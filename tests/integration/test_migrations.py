"""The Alembic history builds the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from app import migrate
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
