"""connectors.http / retry / errors: what is retried, how long it waits, what callers see."""

from __future__ import annotations

import json
import random
import ssl
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from connectors.http import (
    USER_AGENT,
    AuthError,
    ConnectorError,
    PermanentError,
    RetryPolicy,
    TransientError,
    build_client,
    classify,
    default_ssl_context,
    send_json,
)
from connectors.retry import parse_retry_after

FAST = RetryPolicy(max_attempts=4, initial_wait=0.001, max_wait=0.004, max_retry_after=60.0)
URL = "/api/v1/sub-kegiatan"
PARAMS = {"tahun_anggaran": 2026, "tahap": "renja"}
DESC = "GET /api/v1/sub-kegiatan?tahun_anggaran=2026&tahap=renja"

Answer = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Server:
    """A MockTransport handler answering from a script; the last answer repeats."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, httpx.Response):
            return answer
        return answer(request)


class Sleeps:
    """Stands in for the sleep: records the waits, so tests run fast and can assert them."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def ok(body: Any = None) -> httpx.Response:
    return httpx.Response(200, json={"data": []} if body is None else body)


def raw(status: int, content: bytes, content_type: str, **headers: str) -> httpx.Response:
    return httpx.Response(
        status, content=content, headers={"Content-Type": content_type, **headers}
    )


async def call(server: Server, *, policy: RetryPolicy = FAST, **kwargs: Any) -> Any:
    sleeps = kwargs.pop("sleeps", None) or Sleeps()
    kwargs.setdefault("params", PARAMS)
    async with build_client(
        "https://eprogram.test", headers={}, transport=httpx.MockTransport(server)
    ) as client:
        return await send_json(client, "GET", URL, policy=policy, sleep=sleeps, **kwargs)


# --- which failures are retried -------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("status", [500, 502, 503, 504, 507])
async def test_5xx_is_retried_until_success(status: int) -> None:
    server = Server(httpx.Response(status, text="oops"), httpx.Response(status), ok({"data": [1]}))
    status, body, _ = await call(server)
    assert (status, body) == (200, {"data": [1]})
    assert len(server.requests) == 3


@pytest.mark.anyio
@pytest.mark.parametrize(
    "bad_ok",
    [
        raw(200, b"<html><body>502 Bad Gateway</body></html>", "text/html; charset=utf-8"),
        raw(200, b'{"data": [{"id": "8156", "kode', "application/json"),
        raw(200, b"", "application/json"),
    ],
    ids=["html-page", "truncated-json", "empty-body"],
)
async def test_unusable_200_is_retried(bad_ok: httpx.Response) -> None:
    server = Server(bad_ok, ok({"data": ["fine"]}))
    status, body, _ = await call(server)
    assert (status, body) == (200, {"data": ["fine"]})
    assert len(server.requests) == 2


@pytest.mark.anyio
async def test_a_proxy_error_page_is_reported_as_such() -> None:
    server = Server(raw(200, b"<html>Bad Gateway</html>", "text/html"))
    with pytest.raises(TransientError, match="HTML page instead of JSON"):
        await call(server)
    assert len(server.requests) == FAST.max_attempts


@pytest.mark.anyio
@pytest.mark.parametrize(
    "failure",
    [
        lambda r: httpx.ConnectError("connection refused", request=r),
        lambda r: httpx.ReadTimeout("", request=r),
        lambda r: httpx.RemoteProtocolError("peer closed connection without response", request=r),
        lambda r: httpx.ReadError("connection reset by peer", request=r),
    ],
    ids=["connect-error", "read-timeout", "dropped-connection", "reset"],
)
async def test_transport_failures_are_retried(
    failure: Callable[[httpx.Request], Exception],
) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise failure(request)

    server = Server(fail, ok())
    status, _, _ = await call(server)
    assert status == 200
    assert len(server.requests) == 2


