"""The load scenario reads wrk's own report: its figures must come out right."""

from __future__ import annotations

from reliability.scenarios.load import parse

WRK = """Running 30s test @ http://127.0.0.1:51421/api/v1/status
  2 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   831.60ms  400.10ms   1.90s    70.00%
    Req/Sec    30.00     12.00    80.00     68.00%
  Latency Distribution
     50%  831.60ms
     75%    1.10s
     90%    1.50s
     99%    1.82s
  1717 requests in 30.05s, 1.20MB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 4
Requests/sec:     57.14
Transfer/sec:     40.00KB
"""


def test_wrk_figures_in_milliseconds_and_every_error_counted() -> None:
    w = parse("/api/v1/status", WRK, during_sync=True)
    assert (w.requests, w.requests_per_second) == (1717, 57.14)
    assert (w.p50_ms, w.p99_ms) == (831.6, 1820.0)
    assert w.errors == 2 + 3 + 4


def test_microseconds_and_no_errors() -> None:
    fast = WRK.replace("50%  831.60ms", "50%  640.00us").replace("99%    1.82s", "99%   12.50ms")
    clean = "\n".join(
        line for line in fast.splitlines() if "errors" not in line and "Non-2xx" not in line
    )
    w = parse("/api/v1/status", clean, during_sync=False)
    assert (w.p50_ms, w.p99_ms, w.errors) == (0.64, 12.5, 0)
