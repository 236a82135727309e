"""Prometheus metrics: what this process measured, plus the run history read at scrape time.

Two sources go into one scrape:
- `REGISTRY`, this process's own instruments (pull and push latency, retries, records by
  outcome of the runs it finished). They start at zero with the process. Runs are carried
  out by a worker process (app.runs.process): `sinkron serve` points both processes at one
  folder, ``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's multiprocess mode), and a scrape
  adds up what every process of this service wrote there, a worker that died included.
- `DatabaseCollector`, which reads the run table when scraped, so that runs carried out by
  another replica or by the CLI, and runs that failed before this process started, are
  visible too: runs by status, held runs waiting for an admin, and per scope (tahun_anggaran,
  tahap) the outcome counts of the latest finished run, whether it failed, and how long ago
  the last success was.

A scope with runs but no success yet has no ``sinkron_seconds_since_last_success`` and no
``sinkron_last_success_timestamp_seconds`` (there is no honest number to give); alert on it
with ``sinkron_last_run_failed == 1 unless on(tahun_anggaran, tahap)
sinkron_last_success_timestamp_seconds``.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Literal

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from app.db import session_scope
from app.models import Outcome, RunStatus
from app.repositories.run_history import RunsSnapshot, read_runs_snapshot
from connectors.errors import TransientError
from connectors.retry import OnRetry

log = logging.getLogger(__name__)

System = Literal["eprogram", "eplanning"]

# One page of E-Program or one page's batch push to E-Planning: from a fast
# local answer to minutes of backoff against a struggling server.
_LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)

# Set before prometheus_client is first imported, the instruments of every process
# started with it write to this folder (app.cli serve sets it).
SHARED_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"

REGISTRY = CollectorRegistry()
"""This process's instruments; our own, so tests and several apps in one process don't collide."""

PULL_SECONDS = Histogram(
    "sinkron_pull_seconds",
    "Seconds to fetch one page of sub kegiatan from E-Program, retries included.",
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
PUSH_SECONDS = Histogram(
    "sinkron_push_seconds",
    "Seconds for one batch call to E-Planning (a page's writes, sent in requests of at most "
    "200 operations), retries included.",
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
RETRIES = Counter(
    "sinkron_retries",
    "Requests sent again after a transient failure, by system and reason "
    "(HTTP status, 'body' for an unusable 2xx body, or the transport error).",
    ["system", "reason"],
    registry=REGISTRY,
)
RECORDS = Counter(
    "sinkron_records",
    "Source records of the runs this process finished, by outcome.",
    ["outcome"],
    registry=REGISTRY,
)
for _outcome in Outcome:
    RECORDS.labels(outcome=_outcome.value)  # present at 0 before the first run


def observe_pull(seconds: float) -> None:
    """Record how long one E-Program page took to arrive."""
    PULL_SECONDS.observe(seconds)


def observe_push(seconds: float) -> None:
    """Record how long one push to E-Planning took."""
    PUSH_SECONDS.observe(seconds)


def retry_reason(error: BaseException) -> str:
    """A short, low-cardinality label for why a request was retried.

    The HTTP status when an error status came back ("429", "503"); "body" for a 2xx whose
    body was unusable (an HTML page, invalid JSON, an incomplete listing); otherwise the
    class of the underlying transport error ("readtimeout", "connecterror").
    """
    status = getattr(error, "status_code", None)
    if isinstance(status, int):
        return "body" if 200 <= status < 300 else str(status)
    cause = error.__cause__
    return type(cause if cause is not None else error).__name__.lower()


def count_retry(system: System, error: BaseException) -> None:
    """Count one retry of a request to `system`."""
    RETRIES.labels(system=system, reason=retry_reason(error)).inc()


def retry_hook(system: System) -> OnRetry:
    """An ``on_retry`` for a connector client: counts the retry and logs it."""

    def on_retry(error: TransientError, attempt: int) -> None:
        count_retry(system, error)
        log.warning("%s: percobaan %d gagal, dicoba lagi: %s", system, attempt, error)

    return on_retry


def count_outcomes(counts: Mapping[str, int]) -> None:
    """Add a finished run's outcome counts to ``sinkron_records_total``."""
    for outcome, count in counts.items():
        if count > 0:
            RECORDS.labels(outcome=outcome).inc(count)


# -- the run table, read at scrape time ---------------------------------------


