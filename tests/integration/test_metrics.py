"""GET /metrics: runs by status, a failed run, staleness per scope and the process's own
instruments, read from a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker

from app.api import metrics as metrics_api
from app.db import make_session_factory, session_scope
from app.http.deps import get_session_factory
from app.models import RunStatus, utcnow
from app.observability import metrics
from app.repositories import runs
from connectors.eprogram import EProgramClient
from connectors.http import RetryPolicy, TransientError

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(session_factory: sessionmaker[Session]) -> Samples:
    body, _ = metrics.render(session_factory)
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def add_run(
    session_factory: sessionmaker[Session],
    tahun: int,
    tahap: str,
    status: RunStatus,
    *,
    ago: float | None = None,
    counts: dict[str, int] | None = None,
) -> int:
    """A run as the pipeline leaves it: created, then running, then (when `ago`) finished."""
    with session_scope(session_factory) as session:
        run_id = runs.create(
            session, tahun_anggaran=tahun, tahap=tahap, full=True, trigger="jadwal"
        ).id
        runs.mark_running(session, run_id)
        if ago is not None:
            runs.finish(
                session,
                run_id,
                status=status,
                counts=counts or {},
                error="HTTP 503" if status is RunStatus.FAILED else None,
                finished_at=utcnow() - timedelta(seconds=ago),
            )
    return run_id


@pytest.fixture
def history(session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    # 2026/renja: two successes, then a failure, which is the latest finished run.
    add_run(session_factory, 2026, "renja", RunStatus.SUCCEEDED, ago=7200, counts={"created": 9})
    add_run(
        session_factory,
        2026,
        "renja",
        RunStatus.SUCCEEDED,
        ago=3600,
        counts={"created": 5, "unchanged": 2},
    )
    add_run(
        session_factory,
        2026,
        "renja",
        RunStatus.FAILED,
        ago=60,
        counts={"updated": 4, "dead_letter": 2},
    )
    # 2026/apbd: only a run still in progress.
    add_run(session_factory, 2026, "apbd", RunStatus.RUNNING)
    # 2027/rkpd: it has never succeeded.
    add_run(session_factory, 2027, "rkpd", RunStatus.FAILED, ago=30, counts={"unmappable": 3})
    return session_factory


def test_runs_by_status_count_the_whole_table(history: sessionmaker[Session]) -> None:
    samples = scrape(history)
    assert value(samples, "sinkron_database_up") == 1
    by_status = {
        status.value: value(samples, "sinkron_runs", status=status.value) for status in RunStatus
    }
    assert by_status == {
        "pending": 0,
        "running": 1,
        "succeeded": 2,
        "failed": 2,
        "cancelled": 0,
        "interrupted": 0,
        "menunggu_persetujuan": 0,
    }


def test_a_failed_run_is_visible_per_scope(history: sessionmaker[Session]) -> None:
    samples = scrape(history)
    assert value(samples, "sinkron_last_run_failed", tahun_anggaran="2026", tahap="renja") == 1
    assert value(samples, "sinkron_last_run_failed", tahun_anggaran="2027", tahap="rkpd") == 1
    # A scope whose only run is still going has finished nothing yet.
    assert value(samples, "sinkron_last_run_failed", tahun_anggaran="2026", tahap="apbd") is None

    add_run(history, 2026, "renja", RunStatus.SUCCEEDED, ago=1, counts={"unchanged": 6})
    samples = scrape(history)
    assert value(samples, "sinkron_last_run_failed", tahun_anggaran="2026", tahap="renja") == 0


def test_seconds_since_the_last_success(history: sessionmaker[Session]) -> None:
    samples = scrape(history)
    since = value(
        samples, "sinkron_seconds_since_last_success", tahun_anggaran="2026", tahap="renja"
    )
    assert since == pytest.approx(3600, abs=5)
    stamp = value(
        samples, "sinkron_last_success_timestamp_seconds", tahun_anggaran="2026", tahap="renja"
    )
    assert stamp == pytest.approx((utcnow() - timedelta(seconds=3600)).timestamp(), abs=5)
    # No success yet: no number rather than a made-up one.
    for tahun, tahap in (("2027", "rkpd"), ("2026", "apbd")):
        assert (
            value(samples, "sinkron_seconds_since_last_success", tahun_anggaran=tahun, tahap=tahap)
            is None
        )


def test_records_by_outcome_of_the_latest_finished_run(history: sessionmaker[Session]) -> None:
    samples = scrape(history)

    def records(outcome: str) -> float | None:
        return value(
            samples, "sinkron_run_records", tahun_anggaran="2026", tahap="renja", outcome=outcome
        )

    assert records("updated") == 4
    assert records("dead_letter") == 2
    assert records("created") == 0  # the earlier successes' counts are not mixed in
    assert records("rejected") == 0


def test_process_instruments_show_up_with_their_labels(
    session_factory: sessionmaker[Session],
) -> None:
    before = scrape(session_factory)
    metrics.observe_pull(0.3)
    metrics.observe_push(42.0)
    metrics.count_retry("eplanning", TransientError("HTTP 503", request="POST /b", status_code=503))
    metrics.count_outcomes({"created": 3, "rejected": 1, "unchanged": 0})
    after = scrape(session_factory)

    def grew(name: str, **labels: str) -> float:
        return (value(after, name, **labels) or 0) - (value(before, name, **labels) or 0)

    assert grew("sinkron_pull_seconds_count") == 1
    assert grew("sinkron_pull_seconds_bucket", le="0.5") == 1
    assert grew("sinkron_pull_seconds_bucket", le="0.25") == 0
    assert grew("sinkron_push_seconds_bucket", le="60.0") == 1
    assert grew("sinkron_retries_total", system="eplanning", reason="503") == 1
    assert grew("sinkron_records_total", outcome="created") == 3
    assert grew("sinkron_records_total", outcome="rejected") == 1


@pytest.mark.anyio
async def test_client_retries_are_counted_by_reason(session_factory: sessionmaker[Session]) -> None:
    """The hook a connector client is given counts what actually happened on the wire."""
    answers: list[httpx.Response | Exception] = [
        httpx.Response(503),
        httpx.Response(200, text="<html>maintenance</html>", headers={"Content-Type": "text/html"}),
        httpx.ReadTimeout("read timed out"),
        httpx.Response(200, json={"data": [], "next_after": None}),
    ]

    def server(request: httpx.Request) -> httpx.Response:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def no_wait(_seconds: float) -> None:
        return None

    before = scrape(session_factory)
    async with EProgramClient(
        "https://eprogram.test",
        "kunci",
        policy=RetryPolicy(max_attempts=4),
        transport=httpx.MockTransport(server),
        on_retry=metrics.retry_hook("eprogram"),
        sleep=no_wait,
    ) as client:
        pages = [page async for page in client.pages(tahun_anggaran=2026, tahap="renja")]
    assert [page.records for page in pages] == [[]]
    after = scrape(session_factory)

    def grew(reason: str) -> float:
        key = ("sinkron_retries_total", frozenset({"system": "eprogram", "reason": reason}.items()))
        return after.get(key, 0) - before.get(key, 0)

    assert (grew("503"), grew("body"), grew("readtimeout")) == (1, 1, 1)


@pytest.mark.anyio
async def test_the_endpoint_answers_prometheus_text(
    session_factory: sessionmaker[Session],
) -> None:
    add_run(session_factory, 2026, "renja", RunStatus.FAILED, ago=10)
    app = FastAPI()
    app.dependency_overrides[get_session_factory] = lambda: session_factory
    app.include_router(metrics_api.router)
    # httpx's ASGI transport rather than starlette's TestClient, which warns that
    # its httpx backend is deprecated.
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://sinkron.test"
    ) as client:
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    families: dict[str, Any] = {f.name: f for f in text_string_to_metric_families(response.text)}
    assert {"sinkron_runs", "sinkron_last_run_failed", "sinkron_retries"} <= set(families)
    assert value(scrape(session_factory), "sinkron_runs", status="failed") == 1


def test_an_unreadable_database_still_gets_an_answer() -> None:
    """No tables at all: the scrape says so instead of failing with a 500."""
    empty = make_session_factory(create_engine("sqlite://"))
    samples = scrape(empty)
    assert value(samples, "sinkron_database_up") == 0
    assert ("sinkron_pull_seconds_count", frozenset()) in samples
