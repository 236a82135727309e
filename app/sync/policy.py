"""The retry policy both connectors use, from the settings."""

from __future__ import annotations

from app.config import Settings
from connectors.http import RetryPolicy


def retry_policy(settings: Settings) -> RetryPolicy:
    return RetryPolicy(
        max_attempts=settings.retry_max_attempts,
        initial_wait=settings.retry_initial_wait,
        max_wait=settings.retry_max_wait,
    )
