"""Sinkron's own database lost, and brought back from a backup.

On SQLite (the file deleted) and on PostgreSQL (the database dropped, on a
server of the scenario's own, since pg_dump dumps a whole database):

1. A full sync; planners edit some records in E-Planning by hand; a second full
   sync finds them (`diubah_manual`); a planner's decision on one of those
   mismatches is taken through the API; `sinkron db backup FILE`; one more
   full sync (history the backup does not have).
2. Lost: the database is gone. `sinkron db upgrade` and a full sync must apply
   0 writes in E-Planning, no duplicate effect, and still see the planners'
   edits as theirs (conflicts, their values kept), not overwrite them.
3. Restored: `sinkron db restore FILE` (the README's path) must bring back the
   run history as it was at the backup and the planner's decision; a full sync
   after it again writes nothing and keeps the decision.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from reliability import oracle
from reliability.harness import (
    ROOT,
    SEED,
    SINKRON,
    TAHAP,
    TAHUN,
    Stack,
    SyncResult,
    start_standins,
)
from reliability.pgserver import PgServer
from reliability.rows import Row, Size
from reliability.services import Service, admin_key, query

NAME = "state_lost"
# full: 20,000, not 50,000: ten full syncs (five per database) fit in a quarter of an hour
RECORDS = {"small": 300, "full": 20_000}
EDITED = 5
PLANNER = "perencana.bappeda"
ALASAN = "nama disesuaikan Bappeda pada rapat desk Renja"


@dataclass
class Backend:
    """Where Sinkron's database lives, and how it is lost."""

    name: str
    stack: Stack
    lose: Callable[[], None]


@contextmanager
def backends(records: int, workdir: Path) -> Iterator[list[Backend]]:
    """SQLite and PostgreSQL, each with stand-ins of its own (E-Planning starts empty)."""
    sqlite_standins = start_standins(records, seed=SEED)
    pg_standins = start_standins(records, seed=SEED)
    try:
        with PgServer() as pg:
            sqlite_file = workdir / "sinkron.db"
            lite = Stack(
                sqlite_standins,
                f"sqlite:///{sqlite_file}",
                sqlite_standins.eprogram,
                sqlite_standins.eplanning,
            )

            def lose_sqlite() -> None:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{sqlite_file}{suffix}").unlink(missing_ok=True)

            url = pg.create_database("sinkron")
            postgres = Stack(pg_standins, url, pg_standins.eprogram, pg_standins.eplanning)

            def lose_postgres() -> None:
                pg.drop_database("sinkron")
                pg.create_database("sinkron")

            try:
                yield [
                    Backend("SQLite", lite, lose_sqlite),
                    Backend("PostgreSQL", postgres, lose_postgres),
                ]
            finally:
                lite.client.close()
                postgres.client.close()
    finally:
        sqlite_standins.stop()
        pg_standins.stop()


