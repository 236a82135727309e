"""HTTP plumbing shared by both connectors: client factory, response classification, retries.

`classify` decides what a response means (data, transient, permanent) and
`send_json` sends one request under a `RetryPolicy`. The error classes and
the policy live in `connectors.errors` and `connectors.retry`, and are
re-exported here so callers need one import.
"""

from __future__ import annotations

import json as jsonlib
import ssl
from collections.abc import Callable, Collection, Mapping
from functools import cache
from types import TracebackType
from typing import Any, Self

import httpx

from connectors.errors import AuthError, ConnectorError, PermanentError, TransientError
from connectors.pacing import Pacer
from connectors.retry import OnRetry, RetryPolicy, Sleep, parse_retry_after, retrying
from mappings import json_text

__all__ = [
    "USER_AGENT",
    "ApiClient",
    "AuthError",
    "BodyCheck",
    "ConnectorError",
    "OnRetry",
    "Pacer",
    "Params",
    "PermanentError",
    "RetryPolicy",
    "Sleep",
    "TransientError",
    "build_client",
    "classify",
    "default_ssl_context",
    "describe",
    "send_json",
]

USER_AGENT = "sinkron/0.1"
_BODY_LIMIT = 500
_SUMMARY_LIMIT = 200

Params = Mapping[str, str | int | None]
"""Query parameters; None values are left out, so optional filters can be passed as they are."""

BodyCheck = Callable[[int, Any], str | None]
"""Inspects a parsed body; returns what is wrong with it, or None when it is usable."""


@cache
def default_ssl_context() -> ssl.SSLContext:
    """httpx's default TLS settings (certifi's CAs, or SSL_CERT_FILE / SSL_CERT_DIR),
    made once per process.

    Loading the CA bundle takes ~50 ms of CPU, and httpx does it for every client;
    a run builds a client per API, so every run, status check and test paid it
    again. An SSLContext is meant to be shared by the connections that use it.
    """
    return httpx.create_ssl_context()


