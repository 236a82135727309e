"""E-Planning API client (the target): current state, pushes with idempotency keys, OPD list.

The operations and results are in `connectors.operations` (re-exported here).
Because every operation carries its idempotency key, a whole batch can be
sent again after a transient failure without applying anything twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx

from connectors.http import ApiClient, OnRetry, RetryPolicy, Sleep, TransientError, build_client
from connectors.operations import RECORDS_PATH, Operation, OperationResult
from connectors.paging import CursorPaginator, listing_problem
from connectors.retry import retrying

__all__ = ["EPlanningClient", "Operation", "OperationResult", "PartialBatchError"]

BATCH_PATH = f"{RECORDS_PATH}/batch"
PERANGKAT_DAERAH_PATH = "/api/v1/referensi/perangkat-daerah"
MAX_LIMIT = 1000
CREDENTIAL_HINT = "SINKRON_EPLANNING_TOKEN"


class PartialBatchError(TransientError):
    """A batch chunk failed for good; `results` answers the operations before it, in order.

    The operations from ``len(results)`` on may or may not have been applied;
    sending them again with the same keys is safe.
    """

    def __init__(self, cause: TransientError, results: list[OperationResult]) -> None:
        super().__init__(
            f"{cause.reason} (after {len(results)} operations were answered)",
            request=cause.request,
            status_code=cause.status_code,
            retry_after=cause.retry_after,
        )
        self.results = results


class EPlanningClient(ApiClient):
    """Reads and writes E-Planning with a bearer token; use as ``async with EPlanningClient()``."""

    BATCH_LIMIT = 200

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        policy: RetryPolicy = RetryPolicy(),  # noqa: B008 - frozen, so sharing is safe
        timeout: float = 60.0,
        transport: httpx.AsyncBaseTransport | None = None,
        on_retry: OnRetry | None = None,
        sleep: Sleep | None = None,
        credential_hint: str = CREDENTIAL_HINT,
        requests_per_second: float | None = None,
        batches_in_flight: int = 1,
        batch_size: int = BATCH_LIMIT,
    ) -> None:
        self.batches_in_flight = max(1, batches_in_flight)
        self.batch_size = max(1, min(batch_size, self.BATCH_LIMIT))
        client = build_client(
            base_url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
            transport=transport,
        )
        super().__init__(
            client,
            policy=policy,
            credential_hint=credential_hint,
            on_retry=on_retry,
            sleep=sleep,
            requests_per_second=requests_per_second,
        )

    def current_pages(
        self,
        *,
        tahun_anggaran: int,
        tahap: str,
        kode_skpd: str | None = None,
        limit: int = 1000,
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Yield the stored records (inactive included), one page per request, in key order."""
        if not 1 <= limit <= MAX_LIMIT:
            raise ValueError(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
        query: dict[str, str | int | None] = {
            "tahun_anggaran": tahun_anggaran,
            "tahap": tahap,
            "kode_skpd": kode_skpd,
            "limit": limit,
        }
        return self._current_pages(query)

    async def _current_pages(
        self, query: dict[str, str | int | None]
    ) -> AsyncIterator[list[dict[str, Any]]]:
        paginator = CursorPaginator(
            items_field="items", cursor_param="cursor", next_field="next_cursor"
        )
        while paginator.has_next:
            params = dict(query)
            paginator.update_params(params)
            _, body, _ = await self._call(
                "GET", RECORDS_PATH, params=params, check=lambda _s, body: paginator.problem(body)
            )
            paginator.update_state(body)
            yield paginator.items(body)

    async def batch(self, operations: Sequence[Operation]) -> list[OperationResult]:
        """Apply `operations` in chunks of `batch_size` (at most 200); one result per
        operation, in order.

        Whole-request failures are retried by the policy. Items answered 429,
        5xx or ``sedang_diproses`` are sent again (same keys) under the same
        policy; if they still are when it runs out, they come back as results
        whose `retryable` is true.
        """
        chunks = [
            operations[start : start + self.batch_size]
            for start in range(0, len(operations), self.batch_size)
        ]
        # Several chunks in flight at once: the pacer still spaces every request
        # within the rate budget, and E-Planning applies each item on its own.
        gate = asyncio.Semaphore(self.batches_in_flight)

        async def send(chunk: Sequence[Operation]) -> list[OperationResult]:
            async with gate:
                return await self._batch_chunk(chunk)

        answers = await asyncio.gather(*(send(c) for c in chunks), return_exceptions=True)
        results: list[OperationResult] = []
        for answer in answers:
            if isinstance(answer, TransientError):
                # The chunks before this one were applied: hand their results back
                # (a later chunk that was applied too is replayed by its keys).
                raise PartialBatchError(answer, results) from answer
            if isinstance(answer, BaseException):
                raise answer
            results.extend(answer)
        return results

    async def _batch_chunk(self, chunk: Sequence[Operation]) -> list[OperationResult]:
        """Send `chunk`, then again (same keys) the items answered 429, 5xx or
        ``sedang_diproses``, under the policy that governs whole requests."""
        results: dict[int, OperationResult] = {}
        pending = list(range(len(chunk)))

        async def send_pending() -> list[int]:
            nonlocal pending
            answers = await self._post_batch([chunk[i] for i in pending])
            results.update(zip(pending, answers, strict=True))
            pending = [i for i in pending if results[i].retryable]
            return pending

        def unfinished(still: list[int]) -> TransientError | None:
            if not still:
                return None
            statuses = sorted({results[i].status for i in still})
            return TransientError(
                f"{len(still)} operations answered {statuses}; sending them again",
                request=f"POST {BATCH_PATH}",
                status_code=statuses[-1],
            )

        loop = retrying(
            self._policy, on_retry=self._on_retry, sleep=self._sleep, unfinished=unfinished
        )
        try:
            await loop(send_pending)
        except TransientError:
            if not results:
                raise  # the chunk got no answer at all, after the request's own retries
            # A resend got no answer: keep the answers we have; the pending ones stay `retryable`.
        return [results[i] for i in range(len(chunk))]

    async def _post_batch(self, chunk: Sequence[Operation]) -> list[OperationResult]:
        def problem(_status: int, body: Any) -> str | None:
            # A short or garbled results list cannot be matched to the operations;
            # resending is safe because every operation carries its key.
            listed = listing_problem(body, "results")
            if listed is not None:
                return listed
            if len(body["results"]) != len(chunk):
                return f"{len(body['results'])} results for {len(chunk)} operations"
            if not all(isinstance(item.get("status"), int) for item in body["results"]):
                return "a result has no integer status"
            return None

        _, body, _ = await self._call(
            "POST", BATCH_PATH, json={"operations": [op.to_json() for op in chunk]}, check=problem
        )
        return [OperationResult.from_item(item) for item in body["results"]]

    async def perangkat_daerah(self, *, tahun_anggaran: int) -> list[dict[str, Any]]:
        """The OPD and sub-units E-Planning knows: ``[{"kode", "nama", "kode_induk"}, ...]``."""
        _, body, _ = await self._call(
            "GET",
            PERANGKAT_DAERAH_PATH,
            params={"tahun_anggaran": tahun_anggaran},
            check=lambda _s, body: listing_problem(body, "items"),
        )
        items: list[dict[str, Any]] = body["items"]
        return items
