"""connectors.eprogram: the feed is read page by page, completely, and failures are retried."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from connectors.eprogram import EProgramClient, Page
from connectors.http import AuthError, PermanentError, RetryPolicy, TransientError

FAST = RetryPolicy(max_attempts=3, initial_wait=0.001, max_wait=0.002)
BASE = "https://eprogram.test"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Feed:
    """A stand-in for GET /api/v1/sub-kegiatan: pages keyed by the `after` cursor.

    `faults` lists responses to give (in order) before the real answers.
    """

    def __init__(self, pages: dict[str | None, dict[str, Any]], *faults: httpx.Response) -> None:
        self.pages = pages
        self.faults = list(faults)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.faults:
            return self.faults.pop(0)
        return httpx.Response(200, json=self.pages[request.url.params.get("after")])

    def cursors(self) -> list[str | None]:
        return [r.url.params.get("after") for r in self.requests]


def record(n: int) -> dict[str, Any]:
    return {"id": str(n), "kode_sub_giat": "7.01.02.2.01.01", "update_at": "2026-01-05 10:22:33"}


THREE_PAGES: dict[str | None, dict[str, Any]] = {
    None: {
        "data": [record(1), record(2)],
        "next_after": "c1",
        "server_time": "2026-01-06 01:00:02",
    },
    "c1": {"data": [record(3)], "next_after": "c2", "server_time": "2026-01-06 01:00:03"},
    "c2": {"data": [record(4)], "next_after": None, "server_time": "2026-01-06 01:00:04"},
}


def client(feed: Feed, **kwargs: Any) -> EProgramClient:
    async def no_sleep(_seconds: float) -> None:
        return None

    kwargs.setdefault("policy", FAST)
    return EProgramClient(
        BASE, "rahasia", transport=httpx.MockTransport(feed), sleep=no_sleep, **kwargs
    )


async def collect(source: EProgramClient, **kwargs: Any) -> list[Page]:
    kwargs.setdefault("tahun_anggaran", 2026)
    kwargs.setdefault("tahap", "renja")
    return [page async for page in source.pages(**kwargs)]


@pytest.mark.anyio
async def test_paging_follows_next_after_until_null() -> None:
    feed = Feed(THREE_PAGES)
    async with client(feed) as source:
        pages = await collect(source)
    assert [r["id"] for page in pages for r in page.records] == ["1", "2", "3", "4"]
    assert [p.next_after for p in pages] == ["c1", "c2", None]
    assert feed.cursors() == [None, "c1", "c2"]


@pytest.mark.anyio
async def test_query_carries_filters_limit_and_the_api_key() -> None:
    feed = Feed(THREE_PAGES)
    async with client(feed) as source:
        await collect(source, updated_since="2026-01-05 10:22:33", limit=250)
    first, second = feed.requests[0], feed.requests[1]
    assert dict(first.url.params) == {
        "tahun_anggaran": "2026",
        "tahap": "renja",
        "updated_since": "2026-01-05 10:22:33",
        "limit": "250",
    }
    assert second.url.params["after"] == "c1"
    assert second.url.params["updated_since"] == "2026-01-05 10:22:33"
    assert first.headers["X-API-Key"] == "rahasia"


@pytest.mark.anyio
async def test_resuming_from_a_checkpointed_cursor_skips_the_pages_before_it() -> None:
    feed = Feed(THREE_PAGES)
    async with client(feed) as source:
        pages = await collect(source, after="c1")
    assert [r["id"] for page in pages for r in page.records] == ["3", "4"]
    assert feed.cursors() == ["c1", "c2"]


@pytest.mark.anyio
async def test_pages_are_fetched_lazily() -> None:
    feed = Feed(THREE_PAGES)
    async with client(feed) as source:
        async for _page in source.pages(tahun_anggaran=2026, tahap="renja"):
            break
    assert len(feed.requests) == 1


@pytest.mark.anyio
async def test_limit_over_1000_is_refused_before_sending() -> None:
    feed = Feed(THREE_PAGES)
    async with client(feed) as source:
        with pytest.raises(ValueError, match="limit"):
            source.pages(tahun_anggaran=2026, tahap="renja", limit=1001)
    assert feed.requests == []


@pytest.mark.anyio
async def test_a_failed_page_is_fetched_again_with_the_same_cursor() -> None:
    html = httpx.Response(200, text="<html>gateway</html>", headers={"Content-Type": "text/html"})
    feed = Feed(THREE_PAGES)
    async with client(feed) as source:
        pages = []
        async for page in source.pages(tahun_anggaran=2026, tahap="renja"):
            pages.append(page)
            if len(pages) == 1:
                feed.faults = [httpx.Response(503), html]
    assert [r["id"] for page in pages for r in page.records] == ["1", "2", "3", "4"]
    assert feed.cursors() == [None, "c1", "c1", "c1", "c2"]


@pytest.mark.anyio
@pytest.mark.parametrize(
    "garbled",
    [{"message": "ok"}, {"data": None}, {"data": ["8156"]}, {"data": [], "next_after": 7}],
    ids=["no-data", "data-null", "data-not-objects", "cursor-not-string"],
)
async def test_a_page_without_a_data_list_is_treated_as_transient(garbled: Any) -> None:
    feed = Feed(THREE_PAGES, httpx.Response(200, json=garbled))
    async with client(feed) as source:
        pages = await collect(source)
    assert len(pages) == 3
    assert len(feed.requests) == 4


@pytest.mark.anyio
async def test_a_cursor_that_does_not_advance_ends_in_an_error_not_a_loop() -> None:
    stuck = {None: {"data": [], "next_after": "c1"}, "c1": {"data": [], "next_after": "c1"}}
    feed = Feed(stuck)
    async with client(feed) as source:
        with pytest.raises(TransientError, match="repeats the cursor"):
            await collect(source)
    assert len(feed.requests) == 1 + FAST.max_attempts


@pytest.mark.anyio
async def test_a_wrong_key_is_an_auth_error_naming_the_setting_and_not_retried() -> None:
    feed = Feed(THREE_PAGES, httpx.Response(401, json={"message": "API key tidak valid"}))
    async with client(feed) as source:
        with pytest.raises(AuthError) as caught:
            await collect(source)
    assert len(feed.requests) == 1
    assert "SINKRON_EPROGRAM_API_KEY" in str(caught.value)
    assert "GET /api/v1/sub-kegiatan?tahun_anggaran=2026&tahap=renja" in str(caught.value)


@pytest.mark.anyio
async def test_a_bad_parameter_is_a_permanent_error_with_the_servers_message() -> None:
    feed = Feed(THREE_PAGES, httpx.Response(400, json={"message": "tahap tidak dikenal: rkpdx"}))
    async with client(feed) as source:
        with pytest.raises(PermanentError, match="tahap tidak dikenal"):
            await collect(source, tahap="rkpdx")
    assert len(feed.requests) == 1


@pytest.mark.anyio
async def test_retries_are_reported_to_the_on_retry_hook() -> None:
    seen: list[tuple[int | None, int]] = []
    feed = Feed(THREE_PAGES, httpx.Response(429, headers={"Retry-After": "0"}))
    async with client(feed, on_retry=lambda e, n: seen.append((e.status_code, n))) as source:
        await collect(source)
    assert seen == [(429, 1)]


@pytest.mark.anyio
async def test_leaving_the_context_closes_the_connection_pool() -> None:
    feed = Feed(THREE_PAGES)
    async with client(feed) as source:
        pass
    with pytest.raises(RuntimeError):
        await collect(source)
