"""Keep PostgreSQL's planner statistics current while a run fills its tables.

A run's lookups (by run and source id, by natural key, by tahun/tahap and
source id) each have an index that answers them in a few seeks. PostgreSQL's
planner picks among the indexes from the table's statistics, and those are
only as fresh as the last ANALYZE: during a first large run they still
describe an empty table, and where autovacuum is off or lags behind, the
planner takes an index that matches only the run or the tahun/tahap and walks
every row recorded so far, once per page. A million records then take hours
instead of minutes.

So the run analyses the tables it writes itself, as PostgreSQL's guide to
populating a database advises, each time the records it has recorded have
doubled: a handful of ANALYZEs in a whole run (each samples a fixed number of
rows, a fraction of a second), whatever the server's autovacuum does. Below
the first threshold a walk through the run's own rows costs less than the
ANALYZE would, so a small incremental run does none. Reading E-Planning into
the mirror does not count: its lookups are written to need no statistics
(see natural_keys). The end of a full pass, which reads the whole scope at
once, always has its tables analysed first (:meth:`before_scope_read`).
SQLite's planner chooses by the query's shape, not by statistics, and needs
none of this.
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
)

# The first ANALYZE comes after this many records; the next each time they double.
FIRST_AFTER = 50_000

# What the end of a full pass reads whole, once (app.repositories.mirror.not_in_eprogram).
SCOPE_TABLES = ("source_record", "record_outcome", "eplanning_mirror")


class PlannerStatistics:
    """Counts the records a run has recorded and runs ANALYZE when they have doubled."""

    def __init__(self, sessions: sessionmaker[Session], *, first_after: int = FIRST_AFTER) -> None:
        self.sessions = sessions
        self.written = 0
        self.next_at = first_after
        self.analyses = 0
        with sessions() as session:
            self.enabled = session.get_bind().dialect.name == "postgresql"

    def wrote(self, rows: int) -> None:
        """``rows`` more records recorded (and committed) by this run."""
        self.written += rows
        if not self.enabled or self.written < self.next_at:
            return
        self.next_at = self.written * 2
        started = time.perf_counter()
        with session_scope(self.sessions) as session:
            for table in RUN_TABLES:
                session.execute(text(f"ANALYZE {table}"))
        self.analyses += 1
        log.info(
            "statistik tabel diperbarui setelah %s baris (%.2f s)",
            f"{self.written:,}".replace(",", "."),
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
