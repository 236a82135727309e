"""Searching text columns with LIKE: a person's words matched literally, and
case-folded the way each database does it fastest. SQL expressions, no query
of their own: the query modules (app/repositories, app/mismatches) build on them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


def escape_like(text: str) -> str:
    """``text`` matched literally by a LIKE pattern with ``ESCAPE '\\'``."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class _ContainsFolded(FunctionElement[bool]):
    """``column LIKE pattern`` ignoring case (the pattern is lower case)."""

    type = Boolean()
    inherit_cache = True
    name = "contains_folded"


def contains_folded(column: Any, words: str) -> _ContainsFolded:
    """``column`` holds ``words`` (already lower case), ignoring case."""
    return _ContainsFolded(column, literal(f"%{escape_like(words)}%"))


@compiles(_ContainsFolded)
def _contains_folded(element: _ContainsFolded, compiler: SQLCompiler, **kw: Any) -> str:
    # lower() LIKE rather than ILIKE: on PostgreSQL it takes half the time.
    column, pattern = (compiler.process(c, **kw) for c in element.clauses)
    return f"(lower({column}) LIKE {pattern} ESCAPE '\\')"


@compiles(_ContainsFolded, "sqlite")
def _contains_folded_sqlite(element: _ContainsFolded, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite's LIKE already ignores (ASCII) case, as its lower() does: no lower()
    # on every row halves the cost of a search that scans the table.
    column, pattern = (compiler.process(c, **kw) for c in element.clauses)
    return f"({column} LIKE {pattern} ESCAPE '\\')"
