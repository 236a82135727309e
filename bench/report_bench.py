"""The planners' report at scale: list latency, summary time, export time and memory.

Inserts 100,000 mismatches over 30 OPDs and every kategori (plus the record
states and 30 runs of OPD snapshots the summary reads), then runs
``sinkron serve`` in a process of its own and measures over real HTTP:
list pages (p50/p95 over several filters and deep cursors), the summary, the
XLSX and CSV downloads with the service's RSS before and its peak during them;
and ``sinkron laporan --xlsx`` under ``/usr/bin/time -v`` for all rows and for
one OPD, whose peak RSS should be about the same (memory stays flat).

    .venv/bin/python bench/report_bench.py                       # SQLite
    .venv/bin/python bench/report_bench.py --postgres postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from _common import database, free_port, time_v
from sqlalchemy import insert, text

from app import migrate
from app.access import keys
from app.access.keys import Role
from app.db import make_engine, make_session_factory, session_scope
from app.mismatches.kategori import KATEGORI
from app.mismatches.temuan import identitas
from app.models import Mismatch, OpdSnapshot, RecordState, SyncRun

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TAHUN, TAHAP = 2026, "renja"
STATUSES = ("baru",) * 7 + ("diakui", "selesai", "dikecualikan")
WORDS = (
    "Penyediaan", "Pembangunan", "Rehabilitasi", "Jalan", "Jembatan", "Puskesmas",
    "Sekolah", "Pelabuhan", "Pengawasan", "Peningkatan", "Kapasitas", "Air Bersih",
)  # fmt: skip


def opd_codes(n: int) -> list[str]:
    return [f"{1 + i // 10}.{i % 10 + 1:02d}.0.00.0.00.01.0000" for i in range(n)]


def seed(url: str, *, rows: int, opds: int) -> None:
    """Bulk insert: mismatches, the record states of a tenth as many records (a
    kabupaten has a few thousand sub kegiatan a year, each with several
    problems), and 30 runs of OPD snapshots."""
    codes = opd_codes(opds)
    records = rows // 10
    kategori = list(KATEGORI)
    engine = make_engine(url)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        run_ids = []
        for n in range(30):
            result = conn.execute(
                insert(SyncRun).values(
                    tahun_anggaran=TAHUN, tahap=TAHAP, full=True, trigger="bench",
                    status="succeeded", created_at=now - timedelta(days=30 - n),
                    records_pulled=0, outcome_counts={}, stage_seconds={},
                    cancel_requested=False,
                )
            )  # fmt: skip
            run_ids.append(int(result.inserted_primary_key[0]))
        batch: list[dict[str, Any]] = []
        for i in range(rows):
            kode = codes[i % opds]
            k = kategori[(i // opds) % len(kategori)]
            money = KATEGORI[k].uang
            name = " ".join(WORDS[(i * j) % len(WORDS)] for j in range(1, 6)) + f" {i}"
            batch.append(
                {
                    "tahun_anggaran": TAHUN, "tahap": TAHAP,
                    "identitas": identitas(source_id=f"ep-{i}", kode_sub_skpd=None,
                                           kode_sub_kegiatan=None, kategori=k, field="nilai"),
                    "kode_skpd": kode, "kode_sub_skpd": kode[:-4] + "0001",
                    "kode_sub_kegiatan": f"1.{i % 30 + 1:02d}.02.2.01.{i % 9999 + 1:04d}",
                    "nama_sub_kegiatan": name, "source_id": f"ep-{i}", "kategori": k,
                    "field": "pagu" if money else "nama_sub_kegiatan",
                    "nilai_eprogram": f"{(i % 97 + 1) * 10_000_000}.00" if money else name,
                    "nilai_eplanning": f"{(i % 89 + 1) * 10_000_000}.00" if money else name.upper(),
                    "keterangan": f"{KATEGORI[k].label}: nilai E-Program berbeda dengan E-Planning",
                    "status": STATUSES[i % len(STATUSES)], "first_run_id": run_ids[0],
                    "last_run_id": run_ids[-1], "first_seen_at": now, "last_seen_at": now,
                }
            )  # fmt: skip
            if len(batch) == 5000:
                conn.execute(insert(Mismatch), batch)
                batch.clear()
        if batch:
            conn.execute(insert(Mismatch), batch)
        states = [
            {
                "tahun_anggaran": TAHUN, "tahap": TAHAP, "source_id": f"ep-{i}",
                "kode_skpd": codes[i % opds], "nama_skpd": f"Perangkat daerah {i % opds}",
                "kode_sub_skpd": codes[i % opds][:-4] + "0001",
                "kode_program": f"1.{i % 30 + 1:02d}.02",
                "kode_kegiatan": f"1.{i % 30 + 1:02d}.02.2.01",
                "kode_sub_kegiatan": f"1.{i % 30 + 1:02d}.02.2.01.{i % 9999 + 1:04d}",
                "nama_sub_kegiatan": "sub kegiatan", "dalam_lingkup": True, "tepat": i % 4 != 0,
                "siap_sakip": i % 3 != 0, "pagu_eprogram": Decimal(1_000_000 + i),
                "pagu_eplanning": Decimal(1_000_000 + i - (i % 5)), "outcome": "unchanged",
                "run_id": run_ids[-1],
            }
            for i in range(records)
        ]  # fmt: skip
        for start in range(0, len(states), 5000):
            conn.execute(insert(RecordState), states[start : start + 5000])
        conn.execute(
            insert(OpdSnapshot),
            [
                {
                    "run_id": run, "tahun_anggaran": TAHUN, "tahap": TAHAP, "kode_skpd": kode,
                    "jumlah": rows // opds // 10, "tepat": n, "siap_sakip": n, "at": now,
                    "pagu_eprogram": Decimal(n), "pagu_eplanning": Decimal(n),
                    "mismatch_terbuka": rows // opds - n,
                }
                for n, run in enumerate(run_ids)
                for kode in codes
            ],
        )  # fmt: skip
    engine.dispose()


def memory(pid: int) -> tuple[int, int]:
    """(current RSS, peak RSS) of a process, in MiB."""
    status = Path(f"/proc/{pid}/status").read_text()
    rss = re.search(r"VmRSS:\s+(\d+) kB", status)
    hwm = re.search(r"VmHWM:\s+(\d+) kB", status)
    assert rss and hwm
    return int(rss.group(1)) // 1024, int(hwm.group(1)) // 1024


@contextmanager
def service(env: dict[str, str]) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    proc = subprocess.Popen(
        [str(BIN / "sinkron"), "serve", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/healthz", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit("sinkron serve did not start") from None
                time.sleep(0.2)
        yield url, proc
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def list_latencies(client: httpx.Client, key: str, codes: list[str]) -> dict[str, list[float]]:
    """Milliseconds per list page, by kind of request."""
    base = {"tahun_anggaran": TAHUN, "tahap": TAHAP, "limit": 100}
    kinds: dict[str, list[dict[str, Any]]] = {
        "first page": [base] * 20,
        "one OPD": [{**base, "kode_skpd": c} for c in codes[:20]],
        "kategori + terbuka": [{**base, "kategori": k, "status": "terbuka"} for k in KATEGORI]
        + [{**base, "kategori": k, "status": "baru"} for k in list(KATEGORI)[:8]],
        "q (common word)": [{**base, "q": w} for w in WORDS] + [{**base, "q": "jalan"}] * 8,
        "q (no match)": [{**base, "q": f"tidak ada {i}"} for i in range(20)],
    }
    out: dict[str, list[float]] = {}
    for kind, requests in kinds.items():
        for params in requests:
            started = time.perf_counter()
            client.get("/api/v1/mismatches", params=params, headers={"X-API-Key": key})
            out.setdefault(kind, []).append((time.perf_counter() - started) * 1000)
    # Deep pages: follow the cursor through one OPD's 3,000-odd rows.
    cursor = None
    for _ in range(30):
        params = {**base, "kode_skpd": codes[0]} | ({"cursor": cursor} if cursor else {})
        started = time.perf_counter()
        page = client.get("/api/v1/mismatches", params=params, headers={"X-API-Key": key})
        out.setdefault("cursor pages", []).append((time.perf_counter() - started) * 1000)
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    return out


def download(client: httpx.Client, path: str, key: str, **params: Any) -> tuple[float, int]:
    started = time.perf_counter()
    size = 0
    with client.stream("GET", path, params=params, headers={"X-API-Key": key}) as answer:
        answer.raise_for_status()
        for chunk in answer.iter_bytes():
            size += len(chunk)
    return time.perf_counter() - started, size


def bench(url: str, *, rows: int, opds: int) -> None:
    migrate.upgrade(url)
    started = time.perf_counter()
    seed(url, rows=rows, opds=opds)
    if url.startswith("postgresql"):
        # What autovacuum does within a minute of a bulk insert: the planner's
        # statistics, as a service that has been running would have them.
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        engine.dispose()
    print(f"seed: {rows:,} mismatches, {rows // 10:,} record states, "
          f"30 runs × {opds} OPD snapshots in {time.perf_counter() - started:.1f} s",
          flush=True)  # fmt: skip
    codes = opd_codes(opds)
    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as session:
        admin = keys.create(session, name="bench-admin", role=Role.ADMIN)
        scoped = keys.create(session, name="bench-opd", role=Role.PLANNER, kode_skpd=codes[:2])
    engine.dispose()
    env = {
        **os.environ,
        "SINKRON_DATABASE_URL": url,
        "SINKRON_EPROGRAM_API_KEY": "bench-eprogram-key",
        "SINKRON_EPLANNING_TOKEN": "bench-eplanning-token",
        "SINKRON_SYNC_SCOPES": "",
        "SINKRON_LOG_LEVEL": "WARNING",
    }
    with service(env) as (base, proc), httpx.Client(base_url=base, timeout=300) as client:
        client.get("/api/v1/mismatches", headers={"X-API-Key": admin})  # warm up
        everything: list[float] = []
        for kind, ms in list_latencies(client, admin, codes).items():
            everything += ms
            print(f"list {kind:<20} n={len(ms):>3}  p50 {percentile(ms, 0.5):6.1f} ms  "
                  f"p95 {percentile(ms, 0.95):6.1f} ms  max {max(ms):6.1f} ms")  # fmt: skip
        scoped_ms = list_latencies(client, scoped, codes[:2])["first page"]
        everything += scoped_ms
        print(f"list {'scoped key':<20} n={len(scoped_ms):>3}  "
              f"p95 {percentile(scoped_ms, 0.95):6.1f} ms")  # fmt: skip
        print(f"list ALL                  n={len(everything):>3}  "
              f"p95 {percentile(everything, 0.95):6.1f} ms  (target < 100 ms)")  # fmt: skip

        summary = []
        for _ in range(5):
            t0 = time.perf_counter()
            answer = client.get(
                "/api/v1/ringkasan", params={"tahun_anggaran": TAHUN, "tahap": TAHAP},
                headers={"X-API-Key": admin},
            )  # fmt: skip
            answer.raise_for_status()
            summary.append(time.perf_counter() - t0)
        print(f"summary ({opds} OPDs, 30-run trend): median {statistics.median(summary):.3f} s  "
              f"max {max(summary):.3f} s  (target < 1 s)")  # fmt: skip

        scope = {"tahun_anggaran": TAHUN, "tahap": TAHAP}
        for ext in ("xlsx", "csv"):
            before = memory(proc.pid)
            seconds, size = download(client, f"/api/v1/mismatches/export.{ext}", admin, **scope)
            after = memory(proc.pid)
            print(f"GET export.{ext}: {rows:,} rows in {seconds:5.1f} s ({size / 2**20:.1f} MiB)"
                  f"  service RSS before {before[0]} MiB, peak so far before {before[1]} MiB, "
                  f"peak after {after[1]} MiB")  # fmt: skip

    for label, extra in (("all OPDs", ()), ("one OPD", ("--opd", codes[0]))):
        with tempfile.TemporaryDirectory() as tmp:
            measured = time_v(
                [str(BIN / "sinkron"), "laporan", "--tahun", str(TAHUN), "--tahap", TAHAP,
                 *extra, "--xlsx", f"{tmp}/r.xlsx"],
                env,
            )  # fmt: skip
        out = measured.stdout.strip()
        shown = re.sub(r"^\S+: ", "", out.splitlines()[-1]).split(", lembar")[0]
        print(
            f"sinkron laporan --xlsx ({label}): {measured.wall:5.1f} s, "
            f"peak RSS {measured.rss_mib} MiB ({shown})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--opds", type=int, default=30)
    parser.add_argument("--postgres", metavar="URL", help="PostgreSQL instead of SQLite")
    args = parser.parse_args()
    with database(args.postgres) as url:
        print(f"database: {'PostgreSQL' if args.postgres else 'SQLite'}", flush=True)
        bench(url, rows=args.rows, opds=args.opds)


if __name__ == "__main__":
    main()
