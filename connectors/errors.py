"""The connectors' error hierarchy.

Like httpx's own exceptions, library errors are translated at the boundary
into this small hierarchy, and the class alone decides what happens next:
a `TransientError` is worth retrying (docs/design.md, promise 5), a `PermanentError` never is.
"""

from __future__ import annotations

from typing import Any


class ConnectorError(Exception):
    """A call to E-Program or E-Planning failed.

    `request` names the call, e.g. ``GET /api/v1/sub-kegiatan?tahun_anggaran=2026&tahap=renja``,
    and is part of the message so a log line alone says which call failed.
    """

    def __init__(self, message: str, *, request: str) -> None:
        super().__init__(f"{request}: {message}")
        self.request = request
        self.reason = message


class TransientError(ConnectorError):
    """A failure that may pass: connection trouble, 429, 5xx, an HTML or cut-short body.

    `status_code` is None when no response arrived; `retry_after` is the
    server's Retry-After in seconds, when it sent one.
    """

    def __init__(
        self,
        message: str,
        *,
        request: str,
        status_code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, request=request)
        self.status_code = status_code
        self.retry_after = retry_after


class PermanentError(ConnectorError):
    """The server refused the request; sending it again would get the same answer.

    `body` is the first 500 characters of the response body and `detail` the
    parsed body when it was JSON (e.g. E-Planning's ``{"errors": [...]}``).
    """

    def __init__(
        self,
        message: str,
        *,
        request: str,
        status_code: int,
        body: str,
        detail: Any = None,
    ) -> None:
        super().__init__(message, request=request)
        self.status_code = status_code
        self.body = body
        self.detail = detail


class AuthError(PermanentError):
    """401/403: the API key or token is missing, wrong or lacks the right.

    `credential_hint` names the setting an admin should check, e.g.
    ``SINKRON_EPROGRAM_API_KEY``; the message says so.
    """

    def __init__(
        self,
        message: str,
        *,
        request: str,
        status_code: int,
        body: str,
        detail: Any = None,
        credential_hint: str,
    ) -> None:
        super().__init__(
            f"{message}; the credentials were refused, check the {credential_hint} setting",
            request=request,
            status_code=status_code,
            body=body,
            detail=detail,
        )
        self.credential_hint = credential_hint
