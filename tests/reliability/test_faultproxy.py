"""Each fault of the TCP fault proxy, against a real HTTP server (uvicorn) behind it."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reliability.faultproxy import FaultProxy, ProxyFaults, write_faults
from standins.server import ServerThread

ROOT = Path(__file__).resolve().parents[2]


class Upstream:
    """Answers GET /bytes/<n> with n bytes; counts every request that reached it."""

    def __init__(self) -> None:
        self.hits = 0

        async def payload(request: Request) -> Response:
            self.hits += 1
            await request.body()
            return Response(b"x" * int(request.path_params["n"]))

        routes = [Route("/bytes/{n:int}", payload, methods=["GET", "POST"])]
        self.server = ServerThread(Starlette(routes=routes))


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    server = Upstream()
    with server.server:
        yield server


@pytest.fixture
def proxy(upstream: Upstream) -> Iterator[FaultProxy]:
    with FaultProxy.to(upstream.server.url) as running:
        yield running


def client(proxy: FaultProxy, timeout: float = 5) -> httpx.Client:
    return httpx.Client(base_url=proxy.url, timeout=timeout)


def test_without_faults_answers_pass_through_and_requests_are_counted(
    proxy: FaultProxy, upstream: Upstream
) -> None:
    with client(proxy) as http:
        sizes = [len(http.get(f"/bytes/{n}").content) for n in (10, 200_000, 0)]
    assert sizes == [10, 200_000, 0]
    assert upstream.hits == 3
    # one kept-alive connection, three requests told apart
    assert proxy.stats() == {"connections": 1, "requests": 3, "injected": {}}


def test_latency_with_jitter_delays_every_answer(proxy: FaultProxy) -> None:
    proxy.set(latency_ms=300, jitter_ms=100)
    with client(proxy) as http:
        for _ in range(3):
            started = time.monotonic()
            http.get("/bytes/10").raise_for_status()
            assert 0.2 <= time.monotonic() - started < 1.0


def test_reset_fails_the_request_before_it_reaches_the_server(
    proxy: FaultProxy, upstream: Upstream
) -> None:
    proxy.set(reset_rate=1.0)
    with client(proxy) as http, pytest.raises(httpx.TransportError):
        http.get("/bytes/10")
    assert upstream.hits == 0
    assert proxy.stats()["injected"] == {"reset": 1}


def test_blackhole_never_answers(proxy: FaultProxy, upstream: Upstream) -> None:
    proxy.set(blackhole_rate=1.0)
    started = time.monotonic()
    with client(proxy, timeout=0.5) as http, pytest.raises(httpx.ReadTimeout):
        http.get("/bytes/10")
    assert time.monotonic() - started >= 0.5
    assert upstream.hits == 0


def test_bandwidth_limit_slows_a_large_answer(proxy: FaultProxy) -> None:
    proxy.set(bandwidth=400_000)
    started = time.monotonic()
    with client(proxy) as http:
        assert len(http.get("/bytes/400000").content) == 400_000
    assert time.monotonic() - started >= 0.9


def test_close_after_n_bytes_applies_the_write_and_loses_the_answer(
    proxy: FaultProxy, upstream: Upstream
) -> None:
    proxy.set(close_after_rate=1.0, close_after_bytes=20)
    with client(proxy) as http, pytest.raises(httpx.TransportError):
        http.post("/bytes/5000", content=b"{}")
    assert upstream.hits == 1  # the server did the work: an ambiguous failure
    assert proxy.stats()["injected"] == {"close_after": 1}


def test_rate_per_request_hits_requests_on_a_kept_alive_connection(proxy: FaultProxy) -> None:
    proxy.set(reset_rate=0.3, seed=7)
    failed = 0
    with client(proxy) as http:
        for _ in range(100):
            try:
                http.get("/bytes/10")
            except httpx.TransportError:
                failed += 1
    assert 15 <= failed <= 45
    assert proxy.stats()["injected"]["reset"] == failed


def test_rate_per_connection_spares_a_connection_that_drew_no_fault(proxy: FaultProxy) -> None:
    proxy.set(reset_rate=0.5, per="connection", seed=3)
    outcomes = []
    for _ in range(40):
        with client(proxy) as http:
            try:
                http.get("/bytes/10")
                # a connection that passed once keeps passing
                assert all(http.get("/bytes/10").status_code == 200 for _ in range(5))
                outcomes.append(True)
            except httpx.TransportError:
                outcomes.append(False)
    assert 8 <= outcomes.count(False) <= 32


def test_down_refuse_refuses_connections_until_it_is_up_again(proxy: FaultProxy) -> None:
    with client(proxy) as http:
        http.get("/bytes/10").raise_for_status()
        proxy.set(down="refuse")
        with pytest.raises(httpx.ConnectError):
            http.get("/bytes/10")
        proxy.set(down=None)
        assert http.get("/bytes/10").status_code == 200


def test_down_blackhole_hangs_even_kept_alive_connections(proxy: FaultProxy) -> None:
    with client(proxy, timeout=0.5) as http:
        http.get("/bytes/10").raise_for_status()
        proxy.set(down="blackhole")
        with pytest.raises(httpx.ReadTimeout):
            http.get("/bytes/10")
        proxy.set(down=None)
        assert http.get("/bytes/10").status_code == 200


def test_a_proxy_of_its_own_process_follows_its_control_file(
    upstream: Upstream, tmp_path: Path
) -> None:
    control = tmp_path / "faults.json"
    write_faults(control, ProxyFaults())
    process = subprocess.Popen(
        [sys.executable, "-m", "reliability.faultproxy", upstream.server.url,
         "--control", str(control)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        with httpx.Client(base_url=url, timeout=5) as http:
            assert http.get("/bytes/10").status_code == 200
            write_faults(control, ProxyFaults(reset_rate=1.0))
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                try:
                    http.get("/bytes/10")
                    time.sleep(0.1)
                except httpx.TransportError:
                    break
            else:
                pytest.fail("the proxy did not pick up its control file")
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert process.returncode == 0  # SIGTERM ends it as cleanly as Ctrl-C
