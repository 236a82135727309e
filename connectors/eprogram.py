"""E-Program API client (the source): the sub kegiatan feed, raw JSON out.

Records are returned exactly as received; making sense of their strings is
the job of `mappings/`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx

from connectors.http import ApiClient, OnRetry, RetryPolicy, Sleep, build_client
from connectors.paging import CursorPaginator

SUB_KEGIATAN_PATH = "/api/v1/sub-kegiatan"
MAX_LIMIT = 1000
CREDENTIAL_HINT = "SINKRON_EPROGRAM_API_KEY"


@dataclass(frozen=True)
class Page:
    """One page of the sub kegiatan feed.

    `next_after` is the cursor of the next page (None on the last page): a
    caller checkpoints it once the page's records are stored.
    """

    records: list[dict[str, Any]]
    next_after: str | None


class EProgramClient(ApiClient):
    """Reads E-Program with header ``X-API-Key``; use as ``async with EProgramClient(...)``."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        policy: RetryPolicy = RetryPolicy(),  # noqa: B008 - frozen, so sharing is safe
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        on_retry: OnRetry | None = None,
        sleep: Sleep | None = None,
        credential_hint: str = CREDENTIAL_HINT,
        requests_per_second: float | None = None,
    ) -> None:
        client = build_client(
            base_url, headers={"X-API-Key": api_key}, timeout=timeout, transport=transport
        )
        super().__init__(
            client,
            policy=policy,
            credential_hint=credential_hint,
            on_retry=on_retry,
            sleep=sleep,
            requests_per_second=requests_per_second,
        )

    def pages(
        self,
        *,
        tahun_anggaran: int,
        tahap: str,
        updated_since: str | None = None,
        after: str | None = None,
        limit: int = 500,
    ) -> AsyncIterator[Page]:
        """Yield the feed one page per request, following ``next_after`` until it is null.

        `updated_since` is inclusive (same format as ``update_at``); `after`
        resumes from a checkpointed cursor. Pages are fetched lazily, so a
        caller that stops early sends no further requests.
        """
        # Checked here, not in the generator, so the mistake surfaces at the call.
        if not 1 <= limit <= MAX_LIMIT:
            raise ValueError(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
        query: dict[str, str | int | None] = {
            "tahun_anggaran": tahun_anggaran,
            "tahap": tahap,
            "updated_since": updated_since,
            "limit": limit,
        }
        return self._pages(query, after)

    async def _pages(
        self, query: dict[str, str | int | None], after: str | None
    ) -> AsyncIterator[Page]:
        paginator = CursorPaginator(
            items_field="data", cursor_param="after", next_field="next_after", cursor=after
        )
        while paginator.has_next:
            params = dict(query)
            paginator.update_params(params)
            _, body, _ = await self._call(
                "GET",
                SUB_KEGIATAN_PATH,
                params=params,
                check=lambda _status, body: paginator.problem(body),
            )
            paginator.update_state(body)
            yield Page(records=paginator.items(body), next_after=paginator.cursor)
