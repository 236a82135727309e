"""The E-Program stand-in over real HTTP: keyset paging, updated_since, auth and bad parameters."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from functools import cache
from typing import Any

import httpx
import pytest

from standins.dataset import EProgramDataset
from standins.eprogram import create_app
from standins.generator import generate
from standins.nomenklatur import load_sample
from standins.server import ServerThread

KEY = {"X-API-Key": "eprogram-dev-key"}
QUERY = {"tahun_anggaran": 2027, "tahap": "renja"}


@cache
def generated() -> EProgramDataset:
    return generate(load_sample()["items"], tahun_anggaran=2027, tahap="renja", size=1200)


@pytest.fixture
def dataset() -> EProgramDataset:
    """A fresh copy of the generated data (tests change it)."""
    return EProgramDataset(generated().perangkat_daerah, generated().records)


def serve(dataset: EProgramDataset) -> Iterator[httpx.Client]:
    with (
        ServerThread(create_app(dataset)) as server,
        httpx.Client(base_url=server.url, headers=KEY, timeout=10) as client,
    ):
        yield client


@pytest.fixture
def client(dataset: EProgramDataset) -> Iterator[httpx.Client]:
    yield from serve(dataset)


@pytest.fixture(scope="module")
def reader() -> Iterator[httpx.Client]:
    """One server for the tests that change nothing."""
    yield from serve(generated())


def pull(client: httpx.Client, limit: int = 250, **params: Any) -> tuple[list[dict[str, Any]], int]:
    """Follow next_after to the end; the records seen in order and the number of pages."""
    seen: list[dict[str, Any]] = []
    after, pages = None, 0
    while True:
        query = {**QUERY, "limit": limit, **params}
        if after:
            query["after"] = after
        response = client.get("/api/v1/sub-kegiatan", params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        seen += body["data"]
        pages += 1
        after = body["next_after"]
        if after is None:
            return seen, pages


def test_paging_returns_every_record_exactly_once(
    client: httpx.Client, dataset: EProgramDataset
) -> None:
    seen, pages = pull(client, limit=250)
    assert [r["id"] for r in seen] == [r["id"] for r in dataset.records]
    assert pages == 5  # 1200 records, 250 a page, the fifth page has 200 and no next_after


def test_a_full_last_page_has_no_next_after(reader: httpx.Client) -> None:
    seen, pages = pull(reader, limit=400)
    assert len(seen) == 1200 and pages == 3


def test_page_shape_and_cursor_format(client: httpx.Client, dataset: EProgramDataset) -> None:
    body = client.get("/api/v1/sub-kegiatan", params={**QUERY, "limit": 2}).json()
    assert set(body) == {"data", "next_after", "server_time"}
    second = dataset.records[1]
    assert base64.b64decode(body["next_after"]).decode() == f"{second['update_at']}|{second['id']}"
    assert body["server_time"] == dataset.records[-1]["update_at"]
    assert len(client.get("/api/v1/sub-kegiatan", params=QUERY).json()["data"]) == 500


def test_a_record_touched_mid_pass_is_seen_again_at_the_end(
    client: httpx.Client, dataset: EProgramDataset
) -> None:
    first_page = client.get("/api/v1/sub-kegiatan", params={**QUERY, "limit": 100}).json()
    early_id = first_page["data"][10]["id"]
    dataset.touch(early_id, pagu="123000")
    rest, _ = pull(client, limit=300, after=first_page["next_after"])
    seen = [r["id"] for r in first_page["data"] + rest]
    assert len(seen) == 1201
    assert seen.count(early_id) == 2
    assert rest[-1]["id"] == early_id and rest[-1]["pagu"] == "123000"
    assert len(set(seen)) == 1200


def test_updated_since_is_inclusive(client: httpx.Client, dataset: EProgramDataset) -> None:
    records = dataset.records
    ids = [r["id"] for r in records[-5:-2]]
    shared = dataset.touch_many(ids, active="0")[0]["update_at"]
    later = dataset.touch(records[0]["id"])["update_at"]
    seen, _ = pull(client, updated_since=shared)
    assert [r["id"] for r in seen] == [*ids, records[0]["id"]]
    assert {r["update_at"] for r in seen[:3]} == {shared}
    again, _ = pull(client, updated_since=later)
    assert [r["id"] for r in again] == [records[0]["id"]]


def test_control_endpoints_add_and_touch_records(
    client: httpx.Client, dataset: EProgramDataset
) -> None:
    record = {**dataset.records[0], "id": "99001", "pagu": "5000000"}
    del record["update_at"]
    added = client.post("/_standin/records", json=[record]).json()["records"][0]
    assert added["update_at"] > dataset.records[-2]["update_at"]
    touched = client.post(
        "/_standin/touch",
        json={"ids": ["99001", dataset.records[0]["id"]], "changes": {"active": "0"}},
    ).json()["records"]
    assert [r["active"] for r in touched] == ["0", "0"]
    assert touched[0]["update_at"] == touched[1]["update_at"]
    seen, _ = pull(client, updated_since=touched[0]["update_at"])
    # one second, so the feed orders them by id
    assert [r["id"] for r in seen] == [touched[1]["id"], "99001"]
    missing = client.post("/_standin/touch", json={"ids": ["1"], "changes": {}})
    assert missing.status_code == 404


def test_other_tahun_or_tahap_is_empty(reader: httpx.Client) -> None:
    for params in (
        {"tahun_anggaran": 2026, "tahap": "renja"},
        {"tahun_anggaran": 2027, "tahap": "apbd"},
    ):
        body = reader.get("/api/v1/sub-kegiatan", params=params).json()
        assert body["data"] == [] and body["next_after"] is None


def test_perangkat_daerah(client: httpx.Client, dataset: EProgramDataset) -> None:
    response = client.get("/api/v1/perangkat-daerah", params={"tahun_anggaran": 2027})
    data = response.json()["data"]
    assert data == dataset.perangkat_daerah
    assert {
        "id_skpd",
        "kode_skpd",
        "nama_skpd",
        "id_unit",
        "is_skpd",
        "active",
        "update_at",
    } == set(data[0])


@pytest.mark.parametrize("headers", [{}, {"X-API-Key": "salah"}])
def test_missing_or_wrong_key_is_401(reader: httpx.Client, headers: dict[str, str]) -> None:
    for path in ("/api/v1/sub-kegiatan", "/api/v1/perangkat-daerah"):
        response = httpx.get(f"{reader.base_url}{path}", params=QUERY, headers=headers)
        assert response.status_code == 401
        assert response.json()["message"]


@pytest.mark.parametrize(
    "params",
    [
        {**QUERY, "limit": 1001},
        {**QUERY, "limit": 0},
        {**QUERY, "limit": "banyak"},
        {"tahun_anggaran": 2027, "tahap": "perubahan"},
        {"tahun_anggaran": 2027},
        {"tahap": "renja"},
        {**QUERY, "updated_since": "05/01/2026"},
        {**QUERY, "after": "bukan-kursor"},
    ],
)
def test_bad_parameters_are_400_with_a_message(
    reader: httpx.Client, params: dict[str, Any]
) -> None:
    response = reader.get("/api/v1/sub-kegiatan", params=params)
    assert response.status_code == 400
    assert set(response.json()) == {"message"}


def test_limit_of_1000_is_allowed(reader: httpx.Client) -> None:
    response = reader.get("/api/v1/sub-kegiatan", params={**QUERY, "limit": 1000})
    assert response.status_code == 200 and len(response.json()["data"]) == 1000


def test_stats_count_requests_by_route_and_status(client: httpx.Client) -> None:
    client.get("/api/v1/sub-kegiatan", params=QUERY)
    client.get("/api/v1/sub-kegiatan", params={"tahap": "x"})
    httpx.get(f"{client.base_url}/api/v1/perangkat-daerah")
    stats = client.get("/_standin/stats").json()
    assert stats["requests"] == {
        "GET /api/v1/sub-kegiatan": {"200": 1, "400": 1},
        "GET /api/v1/perangkat-daerah": {"401": 1},
    }
    assert stats["faults"] == {}


def test_pages_served_again_are_counted_as_redone(client: httpx.Client) -> None:
    query = {**QUERY, "limit": 500}
    first = client.get("/api/v1/sub-kegiatan", params=query).json()
    client.get("/api/v1/sub-kegiatan", params={**query, "after": first["next_after"]})
    client.get("/api/v1/sub-kegiatan", params={**query, "after": first["next_after"]})
    served = client.get("/_standin/pages").json()
    assert served["redone"] == 1
    assert served["pages"] == {
        "2027|renja|500||": 1,
        f"2027|renja|500||{first['next_after']}": 2,
    }
