"""connectors.eplanning: pushes land once, in order, with their keys; one answer per record."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from connectors.eplanning import EPlanningClient, Operation, OperationResult, PartialBatchError
from connectors.http import AuthError, PermanentError, RetryPolicy, TransientError
from connectors.operations import KEY_FIELDS

FAST = RetryPolicy(max_attempts=3, initial_wait=0.001, max_wait=0.002)
BASE = "https://eplanning.test"

Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Recorder:
    """A MockTransport handler that records requests and delegates to `answer`."""

    def __init__(self, answer: Handler) -> None:
        self.answer = answer
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.answer(request)

    def batches(self) -> list[list[dict[str, Any]]]:
        return [json.loads(r.content)["operations"] for r in self.requests]


def target(answer: Handler, **kwargs: Any) -> tuple[EPlanningClient, Recorder]:
    recorder = Recorder(answer)

    async def no_sleep(_seconds: float) -> None:
        return None

    kwargs.setdefault("policy", FAST)
    client = EPlanningClient(
        BASE, "tok3n", transport=httpx.MockTransport(recorder), sleep=no_sleep, **kwargs
    )
    return client, recorder


def stored(kode_sub_kegiatan: str, versi: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "tahun_anggaran": 2026,
        "tahap": "renja",
        "kode_sub_skpd": "1.02.0.00.0.00.01.0000",
        "kode_sub_kegiatan": kode_sub_kegiatan,
        "pagu": "296187500.00",
        "versi": versi,
        **extra,
    }


def put(n: int, *, if_match: int | None = None) -> Operation:
    record = stored(f"1.02.02.2.01.{n:04d}")
    del record["versi"]
    key = {name: record[name] for name in KEY_FIELDS}
    return Operation("put", f"key-{n}", key, record, if_match)


def created_for_each(request: httpx.Request) -> httpx.Response:
    """Answers every batch operation 201, echoing its key so order can be checked."""
    ops = json.loads(request.content)["operations"]
    results = [
        {"status": 201, "record": {**op["record"], "key": op["idempotency_key"]}} for op in ops
    ]
    return httpx.Response(200, json={"results": results})


# --- batch -------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_batch_splits_450_operations_into_200_200_50_keeping_order() -> None:
    client, server = target(created_for_each)
    operations = [put(n) for n in range(450)]
    async with client:
        results = await client.batch(operations)
    assert [len(b) for b in server.batches()] == [200, 200, 50]
    sent = [op["idempotency_key"] for batch in server.batches() for op in batch]
    assert sent == [op.idempotency_key for op in operations]
    assert [r.record["key"] for r in results if r.record] == sent
    assert all(r.status == 201 for r in results)
    assert server.requests[0].url.path == "/api/v1/renja-sub-kegiatan/batch"
    assert server.requests[0].headers["Authorization"] == "Bearer tok3n"


@pytest.mark.anyio
async def test_batch_returns_each_operations_own_answer() -> None:
    person_edit = stored("1.02.02.2.01.0003", versi=5, diperbarui_oleh="budi.bappeda")
    answers = [
        {"status": 201, "record": stored("1.02.02.2.01.0001")},
        {"status": 200, "record": stored("1.02.02.2.01.0002", versi=4, berubah=False)},
        {
            "status": 409,
            "errors": [{"field": None, "code": "versi_berubah", "message": "versi berubah"}],
            "current": person_edit,
        },
        {
            "status": 422,
            "errors": [
                {"field": "kode_sub_kegiatan", "code": "tidak_ada_di_nomenklatur", "message": "-"},
                {"field": "pagu", "code": "negatif", "message": "pagu tidak boleh negatif"},
            ],
        },
    ]
    client, _ = target(lambda _r: httpx.Response(200, json={"results": answers}))
    async with client:
        created, unchanged, conflict, rejected = await client.batch([put(n) for n in (1, 2, 3, 4)])
    assert created.status == 201 and created.record is not None and created.errors == []
    assert unchanged.status == 200 and unchanged.berubah is False
    assert conflict.error_codes == ["versi_berubah"] and conflict.current == person_edit
    assert rejected.error_codes == ["tidak_ada_di_nomenklatur", "negatif"]
    assert rejected.record is None
    assert not any(r.retryable for r in (created, unchanged, conflict, rejected))


@pytest.mark.anyio
async def test_a_failed_batch_is_resent_whole_with_the_same_keys() -> None:
    answers: list[Handler] = [lambda _r: httpx.Response(502), created_for_each]
    client, server = target(lambda r: answers.pop(0)(r) if len(answers) > 1 else answers[0](r))
    async with client:
        results = await client.batch([put(1, if_match=3), put(2)])
    first, second = server.batches()
    assert first == second
    assert first[0] == {
        "op": "put",
        "idempotency_key": "key-1",
        "if_match": 3,
        "record": put(1).record,
    }
    assert [r.status for r in results] == [201, 201]


@pytest.mark.anyio
async def test_a_results_list_of_the_wrong_length_is_transient() -> None:
    client, server = target(
        lambda _r: httpx.Response(200, json={"results": [{"status": 201, "record": {}}]})
    )
    async with client:
        with pytest.raises(TransientError, match="1 results for 2 operations"):
            await client.batch([put(1), put(2)])
    assert len(server.requests) == FAST.max_attempts


@pytest.mark.anyio
async def test_items_still_being_processed_are_sent_again_alone() -> None:
    busy = {"status": 409, "errors": [{"field": None, "code": "sedang_diproses", "message": "-"}]}

    def answer(request: httpx.Request) -> httpx.Response:
        ops = json.loads(request.content)["operations"]
        first_time = len(server.requests) == 1
        results = [
            busy if first_time and op["idempotency_key"] == "key-2" else {"status": 201}
            for op in ops
        ]
        return httpx.Response(200, json={"results": results})

    retries: list[int] = []
    client, server = target(answer, on_retry=lambda _e, n: retries.append(n))
    async with client:
        results = await client.batch([put(1), put(2), put(3)])
    assert [r.status for r in results] == [201, 201, 201]
    assert [[op["idempotency_key"] for op in b] for b in server.batches()] == [
        ["key-1", "key-2", "key-3"],
        ["key-2"],
    ]
    assert retries == [1]


@pytest.mark.anyio
async def test_items_that_stay_busy_come_back_retryable_after_the_policy_runs_out() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        ops = json.loads(request.content)["operations"]
        return httpx.Response(200, json={"results": [{"status": 503} for _ in ops]})

    client, server = target(answer)
    async with client:
        (result,) = await client.batch([put(1)])
    assert result.status == 503 and result.retryable
    assert len(server.requests) == FAST.max_attempts


@pytest.mark.anyio
async def test_a_resend_that_gets_no_answer_keeps_the_answers_already_given() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if len(server.requests) > 1:
            return httpx.Response(502)
        results = [{"status": 201}, {"status": 503}]
        return httpx.Response(200, json={"results": results})

    retries: list[tuple[int | None, int]] = []
    client, server = target(answer, on_retry=lambda e, n: retries.append((e.status_code, n)))
    async with client:
        created, busy = await client.batch([put(1), put(2)])
    assert (created.status, busy.status, busy.retryable) == (201, 503, True)
    # one resend of the busy item, itself retried by the request's own policy
    assert len(server.requests) == 1 + FAST.max_attempts
    assert retries[0] == (503, 1)


@pytest.mark.anyio
async def test_when_a_later_chunk_fails_the_earlier_answers_are_not_lost() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return created_for_each(request) if len(server.requests) == 1 else httpx.Response(504)

    client, server = target(answer)
    async with client:
        with pytest.raises(PartialBatchError) as caught:
            await client.batch([put(n) for n in range(250)])
    assert len(caught.value.results) == 200
    assert caught.value.status_code == 504
    assert len(server.requests) == 1 + FAST.max_attempts


@pytest.mark.anyio
async def test_a_rejected_batch_request_is_not_retried() -> None:
    client, server = target(
        lambda _r: httpx.Response(400, json={"errors": [{"field": None, "code": "terlalu_banyak"}]})
    )
    async with client:
        with pytest.raises(PermanentError, match="terlalu_banyak"):
            await client.batch([put(1)])
    assert len(server.requests) == 1


@pytest.mark.anyio
async def test_an_empty_batch_sends_nothing() -> None:
    client, server = target(created_for_each)
    async with client:
        assert await client.batch([]) == []
    assert server.requests == []


# --- failures -------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_a_bad_token_names_the_setting_to_check() -> None:
    client, server = target(lambda _r: httpx.Response(401, json={"errors": []}))
    async with client:
        with pytest.raises(AuthError, match="SINKRON_EPLANNING_TOKEN"):
            await client.batch([put(1)])
    assert len(server.requests) == 1


# --- reading -----------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_current_pages_follow_next_cursor() -> None:
    pages = {
        None: {"items": [stored("a"), stored("b")], "next_cursor": "n1"},
        "n1": {"items": [stored("c")], "next_cursor": None},
    }
    client, server = target(lambda r: httpx.Response(200, json=pages[r.url.params.get("cursor")]))
    async with client:
        got = [
            page
            async for page in client.current_pages(
                tahun_anggaran=2026, tahap="renja", kode_skpd="1.02.0.00.0.00.01.0000"
            )
        ]
    assert [[r["kode_sub_kegiatan"] for r in page] for page in got] == [["a", "b"], ["c"]]
    assert dict(server.requests[0].url.params) == {
        "tahun_anggaran": "2026",
        "tahap": "renja",
        "kode_skpd": "1.02.0.00.0.00.01.0000",
        "limit": "1000",
    }
    assert server.requests[1].url.params["cursor"] == "n1"


@pytest.mark.anyio
async def test_current_pages_refuse_a_limit_over_1000() -> None:
    client, server = target(created_for_each)
    async with client:
        with pytest.raises(ValueError):
            client.current_pages(tahun_anggaran=2026, tahap="renja", limit=5000)
    assert server.requests == []


@pytest.mark.anyio
async def test_the_opd_list() -> None:
    client, server = target(
        lambda _r: httpx.Response(
            200, json={"items": [{"kode": "1.02.0.00.0.00.01.0000", "kode_induk": None}]}
        )
    )
    async with client:
        opd = await client.perangkat_daerah(tahun_anggaran=2026)
    assert opd[0]["kode"] == "1.02.0.00.0.00.01.0000"
    assert [r.url.path for r in server.requests] == ["/api/v1/referensi/perangkat-daerah"]
    assert server.requests[0].url.params["tahun_anggaran"] == "2026"


# --- operations as data ------------------------------------------------------------------------


def test_delete_operation_json_carries_the_key() -> None:
    op = Operation("delete", "del-1", put(1).key, if_match=4)
    assert op.to_json() == {
        "op": "delete",
        "idempotency_key": "del-1",
        "if_match": 4,
        "key": put(1).key,
    }


def test_operations_refuse_what_e_planning_would_refuse() -> None:
    record = put(1).record
    assert record is not None
    with pytest.raises(ValueError, match="idempotency_key"):
        Operation("put", "k" * 256, put(1).key, record)
    with pytest.raises(ValueError, match="differ"):
        Operation("put", "k", {**put(1).key, "kode_sub_kegiatan": "1.02.02.2.01.0099"}, record)
    with pytest.raises(ValueError, match="needs a record"):
        Operation("put", "k", put(1).key)
    with pytest.raises(ValueError, match="kode_sub_skpd"):
        Operation(
            "delete", "k", {"tahun_anggaran": 2026, "tahap": "renja", "kode_sub_kegiatan": "x"}
        )


def test_result_from_a_garbled_item_keeps_what_it_can() -> None:
    result = OperationResult.from_item(
        {"status": 422, "errors": ["not an object", {"code": "wajib"}]}
    )
    assert result.error_codes == ["wajib"]
    assert result.record is None and result.current is None
