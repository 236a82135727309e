"""Run the Alembic history from code: `sinkron db upgrade`, tests, the container start.

Alembic is imported only to apply migrations. `is_at_head`, which every sync and
`/readyz` ask, reads the revision ids from the files in `migrations/versions`
(their `revision` and `down_revision` assignments) and compares them with the
database's `alembic_version` table, so a sync does not import Alembic.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

import migrations

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(migrations.__file__).resolve().parent
VERSION_TABLE = "alembic_version"


def alembic_config(database_url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(database_url), revision)


def _assigned(module: ast.Module, name: str) -> object:
    """The literal assigned to `name` at the top of a migration file (None if absent)."""
    for node in module.body:
        if isinstance(node, ast.AnnAssign | ast.Assign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                return ast.literal_eval(node.value) if node.value is not None else None
    return None


@cache
def head_revisions(versions_dir: Path = MIGRATIONS_DIR / "versions") -> frozenset[str]:
    """The revisions no other migration builds on: what Alembic calls the heads."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in versions_dir.glob("*.py"):
        module = ast.parse(path.read_text(encoding="utf-8"))
        revision = _assigned(module, "revision")
        if not isinstance(revision, str):
            continue
        revisions.add(revision)
        down = _assigned(module, "down_revision")
        # A merge names several parents, as a tuple.
        parents.update(str(d) for d in (down if isinstance(down, tuple | list) else [down]) if d)
    return frozenset(revisions - parents)


def revisions(engine: Engine) -> frozenset[str] | None:
    """The revisions the database carries; None when it has no Alembic table at all
    (an empty database, or not Sinkron's)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table(VERSION_TABLE):
            return None
        return frozenset(conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())


def is_at_head(engine: Engine) -> bool:
    """True when the database carries the newest migration (what /readyz asks)."""
    return revisions(engine) == head_revisions()