@pytest.mark.anyio
@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
async def test_4xx_is_never_retried_and_names_the_request(status: int) -> None:
    server = Server(httpx.Response(status, json={"message": "tahap tidak dikenal"}))
    with pytest.raises(PermanentError) as caught:
        await call(server)
    assert len(server.requests) == 1
    assert caught.value.status_code == status
    assert caught.value.request == DESC
    assert DESC in str(caught.value)
    assert "tahap tidak dikenal" in str(caught.value)


@pytest.mark.anyio
async def test_401_tells_the_admin_which_setting_to_check() -> None:
    server = Server(httpx.Response(401, json={"message": "invalid api key"}))
    with pytest.raises(AuthError) as caught:
        await call(server, credential_hint="SINKRON_EPROGRAM_API_KEY")
    assert len(server.requests) == 1
    assert "SINKRON_EPROGRAM_API_KEY" in str(caught.value)
    assert caught.value.detail == {"message": "invalid api key"}


@pytest.mark.anyio
async def test_a_malformed_request_of_our_own_is_not_retried() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.LocalProtocolError("illegal header value")

    server = Server(refuse)
    with pytest.raises(ConnectorError) as caught:
        await call(server)
    assert not isinstance(caught.value, TransientError)
    assert len(server.requests) == 1


# --- bounded and polite ------------------------------------------------------------------------


@pytest.mark.anyio
async def test_retries_are_bounded_and_the_last_transient_error_is_raised() -> None:
    server = Server(httpx.Response(503))
    retries: list[tuple[int | None, int]] = []
    with pytest.raises(TransientError) as caught:
        await call(server, on_retry=lambda err, attempt: retries.append((err.status_code, attempt)))
    assert len(server.requests) == FAST.max_attempts
    assert caught.value.status_code == 503
    assert caught.value.request == DESC
    # One report per sleep: none after the last attempt.
    assert retries == [(503, 1), (503, 2), (503, 3)]


@pytest.mark.anyio
async def test_429_waits_as_long_as_retry_after_says() -> None:
    sleeps = Sleeps()
    server = Server(httpx.Response(429, headers={"Retry-After": "7"}), ok())
    status, _, _ = await call(server, sleeps=sleeps)
    assert status == 200
    assert sleeps.waits == [7.0]


