"""What both stand-ins share: `/_standin/faults`, `/_standin/stats` and the middleware."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError

from standins.faults import FaultInjector, FaultMiddleware, FaultSettings
from standins.ratelimit import RateLimitMiddleware
from standins.stats import RequestStats, StatsMiddleware

RenderError = Callable[[str, str], dict[str, Any]]


def control_router(
    injector: FaultInjector,
    stats: RequestStats,
    *,
    render_error: RenderError,
    counters: Callable[[], dict[str, Any]] = dict,
) -> APIRouter:
    """GET/PUT /_standin/faults and GET /_standin/stats (no auth: loopback test use)."""
    router = APIRouter(prefix="/_standin")

    @router.get("/faults")
    async def get_faults() -> Response:
        return JSONResponse(injector.settings.model_dump())

    @router.put("/faults")
    async def put_faults(request: Request) -> Response:
        """Replace the settings (fields left out take their defaults); restarts the seeded RNG."""
        try:
            injector.update(FaultSettings.model_validate(json.loads(await request.body())))
        except (ValueError, ValidationError) as exc:
            return JSONResponse(render_error("format_nilai", str(exc)), status_code=400)
        return JSONResponse(injector.settings.model_dump())

    @router.get("/timeline")
    async def get_timeline() -> Response:
        """The latest /api/ requests: [arrived, answered, route, status, request digest],
        oldest first."""
        return JSONResponse({"requests": [list(entry) for entry in stats.timeline]})

    @router.get("/stats")
    async def get_stats() -> Response:
        return JSONResponse({**stats.snapshot(), **counters(), "faults": dict(injector.injected)})

    return router


def instrument(
    app: FastAPI,
    injector: FaultInjector,
    stats: RequestStats,
    *,
    render_error: RenderError,
    api: APIRouter,
    rate_limit: float | None = None,
    credential: str = "",
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Faults inside, counting outside, so an injected fault is counted with its status.

    Requests are counted under the path templates of the `api` router's routes.
    With `rate_limit` (requests/s per value of the `credential` header) the
    limiter sits between the two: a 429 it sends is counted, and a request it
    refuses draws no fault. `clock` is the limiter's (tests stop it so that a
    burst is a burst however slowly a loaded machine sends it).
    """
    app.add_middleware(FaultMiddleware, injector=injector, render_error=render_error)
    if rate_limit:
        app.add_middleware(
            RateLimitMiddleware,
            rate=rate_limit,
            credential=credential,
            stats=stats,
            render_error=render_error,
            clock=clock,
        )
    app.add_middleware(StatsMiddleware, stats=stats, routes=list(api.routes))