def build_client(
    base_url: str,
    *,
    headers: Mapping[str, str],
    timeout: float = 30.0,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """An `httpx.AsyncClient` for one API: base URL, auth headers, timeout, our User-Agent."""
    return httpx.AsyncClient(
        base_url=base_url,
        headers={"Accept": "application/json", **headers, "User-Agent": USER_AGENT},
        timeout=timeout,
        transport=transport,
        verify=default_ssl_context(),
    )


def describe(request: httpx.Request) -> str:
    """``METHOD /path?query`` without the host, for error messages and logs."""
    return f"{request.method} {request.url.raw_path.decode('ascii')}"


def classify(
    response: httpx.Response,
    request_desc: str,
    *,
    expect: Collection[int] | None = None,
    credential_hint: str = "API credential",
) -> Any:
    """The parsed JSON body of a usable response; otherwise raise what the response means.

    Transient: 429, any 5xx, and a 2xx that is an HTML page or not valid JSON
    (a proxy's error page, a body cut short). Permanent: any other status;
    401/403 as `AuthError`. `expect` lists the statuses that are data (e.g.
    a 409 or 422 the caller handles); None means "any 2xx".
    """
    status = response.status_code
    if status == 429 or status >= 500:
        raise TransientError(
            f"HTTP {status} {response.reason_phrase}".rstrip(),
            request=request_desc,
            status_code=status,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )
    is_2xx = 200 <= status < 300
    wanted = is_2xx if expect is None else status in expect
    if is_2xx and wanted:
        return _success_body(response, request_desc)
    try:
        detail = _json_body(response)
    except ValueError:
        detail = None
    else:
        # An expected 404/409/422 is data only when it is the API's JSON answer;
        # an HTML 404 means a wrong base URL, not "no such record".
        if wanted:
            return detail
    body = response.text[:_BODY_LIMIT]
    # A 2xx outside `expect` (a 202 "accepted for later") is a protocol surprise, not data.
    prefix = "unexpected " if is_2xx else ""
    message = f"{prefix}HTTP {status} {response.reason_phrase}".rstrip() + _summary(detail, body)
    if status in (401, 403):
        raise AuthError(
            message,
            request=request_desc,
            status_code=status,
            body=body,
            detail=detail,
            credential_hint=credential_hint,
        )
    raise PermanentError(
        message, request=request_desc, status_code=status, body=body, detail=detail
    )


async def send_json(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    policy: RetryPolicy,
    params: Params | None = None,
    json: Any = None,
    headers: Mapping[str, str] | None = None,
    expect: Collection[int] = (200,),
    on_retry: OnRetry | None = None,
    sleep: Sleep | None = None,
    check: BodyCheck | None = None,
    credential_hint: str = "API credential",
    pacer: Pacer | None = None,
) -> tuple[int, Any, httpx.Headers]:
    """Send one request, retrying transient failures under `policy`.

    Returns (status, parsed body, headers) for a status in `expect`; raises
    `PermanentError` at once, or the last `TransientError` once the attempts
    are spent. `check` runs inside the retry loop, so a well-formed response
    with an unusable body (no ``data`` list, too few results) is retried too.
    `pacer` is waited on before every attempt, retries included: a retry
    spends the API's request budget like any other request.
    """
    content = None
    if json is not None:
        # httpx's own json= writes the same text with the standard library,
        # several times slower for a batch of 200 records.
        content = json_text.dumps_bytes(json)
        headers = {**(headers or {}), "Content-Type": "application/json"}
    request = client.build_request(
        method, url, params=_without_none(params), content=content, headers=headers
    )
    request_desc = describe(request)
    async for attempt in retrying(policy, on_retry=on_retry, sleep=sleep):
        with attempt:
            if pacer is not None:
                await pacer.acquire()
            response = await _send_once(client, request, request_desc)
            body = classify(response, request_desc, expect=expect, credential_hint=credential_hint)
            problem = check(response.status_code, body) if check is not None else None
            if problem is not None:
                raise TransientError(
                    f"unusable body: {problem}",
                    request=request_desc,
                    status_code=response.status_code,
                )
            return response.status_code, body, response.headers
    raise AssertionError("unreachable: tenacity returns or re-raises")  # pragma: no cover


class ApiClient:
    """What both connectors share: one httpx client, one retry policy, one pacer, async closing."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        policy: RetryPolicy,
        credential_hint: str,
        on_retry: OnRetry | None = None,
        sleep: Sleep | None = None,
        requests_per_second: float | None = None,
    ) -> None:
        self._client = client
        # One pacer per client, so all of its requests share the credential's budget.
        self._pacer = Pacer(requests_per_second)
        self._policy = policy
        self._credential_hint = credential_hint
        self._on_retry = on_retry
        self._sleep = sleep

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _call(
        self,
        method: str,
        url: str,
        *,
        params: Params | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        expect: Collection[int] = (200,),
        check: BodyCheck | None = None,
        policy: RetryPolicy | None = None,
    ) -> tuple[int, Any, httpx.Headers]:
        return await send_json(
            self._client,
            method,
            url,
            policy=policy or self._policy,
            params=params,
            json=json,
            headers=headers,
            expect=expect,
            on_retry=self._on_retry,
            sleep=self._sleep,
            check=check,
            credential_hint=self._credential_hint,
            pacer=self._pacer,
        )


async def _send_once(
    client: httpx.AsyncClient, request: httpx.Request, request_desc: str
) -> httpx.Response:
    try:
        return await client.send(request)
    except (httpx.LocalProtocolError, httpx.UnsupportedProtocol) as exc:
        # Our own request is malformed (a bad header value, a wrong URL scheme):
        # sending it again cannot help.
        raise ConnectorError(_exc_text(exc), request=request_desc) from exc
    except (httpx.TransportError, httpx.DecodingError) as exc:
        # Connect/read/write errors, timeouts, a dropped connection, a body cut
        # short or garbled in transfer: the next attempt may well succeed.
        raise TransientError(_exc_text(exc), request=request_desc) from exc


def _success_body(response: httpx.Response, request_desc: str) -> Any:
    if response.status_code == 204:
        return None
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if content_type == "text/html":
        raise TransientError(
            f"HTTP {response.status_code} with an HTML page instead of JSON",
            request=request_desc,
            status_code=response.status_code,
        )
    try:
        return _json_body(response)
    except ValueError as exc:
        raise TransientError(
            f"HTTP {response.status_code} with a body that is not valid JSON ({exc})",
            request=request_desc,
            status_code=response.status_code,
        ) from exc


def _json_body(response: httpx.Response) -> Any:
    """The parsed body; ValueError (incl. UnicodeDecodeError) when it is not JSON."""
    content = response.content
    if not content.strip():
        raise ValueError("empty body")
    # The standard library's parser, not orjson's: orjson turns an integer
    # beyond 64 bits into a float, and E-Program's untidy records must reach
    # the mapping (and the mismatch report) as they were sent.
    return jsonlib.loads(content)


def _summary(detail: Any, body: str) -> str:
    """A short reason from the body: E-Program's ``message`` or E-Planning's error codes."""
    if isinstance(detail, dict):
        if isinstance(detail.get("message"), str):
            return f": {detail['message'][:_SUMMARY_LIMIT]}"
        errors = detail.get("errors")
        if isinstance(errors, list) and errors:
            parts = [
                f"{e.get('field') or '-'}/{e.get('code')}" for e in errors if isinstance(e, dict)
            ]
            return f": {', '.join(parts)[:_SUMMARY_LIMIT]}"
    text = " ".join(body.split())
    return f": {text[:_SUMMARY_LIMIT]}" if text else ""


def _exc_text(exc: Exception) -> str:
    # httpx timeouts often carry an empty message; the class name is the useful part.
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _without_none(params: Params | None) -> dict[str, str | int] | None:
    if params is None:
        return None
    return {k: v for k, v in params.items() if v is not None}