class DatabaseCollector:
    """Reads the run table at every scrape (see the module docstring for what it yields).

    When the database cannot be read the scrape still answers, with
    ``sinkron_database_up 0`` and this process's own metrics.
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._sessions = session_factory
        self._clock = clock

    def collect(self) -> Iterator[Metric]:
        try:
            with session_scope(self._sessions) as session:
                snapshot = read_runs_snapshot(session)
        except SQLAlchemyError as exc:
            log.warning("metrik: tabel run tidak terbaca: %s", exc)
            yield GaugeMetricFamily(
                "sinkron_database_up", "1 when the run table could be read.", value=0
            )
            return
        yield GaugeMetricFamily(
            "sinkron_database_up", "1 when the run table could be read.", value=1
        )
        yield from _families(snapshot, now=self._clock())


def _families(snapshot: RunsSnapshot, *, now: float) -> Iterator[Metric]:
    runs = GaugeMetricFamily("sinkron_runs", "Runs in the run table, by status.", labels=["status"])
    for status in sorted({s.value for s in RunStatus} | set(snapshot.by_status)):
        runs.add_metric([status], snapshot.by_status.get(status, 0))
    yield runs
    yield GaugeMetricFamily(
        "sinkron_runs_held",
        "Runs the guard held (status menunggu_persetujuan) that no admin has approved or "
        "rejected yet.",
        value=snapshot.held_waiting,
    )

    scope_labels = ["tahun_anggaran", "tahap"]
    records = GaugeMetricFamily(
        "sinkron_run_records",
        "Source records of the latest finished run of each scope, by outcome.",
        labels=[*scope_labels, "outcome"],
    )
    failed = GaugeMetricFamily(
        "sinkron_last_run_failed",
        "1 when the latest finished run of the scope failed, else 0.",
        labels=scope_labels,
    )
    last_success = GaugeMetricFamily(
        "sinkron_last_success_timestamp_seconds",
        "Unix time the latest successful run of the scope finished.",
        labels=scope_labels,
    )
    since_success = GaugeMetricFamily(
        "sinkron_seconds_since_last_success",
        "Seconds since the latest successful run of the scope finished.",
        labels=scope_labels,
    )
    for scope in snapshot.scopes:
        labels = [str(scope.tahun_anggaran), scope.tahap]
        if scope.last_status is not None:
            failed.add_metric(labels, 1 if scope.last_status == RunStatus.FAILED else 0)
            for outcome in sorted({o.value for o in Outcome} | set(scope.last_counts)):
                records.add_metric([*labels, outcome], scope.last_counts.get(outcome, 0))
        if scope.last_success_at is not None:
            finished = scope.last_success_at.timestamp()
            last_success.add_metric(labels, finished)
            since_success.add_metric(labels, max(now - finished, 0.0))
    yield from (records, failed, last_success, since_success)
    open_letters = GaugeMetricFamily(
        "sinkron_dead_letters_open",
        "Dead letters still open (pushes that have not reached E-Planning), per scope.",
        labels=scope_labels,
    )
    # Every scope gets a value, 0 included, so an alert on it can also clear.
    known = {(s.tahun_anggaran, s.tahap) for s in snapshot.scopes}
    for tahun, tahap in sorted(known | set(snapshot.open_dead_letters)):
        count = snapshot.open_dead_letters.get((tahun, tahap), 0)
        open_letters.add_metric([str(tahun), tahap], count)
    yield open_letters


def database_collector(session_factory: sessionmaker[Session]) -> Collector:
    """The collector of the run table behind `session_factory`."""
    return DatabaseCollector(session_factory)


class _Forward:
    """Lends REGISTRY's metrics to a per-scrape registry without registering them twice."""

    def __init__(self, source: CollectorRegistry) -> None:
        self._source = source

    def collect(self) -> Iterable[Metric]:
        return self._source.collect()


def render(session_factory: sessionmaker[Session]) -> tuple[bytes, str]:
    """One scrape: this process's metrics and the run table's, as Prometheus text.

    The registry is built per scrape and dropped, so nothing accumulates across scrapes.
    The body is the classic 0.0.4 text format and is labelled so (prometheus_client's
    CONTENT_TYPE_LATEST says 1.0.0, which a scraper may read as allowing UTF-8 names).
    """
    scrape = CollectorRegistry()
    shared = os.environ.get(SHARED_VARIABLE)
    if shared:
        MultiProcessCollector(scrape, path=shared)  # type: ignore[no-untyped-call]
    else:
        scrape.register(_Forward(REGISTRY))
    scrape.register(database_collector(session_factory))
    return generate_latest(scrape), CONTENT_TYPE_PLAIN_0_0_4
