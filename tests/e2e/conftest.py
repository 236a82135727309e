"""A small world over real HTTP: both stand-ins on loopback, a migrated database,
and settings that point Sinkron at them with quick retries."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.db import session_scope
from app.models import RecordOutcome
from app.repositories import outcomes
from app.runs.runner import create_run, execute_run
from app.sync.progress import RunSummary
from app.sync.scope import Scope
from connectors.http import default_ssl_context
from standins import eplanning, eprogram, nomenklatur
from standins.dataset import EProgramDataset
from standins.generator import generate
from standins.server import ServerThread
from tests.conftest import SERVICE_TIMEOUT

TAHUN, TAHAP = 2026, "renja"
API_KEY, TOKEN, PLANNER_TOKEN = "eprogram-dev-key", "eplanning-dev-token", "perencana-dev-token"


@dataclass
class World:
    dataset: EProgramDataset
    source: ServerThread
    target: ServerThread
    settings: Settings
    sessions: sessionmaker[Session]
    tahun_anggaran: int = TAHUN
    # The test's own client to the stand-ins: one, with the process's one TLS
    # context, where a client per call read the CA bundle each time (~50 ms).
    http: httpx.Client = field(
        default_factory=lambda: httpx.Client(timeout=SERVICE_TIMEOUT, verify=default_ssl_context())
    )

    def sync(self, *, full: bool = False, kode_skpd: tuple[str, ...] = (), **kw: Any) -> RunSummary:
        scope = Scope(self.tahun_anggaran, TAHAP, kode_skpd, full)
        run_id = create_run(self.sessions, scope, trigger="test")
        return asyncio.run(
            execute_run(run_id, settings=self.settings, session_factory=self.sessions, **kw)
        )

    def eplanning_records(self) -> dict[tuple[str, str], dict[str, Any]]:
        """E-Planning's store, keyed by (kode_sub_skpd, kode_sub_kegiatan)."""
        answer = self.http.get(f"{self.target.url}/_standin/records")
        items = answer.json()["items"]
        return {(r["kode_sub_skpd"], r["kode_sub_kegiatan"]): r for r in items}

    def eplanning_stats(self) -> dict[str, Any]:
        return dict(self.http.get(f"{self.target.url}/_standin/stats").json())

    def eprogram_stats(self) -> dict[str, Any]:
        return dict(self.http.get(f"{self.source.url}/_standin/stats").json())

    def faults(self, server: ServerThread, **settings: Any) -> None:
        self.http.put(f"{server.url}/_standin/faults", json=settings).raise_for_status()

    def manual_edit(self, key: tuple[str, str], changes: dict[str, Any]) -> dict[str, Any]:
        body = {
            "key": {
                "tahun_anggaran": self.tahun_anggaran,
                "tahap": TAHAP,
                "kode_sub_skpd": key[0],
                "kode_sub_kegiatan": key[1],
            },
            "changes": changes,
            "user": "perencana.bappeda",
        }
        response = self.http.post(f"{self.target.url}/_standin/manual-edit", json=body)
        response.raise_for_status()
        return dict(response.json())

    def purge(self, key: tuple[str, str]) -> None:
        """The record removed from E-Planning's database outright (not deactivated)."""
        body = {"key": {"tahun_anggaran": self.tahun_anggaran, "tahap": TAHAP,
                        "kode_sub_skpd": key[0], "kode_sub_kegiatan": key[1]}}  # fmt: skip
        self.http.post(f"{self.target.url}/_standin/purge", json=body).raise_for_status()

    def outcomes(self, run_id: int) -> dict[str, RecordOutcome]:
        with session_scope(self.sessions) as session:
            return {o.source_id: o for o in outcomes.for_run(session, run_id)}


def make_world(
    sessions: sessionmaker[Session],
    database_url: str,
    dataset: EProgramDataset,
    *,
    tahun_anggaran: int = TAHUN,
    items: list[dict[str, Any]] | None = None,
    rate_limits: tuple[float | None, float | None] = (None, None),
) -> Iterator[World]:
    """The world of one tahun anggaran; E-Planning validates against ``items``
    (default: the stand-ins' sample nomenclature).

    `rate_limits` are E-Program's per key and E-Planning's per token, in
    requests/s (None: unlimited); the stand-ins answer 429 beyond them.
    Sinkron is unpaced here either way, so the other tests run at full speed;
    a test about pacing sets the requests-per-second settings itself.
    """
    if items is None:
        items = nomenklatur.load_sample()["items"]
    source_limit, target_limit = rate_limits
    source = eprogram.create_app(dataset, api_key=API_KEY, rate_limit=source_limit)
    target = eplanning.create_app(
        nomenklatur={tahun_anggaran: items},
        perangkat_daerah=dataset.eplanning_perangkat_daerah(),
        rate_limit=target_limit,
    )
    with ServerThread(source) as source_server, ServerThread(target) as target_server:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=database_url,
            eprogram_url=source_server.url,
            eprogram_api_key=SecretStr(API_KEY),
            eplanning_url=target_server.url,
            eplanning_token=SecretStr(TOKEN),
            page_size=50,
            retry_initial_wait=0.01,
            retry_max_wait=0.05,
            retry_max_attempts=8,
            http_timeout_seconds=10,
            eprogram_requests_per_second=0,
            eplanning_requests_per_second=0,
        )
        world = World(dataset, source_server, target_server, settings, sessions, tahun_anggaran)
        with world.http:
            yield world


@pytest.fixture
def sample_items() -> list[dict[str, Any]]:
    return list(nomenklatur.load_sample()["items"])


def tidy(sample_items: list[dict[str, Any]]) -> EProgramDataset:
    """160 tidy records: the same every time they are made."""
    return generate(
        sample_items,
        tahun_anggaran=TAHUN,
        tahap=TAHAP,
        size=160,
        seed=7,
        untidy=False,
        problem_rate=0,
    )


@pytest.fixture
def tidy_dataset(sample_items: list[dict[str, Any]]) -> EProgramDataset:
    return tidy(sample_items)


@pytest.fixture
def world(
    session_factory: sessionmaker[Session], database_url: str, tidy_dataset: EProgramDataset
) -> Iterator[World]:
    yield from make_world(session_factory, database_url, tidy_dataset)
