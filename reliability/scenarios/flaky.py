"""About 10 % of the calls to both systems fail, plus 429s with Retry-After: 2.

Where each fault comes from: 5xx (500/502/503/504, some with Retry-After) and
429 are the stand-ins' own HTTP-level faults (standins/faults.py, drawn per
request); connection resets and timeouts are the fault proxy's
(reliability/faultproxy.py, drawn per request; a swallowed request never
reaches the stand-in, so it is not ambiguous). Sinkron's HTTP timeout is set
to 3 s, as an admin would for a network known to swallow requests.

The same sync runs first undisturbed, through the same proxies, for the
reference counts and wall time, then on a fresh database and an emptied
E-Planning with the faults on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reliability import oracle
from reliability.faultproxy import ProxyFaults
from reliability.harness import TAHAP, TAHUN, Stack, database, stack
from reliability.rows import Row, Size

NAME = "flaky"
RECORDS = {"small": 800, "full": 20_000}
PAGE = {"small": 20, "full": 100}
RETRY_AFTER = 2
TIMEOUT = "3"
# per request: 4 % 5xx + 3 % reset + 3 % timeout = 10 % failing; 5 % 429 on top
STANDIN_FAULTS = {"error_rate": 0.04, "rate_limit_rate": 0.05, "retry_after": RETRY_AFTER}
# retries are bounded (docs/design.md, promise 5): at most this many requests per needed one
MAX_REQUESTS_RATIO = 2.0
RESET_RATE = BLACKHOLE_RATE = 0.03


def run(size: Size, workdir: Path) -> list[Row]:
    records, page = RECORDS[size], PAGE[size]
    with (
        stack(records, workdir, page_size=str(page), http_timeout_seconds=TIMEOUT) as s,
        s.proxied() as proxies,
    ):
        calm = s.sync()
        needed = sum(p.requests for p in proxies)
        if calm.returncode != 0:
            raise RuntimeError(f"the undisturbed sync failed:\n{calm.output[-2000:]}")
        s.reset_eplanning()
        before = sum(p.requests for p in proxies)
        for n, system in enumerate(("eprogram", "eplanning")):
            s.faults(system, **STANDIN_FAULTS, seed=20 + n)
        for n, proxy in enumerate(proxies):
            proxy.set(
                ProxyFaults(reset_rate=RESET_RATE, blackhole_rate=BLACKHOLE_RATE, seed=30 + n)
            )
        with database(workdir) as url:
            s.migrate(database_url=url)
            flaky = s.sync(database_url=url)
            sent = sum(p.requests for p in proxies) - before
            injected = _injected(s, proxies)
            waits = [w for system in ("eprogram", "eplanning") for w in _waits(s, system)]
            for system in ("eprogram", "eplanning"):
                s.faults(system)
            for proxy in proxies:
                proxy.set(ProxyFaults())
            runs = s.runs(url)
        expected = oracle.expected_holdings(s.source_records(), tahun_anggaran=TAHUN, tahap=TAHAP)
        found = oracle.diff(expected, s.holdings())
    fault = (
        f"~10 % of calls to both systems fail (5xx, reset, timeout) + 5 % 429 with "
        f"Retry-After: {RETRY_AFTER}; {records:,} records, pages of {page} "
        f"(injected: {', '.join(f'{k} {v}' for k, v in sorted(injected.items()))})"
    )
    retry_wait = min((same for _, same in waits if same is not None), default=None)
    any_wait = min((next_any for next_any, _ in waits), default=None)
    overhead = (sent - needed) / needed if needed else 0.0
    counts = runs[-1]["outcome_counts"] if runs else {}
    return [
        Row(
            fault,
            "exit 0; final state exact per the oracle",
            f"exit {flaky.returncode}, outcomes {counts}; E-Planning: {found.summary()}",
            flaky.returncode == 0 and found.exact,
        ),
        Row(
            fault,
            f"shortest wait after a 429 before the request is sent again ≥ {RETRY_AFTER} s",
            f"{_seconds(retry_wait)} over {len(waits)} 429s (before any next request to "
            f"that system: {_seconds(any_wait)})",
            retry_wait is not None and retry_wait >= RETRY_AFTER,
        ),
        Row(
            fault,
            f"retry overhead: requests ≤ {MAX_REQUESTS_RATIO:g}× the undisturbed run's",
            f"{sent} requests vs {needed} undisturbed (+{overhead:.0%}); wall "
            f"{flaky.seconds:.1f} s vs {calm.seconds:.1f} s ({flaky.seconds / calm.seconds:.1f}×)",
            sent <= MAX_REQUESTS_RATIO * needed,
        ),
    ]


def _injected(s: Stack, proxies: tuple[Any, ...]) -> dict[str, int]:
    total: dict[str, int] = {}
    for system in ("eprogram", "eplanning"):
        for kind, count in s.stats(system)["faults"].items():
            total[kind] = total.get(kind, 0) + count
    for proxy in proxies:
        for kind, count in proxy.stats()["injected"].items():
            total[kind] = total.get(kind, 0) + count
    return total


def _waits(s: Stack, system: str) -> list[tuple[float, float | None]]:
    """For each 429 of ``system``: seconds until its next request of any kind, and until
    the same request arrived again (None when it never did)."""
    timeline = s.control(system, "timeline")["requests"]
    waits: list[tuple[float, float | None]] = []
    for index, (_, answered, _, status, digest) in enumerate(timeline):
        if status != "429":
            continue
        later = [entry for entry in timeline[index + 1 :] if entry[0] >= answered]
        if not later:
            continue
        again = next((entry[0] for entry in later if entry[4] == digest), None)
        waits.append(
            (min(e[0] for e in later) - answered, None if again is None else again - answered)
        )
    return waits


def _seconds(value: float | None) -> str:
    return "none observed" if value is None else f"{value:.3f} s"
