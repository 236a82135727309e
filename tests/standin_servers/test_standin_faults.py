"""Injected faults reach a real HTTP client the way production failures do."""

from __future__ import annotations

import time
from collections.abc import Iterator
from functools import cache
from typing import Any

import httpx
import pytest

from standins.dataset import EProgramDataset
from standins.eplanning import create_app as create_eplanning
from standins.eprogram import create_app as create_eprogram
from standins.generator import generate
from standins.nomenklatur import load_sample
from standins.server import ServerThread

KEY = {"X-API-Key": "eprogram-dev-key"}
TOKEN = {"Authorization": "Bearer eplanning-dev-token"}
QUERY = {"tahun_anggaran": 2027, "tahap": "renja", "limit": 50}
RECORD_ROUTE = (
    "/api/v1/renja-sub-kegiatan/{tahun_anggaran}/{tahap}/{kode_sub_skpd}/{kode_sub_kegiatan}"
)


@cache
def dataset() -> EProgramDataset:
    return generate(load_sample()["items"], tahun_anggaran=2027, tahap="renja", size=200)


@pytest.fixture(scope="module")
def eprogram() -> Iterator[httpx.Client]:
    with (
        ServerThread(create_eprogram(dataset())) as server,
        httpx.Client(base_url=server.url, headers=KEY, timeout=10) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def eplanning_server() -> Iterator[ServerThread]:
    app = create_eplanning(
        nomenklatur=load_sample()["items"],
        perangkat_daerah=dataset().eplanning_perangkat_daerah(),
    )
    with ServerThread(app) as server:
        yield server


@pytest.fixture
def eplanning(eplanning_server: ServerThread) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=eplanning_server.url, headers=TOKEN, timeout=10) as client:
        client.post("/_standin/reset")
        yield client


@pytest.fixture(autouse=True)
def no_faults_afterwards(eprogram: httpx.Client) -> Iterator[None]:
    yield
    eprogram.put("/_standin/faults", json={})


def set_faults(client: httpx.Client, **settings: Any) -> None:
    response = client.put("/_standin/faults", json=settings)
    assert response.status_code == 200, response.text


def record() -> tuple[str, dict[str, Any]]:
    body = {
        "tahun_anggaran": 2027,
        "tahap": "renja",
        "kode_skpd": "1.02.0.00.0.00.01.0000",
        "kode_sub_skpd": "1.02.0.00.0.00.01.0000",
        "nama_sub_skpd": "Dinas Kesehatan",
        "kode_sub_kegiatan": "1.02.02.2.01.0001",
        "nama_sub_kegiatan": "Pengelolaan Pelayanan Kesehatan Ibu Hamil",
        "pagu": "1500000.00",
        "bulan_mulai": 1,
        "bulan_selesai": 12,
        "indikator": [
            {
                "jenis": "keluaran_sub_kegiatan",
                "tolok_ukur": "Jumlah Ibu Hamil",
                "target": "10",
                "target_teks": "10 Orang",
                "satuan": "Orang",
            }
        ],
        "aktif": True,
    }
    url = "/api/v1/renja-sub-kegiatan/2027/renja/1.02.0.00.0.00.01.0000/1.02.02.2.01.0001"
    return url, body


def stored(client: httpx.Client) -> list[dict[str, Any]]:
    return client.get("/_standin/records").json()["items"]


# -- connection drops ------------------------------------------------------------------
def test_a_dropped_connection_is_a_transport_error(eprogram: httpx.Client) -> None:
    set_faults(eprogram, drop_rate=1)
    with pytest.raises(httpx.TransportError) as caught:
        eprogram.get("/api/v1/sub-kegiatan", params=QUERY)
    assert isinstance(caught.value, httpx.RemoteProtocolError)
    stats = eprogram.get("/_standin/stats").json()  # control endpoints are never faulted
    assert stats["requests"]["GET /api/v1/sub-kegiatan"] == {"dropped": 1}
    assert stats["faults"] == {"drop": 1}


def test_a_write_dropped_before_it_is_applied_changes_nothing(eplanning: httpx.Client) -> None:
    set_faults(eplanning, drop_rate=1)
    url, body = record()
    with pytest.raises(httpx.TransportError):
        eplanning.put(url, json=body, headers={"Idempotency-Key": "k1"})
    assert stored(eplanning) == []