def sinkron(s: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [SINKRON, *args], cwd=ROOT, env=s.env(), capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise RuntimeError(f"sinkron {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done


def full_sync(s: Stack) -> SyncResult:
    result = s.sync(full=True)
    if result.returncode:
        raise RuntimeError(f"full sync failed:\n{result.output[-3000:]}")
    return result


def edit_by_hand(s: Stack, count: int) -> dict[oracle.Key, str]:
    """Planners rename ``count`` records in E-Planning's own screens; their new names."""
    edited: dict[oracle.Key, str] = {}
    holdings = s.holdings()
    for held in holdings[:: max(1, len(holdings) // count)][:count]:
        name = f"{held['nama_sub_kegiatan']} (disesuaikan Bappeda)"
        key = {
            f: held[f] for f in ("tahun_anggaran", "tahap", "kode_sub_skpd", "kode_sub_kegiatan")
        }
        s.client.post(
            f"{s.standins.eplanning}/_standin/manual-edit",
            json={"key": key, "changes": {"nama_sub_kegiatan": name}, "user": PLANNER},
        ).raise_for_status()
        edited[(held["kode_sub_skpd"], held["kode_sub_kegiatan"])] = name
    return edited


def decide_one(s: Stack) -> dict[str, Any]:
    """Through the service, as a planner lead would: exclude one `diubah_manual` mismatch."""
    key = admin_key(s)
    service = Service.start(s)
    try:
        headers = {"X-API-Key": key}
        found = httpx.get(
            f"{service.url}/api/v1/mismatches",
            params={"kategori": "diubah_manual", "limit": 500},
            headers=headers,
        )
        found.raise_for_status()
        first = found.json()["items"][0]
        decided = httpx.post(
            f"{service.url}/api/v1/mismatches/{first['id']}/kecualikan",
            json={"alasan": ALASAN},
            headers=headers,
        )
        decided.raise_for_status()
        return dict(decided.json())
    finally:
        service.stop()


def history(s: Stack) -> list[tuple[Any, ...]]:
    return [
        (r["id"], r["status"], r["records_pulled"])
        for r in query(s.db_url, "SELECT id, status, records_pulled FROM sync_run ORDER BY id")
    ]


def decision(s: Stack, mismatch_id: int) -> tuple[Any, ...] | None:
    rows = query(s.db_url, "SELECT status, catatan FROM mismatch WHERE id = :id", id=mismatch_id)
    return (rows[0]["status"], rows[0]["catatan"]) if rows else None


def last_counts(s: Stack) -> dict[str, int]:
    return dict(s.runs()[-1]["outcome_counts"])


def planners_kept(s: Stack, edited: dict[oracle.Key, str]) -> int:
    held = {(h["kode_sub_skpd"], h["kode_sub_kegiatan"]): h for h in s.holdings()}
    return sum(
        held[k]["nama_sub_kegiatan"] == name and held[k]["diperbarui_oleh"] == PLANNER
        for k, name in edited.items()
    )


def manual_mismatches(s: Stack) -> int:
    rows = query(
        s.db_url,
        "SELECT count(*) AS n FROM mismatch WHERE kategori = 'diubah_manual'"
        " AND status <> 'selesai'",
    )
    return int(rows[0]["n"])


def rest_exact(s: Stack, edited: dict[oracle.Key, str]) -> str:
    """The oracle's diff, the planners' renames of the edited records set aside."""
    expected = oracle.expected_holdings(s.source_records(), tahun_anggaran=TAHUN, tahap=TAHAP)
    for key, name in edited.items():
        expected[key] = {**expected[key], "nama_sub_kegiatan": name}
    return oracle.diff(expected, s.holdings()).summary()


def one_backend(b: Backend, workdir: Path) -> list[Row]:
    s = b.stack
    s.migrate()
    full_sync(s)
    edited = edit_by_hand(s, EDITED)
    full_sync(s)
    decided = decide_one(s)
    mismatch_id = int(decided["id"])
    backup = workdir / f"sinkron-{b.name.lower()}.backup"
    sinkron(s, "db", "backup", str(backup))
    at_backup = history(s)
    full_sync(s)  # history the backup does not hold

    before = s.stats("eplanning")
    b.lose()
    sinkron(s, "db", "upgrade")
    rebuilt = full_sync(s)
    after = s.stats("eplanning")
    writes = after["writes_applied"] - before["writes_applied"]
    duplicates = after["duplicate_effects"]
    counts = last_counts(s)
    kept = planners_kept(s, edited)
    seen = manual_mismatches(s)
    state = rest_exact(s, edited)
    lost_holds = (
        writes == 0
        and duplicates == 0
        and counts.get("conflict", 0) == EDITED
        and kept == EDITED
        and seen == EDITED
        and state == "exact"
    )
    lost_row = Row(
        f"{b.name}: Sinkron's database lost after full syncs; `sinkron db upgrade` + full sync",
        f"E-Planning applies 0 writes, 0 duplicate effects; the {EDITED} planners' edits "
        "stay theirs (conflict, their values kept, `diubah_manual` reported)",
        f"{writes} writes applied, {duplicates} duplicate effects; run outcomes {counts} "
        f"in {rebuilt.seconds:.1f} s; planners' values kept {kept}/{EDITED}, "
        f"`diubah_manual` open {seen}/{EDITED}; the rest: {state}",
        lost_holds,
    )

    before = s.stats("eplanning")
    sinkron(s, "db", "restore", str(backup))
    restored_history = history(s)
    restored_decision = decision(s, mismatch_id)
    sinkron(s, "db", "upgrade")
    full_sync(s)
    after = s.stats("eplanning")
    writes = after["writes_applied"] - before["writes_applied"]
    kept_decision = decision(s, mismatch_id)
    want = ("dikecualikan", ALASAN)
    restore_holds = (
        restored_history == at_backup
        and restored_decision == want
        and kept_decision == want
        and writes == 0
        and planners_kept(s, edited) == EDITED
    )
    restore_row = Row(
        f"{b.name}: restored with `sinkron db backup`/`db restore` "
        f"({'backup API' if b.name == 'SQLite' else 'pg_dump/pg_restore'}) taken mid-life",
        "run history as at the backup; a planner's decision (dikecualikan + alasan) back; "
        "the next full sync writes nothing and keeps it",
        f"history {len(restored_history)} runs, "
        f"{'identical' if restored_history == at_backup else 'DIFFERENT'} to the backup's "
        f"({len(at_backup)}); decision on mismatch {mismatch_id}: "
        f"{restored_decision[0] if restored_decision else 'missing'} after the restore, "
        f"{kept_decision[0] if kept_decision else 'missing'} after the next sync; "
        f"{writes} writes applied",
        restore_holds,
    )
    return [lost_row, restore_row]


def run(size: Size, workdir: Path) -> list[Row]:
    # The two backends share nothing but the machine: side by side, in half the time.
    with backends(RECORDS[size], workdir) as found, ThreadPoolExecutor(len(found)) as pool:
        done = list(pool.map(lambda b: one_backend(b, workdir), found))
    return [row for rows in done for row in rows]
