"""Keep PostgreSQL's planner statistics current while a run fills its tables.

A run's lookups (by run and source id, by natural key, by tahun/tahap and
source id or identity) each have an index that answers them in a few seeks.
PostgreSQL's planner picks among the indexes from the table's statistics, and
those are only as fresh as the last ANALYZE: during a first large run they
still describe an empty table, and where autovacuum is off or lags behind (it
looks once a minute), the planner takes an index that matches only the run or
the tahun/tahap and walks every row recorded so far, once per page. A first
sync of 20,000 records on PostgreSQL spent a third of its apply stage in one
such lookup (the page's outcomes so far, 0.2 to 0.4 s a page), and a million
records take hours instead of minutes.

So after each page the run asks PostgreSQL how many rows each table it
writes has changed since its last ANALYZE (``n_mod_since_analyze``), and
analyses a table once that reaches what the table held then, as PostgreSQL's
guide to populating a database advises: the statistics never lag behind a
table by more than its own size, in whichever stage of the run the table
grows (the pull records the pages' outcomes and findings, the apply stage
the outcomes of what it pushed). That is a handful of ANALYZEs per table in a
whole run, each sampling a fixed number of rows (a fraction of a second).
Below ``FIRST_AFTER`` changed rows a walk costs less than the ANALYZE would,
so a small incremental run does none. The end of a full pass, which reads
the whole scope at once, always has its tables analysed first
(:meth:`PlannerStatistics.before_scope_read`). SQLite's planner chooses by
the query's shape, not by statistics, and needs none of this.
"""

from __future__ import annotations

import logging
import time

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from app.db import session_scope

log = logging.getLogger(__name__)

# The tables a run writes a row per record into, and looks up per page.
RUN_TABLES = (
    "record_outcome",
    "source_record",
    "record_state",
    "push_key",
    "pushed_state",
    "eplanning_mirror",
    "mismatch",
    "rencana",
)

# A table is analysed once this many of its rows changed, and the rows it held at
# its last ANALYZE.
FIRST_AFTER = 2_000

# What the end of a full pass reads whole, once (app.repositories.mirror.not_in_eprogram).
SCOPE_TABLES = ("source_record", "record_outcome", "eplanning_mirror")

# Per table: the rows it held at its last ANALYZE (-1: never analysed) and the
# rows changed since (counted by PostgreSQL, reported within a second or so).
_CHANGED = text(
    "SELECT c.relname, c.reltuples, s.n_mod_since_analyze "
    "FROM pg_class AS c JOIN pg_stat_user_tables AS s ON s.relid = c.oid "
    "WHERE c.oid IN (" + ", ".join(f"to_regclass('{table}')" for table in RUN_TABLES) + ")"
)


class PlannerStatistics:
    """Analyses the tables a run writes once their changed rows reach what they held."""

    def __init__(self, sessions: sessionmaker[Session], *, first_after: int = FIRST_AFTER) -> None:
        self.sessions = sessions
        self.first_after = first_after
        self.analyses = 0  # ANALYZE statements run, one per table
        with sessions() as session:
            self.enabled = session.get_bind().dialect.name == "postgresql"

    def after_page(self) -> None:
        """A page of the run is recorded (and committed): analyse the tables
        whose changed rows have caught up with their size."""
        if not self.enabled:
            return
        started = time.perf_counter()
        with session_scope(self.sessions) as session:
            due = [
                row.relname
                for row in session.execute(_CHANGED)
                if row.n_mod_since_analyze >= max(self.first_after, row.reltuples)
            ]
            for table in due:
                session.execute(text(f"ANALYZE {table}"))
        if due:
            self.analyses += len(due)
            log.info(
                "statistik tabel %s diperbarui (%.2f s)",
                ", ".join(due),
                time.perf_counter() - started,
            )

    def before_scope_read(self) -> None:
        """Before the end of a full pass reads the whole scope: an anti-join of
        every copy E-Planning holds against what the pass saw. Planned from an
        empty table's statistics it walks the pass's rows once for every copy,
        quadratic in the scope (a first sync of 10,000 records spent 46 s in
        it; analysed, it is a hash join of 20 ms). So on PostgreSQL its tables
        are always analysed first: once a pass, a fraction of a second."""
        if not self.enabled:
            return
        with session_scope(self.sessions) as session:
            for table in SCOPE_TABLES:
                session.execute(text(f"ANALYZE {table}"))
