"""The E-Program and E-Planning clients, built from the settings in one place."""

from __future__ import annotations

from dataclasses import replace

import httpx

from app.config import Settings
from app.observability import metrics
from app.sync.outage import retry_policy
from connectors.eplanning import EPlanningClient
from connectors.eprogram import EProgramClient


def eprogram(
    settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None
) -> EProgramClient:
    return EProgramClient(
        settings.eprogram_url,
        settings.secret("eprogram_api_key"),
        policy=retry_policy(settings),
        timeout=settings.http_timeout_seconds,
        transport=transport,
        on_retry=metrics.retry_hook("eprogram"),
        requests_per_second=settings.eprogram_requests_per_second,
    )


def eplanning(
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    max_attempts: int | None = None,
    timeout: float | None = None,
) -> EPlanningClient:
    """E-Planning answers a batch of 200 writes: it gets twice the read timeout.

    A caller that answers a person while it waits (a trigger checking its OPD
    codes) asks for fewer attempts and a shorter timeout.
    """
    policy = retry_policy(settings)
    if max_attempts is not None:
        policy = replace(policy, max_attempts=min(policy.max_attempts, max_attempts))
    return EPlanningClient(
        settings.eplanning_url,
        settings.secret("eplanning_token"),
        policy=policy,
        timeout=settings.http_timeout_seconds * 2 if timeout is None else timeout,
        transport=transport,
        on_retry=metrics.retry_hook("eplanning"),
        requests_per_second=settings.eplanning_requests_per_second,
        batches_in_flight=settings.eplanning_batches_in_flight,
        batch_size=settings.push_batch_size,
    )
