"""`GET /metrics`: the Prometheus scrape, served by the service.

Kept apart from `app.observability.metrics` so that a sync, which records
metrics, does not import FastAPI.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.http.deps import SessionFactoryDep
from app.observability.metrics import render

router = APIRouter(tags=["metrics"])


@router.get(
    "/metrics",
    response_class=Response,
    summary="Metrik Prometheus",
    description="Teks Prometheus: run per status, data per hasil, latensi, percobaan ulang, "
    "umur keberhasilan terakhir per cakupan, dead letter terbuka. Tanpa data perencanaan.",
)
def metrics(sessions: SessionFactoryDep) -> Response:
    """Prometheus text: runs by status, records by outcome, latency, retries, staleness."""
    body, content_type = render(sessions)
    return Response(content=body, media_type=content_type)