def test_drop_after_apply_applies_the_write_and_a_retry_replays(eplanning: httpx.Client) -> None:
    set_faults(eplanning, drop_after_apply_rate=1)
    url, body = record()
    with pytest.raises(httpx.RemoteProtocolError):
        eplanning.put(url, json=body, headers={"Idempotency-Key": "k1"})
    assert [r["versi"] for r in stored(eplanning)] == [1]
    reads = eplanning.get(
        "/api/v1/renja-sub-kegiatan", params={"tahun_anggaran": 2027, "tahap": "renja"}
    )
    assert reads.status_code == 200  # reads are not writes: never dropped after apply

    set_faults(eplanning)
    retry = eplanning.put(url, json=body, headers={"Idempotency-Key": "k1"})
    assert retry.status_code == 201
    assert retry.headers["Idempotent-Replayed"] == "true"
    stats = eplanning.get("/_standin/stats").json()
    assert stats["writes_applied"] == 1 and stats["replays"] == 1
    route = "PUT " + RECORD_ROUTE
    assert stats["requests"][route] == {"dropped": 1, "201": 1}


# -- answers that are not data -------------------------------------------------------------
def test_truncated_json_is_a_200_that_does_not_parse(eprogram: httpx.Client) -> None:
    set_faults(eprogram, truncate_rate=1)
    response = eprogram.get("/api/v1/sub-kegiatan", params=QUERY)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    with pytest.raises(ValueError):
        response.json()


def test_an_html_proxy_page_is_a_200_in_text_html(eprogram: httpx.Client) -> None:
    set_faults(eprogram, html_rate=1)
    response = eprogram.get("/api/v1/sub-kegiatan", params=QUERY)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<html>" in response.text


@pytest.mark.parametrize("retry_after", [0, 1])
def test_rate_limit_is_429_with_retry_after(eprogram: httpx.Client, retry_after: int) -> None:
    # 1 second is the default
    settings = {"retry_after": retry_after} if retry_after != 1 else {}
    set_faults(eprogram, rate_limit_rate=1, **settings)
    response = eprogram.get("/api/v1/sub-kegiatan", params=QUERY)
    assert response.status_code == 429
    assert response.headers["retry-after"] == str(retry_after)
    assert response.json()["message"]


def test_server_errors_are_5xx_some_with_retry_after(eprogram: httpx.Client) -> None:
    set_faults(eprogram, error_rate=1, retry_after=0, seed=1)
    responses = [eprogram.get("/api/v1/sub-kegiatan", params=QUERY) for _ in range(40)]
    assert {r.status_code for r in responses} == {500, 502, 503, 504}
    assert any("retry-after" in r.headers for r in responses if r.status_code == 503)
    assert all("retry-after" not in r.headers for r in responses if r.status_code != 503)


def test_eplanning_errors_keep_its_error_shape(eplanning: httpx.Client) -> None:
    set_faults(eplanning, rate_limit_rate=1, retry_after=0)
    url, body = record()
    response = eplanning.put(url, json=body, headers={"Idempotency-Key": "k1"})
    assert response.status_code == 429
    assert response.json()["errors"][0]["code"] == "terlalu_banyak_permintaan"
    assert stored(eplanning) == []


# -- settings -------------------------------------------------------------------------------
def test_the_same_seed_gives_the_same_faults(eprogram: httpx.Client) -> None:
    def statuses() -> list[int]:
        set_faults(eprogram, error_rate=0.3, rate_limit_rate=0.2, retry_after=0, seed=42)
        return [eprogram.get("/api/v1/sub-kegiatan", params=QUERY).status_code for _ in range(25)]

    first = statuses()
    assert first == statuses()
    assert 200 in first and 429 in first and set(first) - {200, 429}


def test_latency_delays_api_requests(eprogram: httpx.Client) -> None:
    set_faults(eprogram, latency_ms=150)
    started = time.monotonic()
    assert eprogram.get("/api/v1/sub-kegiatan", params=QUERY).status_code == 200
    assert time.monotonic() - started >= 0.15


def test_faults_can_be_read_and_bad_settings_are_400(eprogram: httpx.Client) -> None:
    set_faults(eprogram, drop_rate=0.5, seed=9)
    settings = eprogram.get("/_standin/faults").json()
    assert settings["drop_rate"] == 0.5 and settings["seed"] == 9
    assert settings["retry_after"] == 1 and settings["error_rate"] == 0
    for bad in ({"error_rate": 2}, {"kecepatan": 1}, {"latency_ms": -1}):
        assert eprogram.put("/_standin/faults", json=bad).status_code == 400
    assert eprogram.get("/_standin/faults").json()["drop_rate"] == 0.5
