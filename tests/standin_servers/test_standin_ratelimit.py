"""The contracts' rate limits, switched on: 429 with Retry-After beyond them, per credential."""

from __future__ import annotations

import time
from functools import cache

import httpx
import pytest

from standins import ratelimit
from standins.__main__ import parse_args
from standins.dataset import EProgramDataset
from standins.eplanning import create_app as create_eplanning
from standins.eprogram import create_app as create_eprogram
from standins.generator import generate
from standins.nomenklatur import load_sample
from standins.server import ServerThread

KEY = {"X-API-Key": "eprogram-dev-key"}
TOKEN = {"Authorization": "Bearer eplanning-dev-token"}
PLANNER = {"Authorization": "Bearer perencana-dev-token"}
QUERY = {"tahun_anggaran": 2027, "tahap": "renja", "limit": 10}


@cache
def dataset() -> EProgramDataset:
    return generate(load_sample()["items"], tahun_anggaran=2027, tahap="renja", size=50)


def stopped_clock() -> float:
    """The limiter's clock in a burst test: time stands still, so a burst is one
    however slowly a loaded machine sends it (no token comes back meanwhile)."""
    return 0.0


def eplanning_app(rate_limit: float | None) -> ServerThread:
    app = create_eplanning(
        nomenklatur=load_sample()["items"],
        perangkat_daerah=dataset().eplanning_perangkat_daerah(),
        rate_limit=rate_limit,
        rate_limit_clock=stopped_clock,
    )
    return ServerThread(app)


def burst(client: httpx.Client, path: str, count: int, **params: object) -> list[httpx.Response]:
    return [client.get(path, params=params) for _ in range(count)]


def test_eprogram_answers_429_with_retry_after_beyond_ten_a_second() -> None:
    app = create_eprogram(
        dataset(), rate_limit=ratelimit.EPROGRAM_PER_SECOND, rate_limit_clock=stopped_clock
    )
    with ServerThread(app) as server, httpx.Client(base_url=server.url, headers=KEY) as client:
        answers = burst(client, "/api/v1/sub-kegiatan", 30, **QUERY)
        statuses = [a.status_code for a in answers]
        # a full bucket lets one second's worth through, then nothing comes back
        assert statuses == [200] * 10 + [429] * 20
        limited = [a for a in answers if a.status_code == 429]
        assert all(int(a.headers["retry-after"]) >= 1 for a in limited)
        assert limited[0].json() == {"message": "Terlalu banyak permintaan"}
        stats = client.get("/_standin/stats").json()
        assert stats["rate_limited"] == len(limited)
        assert stats["requests"]["GET /api/v1/sub-kegiatan"]["429"] == len(limited)


def test_a_client_that_keeps_to_the_rate_is_never_refused() -> None:
    app = create_eprogram(dataset(), rate_limit=ratelimit.EPROGRAM_PER_SECOND)
    with ServerThread(app) as server, httpx.Client(base_url=server.url, headers=KEY) as client:
        statuses = []
        for _ in range(25):
            statuses.append(client.get("/api/v1/sub-kegiatan", params=QUERY).status_code)
            time.sleep(1 / ratelimit.EPROGRAM_PER_SECOND)
        assert statuses == [200] * 25


def test_eplanning_limits_each_token_on_its_own() -> None:
    with eplanning_app(ratelimit.EPLANNING_PER_SECOND) as server:
        query = {"tahun_anggaran": 2027, "tahap": "renja"}
        with httpx.Client(base_url=server.url) as client:
            sinkron = [
                client.get("/api/v1/renja-sub-kegiatan", params=query, headers=TOKEN).status_code
                for _ in range(40)
            ]
            planner = client.get("/api/v1/renja-sub-kegiatan", params=query, headers=PLANNER)
            limited = client.get("/api/v1/renja-sub-kegiatan", params=query, headers=TOKEN)
        assert sinkron == [200] * 20 + [429] * 20
        assert planner.status_code == 200  # another token has a bucket of its own
        assert limited.status_code == 429
        assert limited.json()["errors"][0]["code"] == "terlalu_banyak_permintaan"
        assert int(limited.headers["retry-after"]) >= 1


def test_control_endpoints_are_not_limited() -> None:
    with eplanning_app(1.0) as server, httpx.Client(base_url=server.url) as client:
        statuses = {client.get("/_standin/stats").status_code for _ in range(20)}
        assert statuses == {200}


def test_off_by_default() -> None:
    with (
        ServerThread(create_eprogram(dataset())) as server,
        httpx.Client(base_url=server.url, headers=KEY) as client,
    ):
        statuses = {a.status_code for a in burst(client, "/api/v1/sub-kegiatan", 60, **QUERY)}
        assert statuses == {200}
        assert "rate_limited" not in client.get("/_standin/stats").json()


def test_switched_on_by_flag_or_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ratelimit.ENV_SWITCH, raising=False)
    assert parse_args([]).rate_limits is False
    assert parse_args(["--rate-limits"]).rate_limits is True
    monkeypatch.setenv(ratelimit.ENV_SWITCH, "1")
    assert parse_args([]).rate_limits is True


def test_token_bucket_refills_at_its_rate() -> None:
    now = [0.0]
    bucket = ratelimit.TokenBucket(10, clock=lambda: now[0])
    assert [bucket.take() for _ in range(10)] == [0.0] * 10
    assert bucket.take() == pytest.approx(0.1)
    now[0] += 0.25  # two and a half tokens back
    assert [bucket.take() == 0.0 for _ in range(3)] == [True, True, False]