@pytest.mark.anyio
async def test_retry_after_as_http_date_is_honoured() -> None:
    sleeps = Sleeps()
    later = datetime.now(UTC).timestamp() + 30
    date = datetime.fromtimestamp(later, UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")
    server = Server(httpx.Response(503, headers={"Retry-After": date}), ok())
    await call(server, sleeps=sleeps)
    assert 25 <= sleeps.waits[0] <= 30


@pytest.mark.anyio
async def test_retry_after_is_capped_by_the_policy() -> None:
    sleeps = Sleeps()
    server = Server(httpx.Response(429, headers={"Retry-After": "86400"}), ok())
    await call(server, sleeps=sleeps)
    assert sleeps.waits == [FAST.max_retry_after]


@pytest.mark.anyio
async def test_without_retry_after_the_waits_are_jittered_within_the_growing_cap() -> None:
    sleeps = Sleeps()
    server = Server(httpx.Response(502))
    with pytest.raises(TransientError):
        await call(server, sleeps=sleeps)
    assert len(sleeps.waits) == FAST.max_attempts - 1
    for attempt, wait in enumerate(sleeps.waits, start=1):
        assert 0 <= wait <= FAST.backoff_cap(attempt)


def test_full_jitter_stays_within_zero_and_the_cap() -> None:
    policy = RetryPolicy(initial_wait=0.5, max_wait=30.0)
    rng = random.Random(2026)
    assert [policy.backoff_cap(n) for n in range(1, 9)] == [0.5, 1, 2, 4, 8, 16, 30, 30]
    for attempt in range(1, 12):
        waits = [policy.wait_before_retry(attempt, rng=rng) for _ in range(500)]
        cap = policy.backoff_cap(attempt)
        assert all(0 <= w <= cap for w in waits)
        # Full jitter uses the whole range, not just its top.
        assert min(waits) < cap * 0.1 and max(waits) > cap * 0.9
    assert policy.backoff_cap(10_000) == 30.0  # no overflow on absurd attempt numbers


def test_retry_after_sets_a_floor_and_max_retry_after_a_ceiling() -> None:
    policy = RetryPolicy(initial_wait=0.5, max_wait=30.0, max_retry_after=120.0)
    rng = random.Random(1)
    assert all(policy.wait_before_retry(1, 3.0, rng=rng) == 3.0 for _ in range(100))
    assert all(3.0 <= policy.wait_before_retry(6, 3.0, rng=rng) <= 16.0 for _ in range(100))
    assert policy.wait_before_retry(1, 3600.0, rng=rng) == 120.0


def test_policy_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(initial_wait=-1)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 2.5 ", 2.5),
        ("-3", 0.0),
        ("Wed, 21 Oct 2026 07:28:00 GMT", 60.0),
        ("Wed, 21 Oct 2026 07:26:00 GMT", 0.0),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(header: str | None, seconds: float | None) -> None:
    now = datetime(2026, 10, 21, 7, 27, tzinfo=UTC)
    assert parse_retry_after(header, now=now) == seconds


# --- what callers get back ---------------------------------------------------------------------


@pytest.mark.anyio
async def test_expected_statuses_come_back_as_data() -> None:
    errors = {
        "errors": [{"field": "pagu", "code": "negatif", "message": "pagu tidak boleh negatif"}]
    }
    server = Server(httpx.Response(422, json=errors))
    status, body, _ = await call(server, expect=(200, 201, 409, 422))
    assert (status, body) == (422, errors)
    assert len(server.requests) == 1


@pytest.mark.anyio
async def test_an_expected_404_that_is_an_html_page_is_still_an_error() -> None:
    server = Server(raw(404, b"<html>Not Found</html>", "text/html"))
    with pytest.raises(PermanentError) as caught:
        await call(server, expect=(200, 404))
    assert caught.value.detail is None
    assert caught.value.body == "<html>Not Found</html>"


@pytest.mark.anyio
async def test_a_2xx_outside_expect_is_not_taken_for_data() -> None:
    server = Server(httpx.Response(202, json={"queued": True}))
    with pytest.raises(PermanentError, match="unexpected HTTP 202"):
        await call(server, expect=(200,))


@pytest.mark.anyio
async def test_a_body_check_failure_is_retried() -> None:
    server = Server(ok({"rows": []}), ok({"data": [{"id": "1"}]}))

    def check(_status: int, body: Any) -> str | None:
        return None if "data" in body else "no data list"

    _, body, _ = await call(server, check=check)
    assert body == {"data": [{"id": "1"}]}
    assert len(server.requests) == 2


@pytest.mark.anyio
async def test_none_params_are_left_out_and_the_user_agent_is_ours() -> None:
    server = Server(ok())
    await call(server, params={"tahun_anggaran": 2026, "updated_since": None})
    request = server.requests[0]
    assert request.url.params.get("updated_since") is None
    assert request.url.params["tahun_anggaran"] == "2026"
    assert request.headers["User-Agent"] == USER_AGENT


def test_classify_error_keeps_the_first_500_characters_and_parsed_detail() -> None:
    detail = {"errors": [{"field": None, "code": "x" * 900, "message": "m"}]}
    response = httpx.Response(400, json=detail)
    with pytest.raises(PermanentError) as caught:
        classify(response, "POST /api/v1/renja-sub-kegiatan/batch")
    assert len(caught.value.body) == 500
    assert caught.value.detail == detail
    assert json.loads(response.text) == detail


def test_classify_returns_none_for_204_and_reads_retry_after_on_503() -> None:
    assert classify(httpx.Response(204), "DELETE /x") is None
    with pytest.raises(TransientError) as caught:
        classify(httpx.Response(503, headers={"Retry-After": "4"}), "GET /x")
    assert caught.value.retry_after == 4.0
    assert caught.value.status_code == 503


def test_clients_share_one_tls_context_that_still_checks_certificates() -> None:
    context = default_ssl_context()

    assert default_ssl_context() is context  # the CA bundle is read once per process
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname
    assert context.cert_store_stats()["x509_ca"] > 0  # a CA bundle was loaded
