"""Every dependency of every route runs on the event loop (``async def``)
unless it waits on something: FastAPI runs a plain ``def`` dependency in a
worker thread, and for one that only reads the service's parts or what the
guard decided, the hop costs far more than the work (a denied request made 13
of them). A dependency added later is walked too, and must be async or named
below with the reason it needs a thread."""

from __future__ import annotations

import inspect
from typing import Any

from fastapi.dependencies.models import Dependant
from pydantic import SecretStr

from app.config import Settings
from app.db import make_engine
from app.main import create_app
from tests.routes import served_routes

# (module, name) → why it runs in a worker thread.
IN_A_THREAD = {
    ("app.http.deps", "get_session"): "opens the request's transaction and commits it",
    ("app.web.sessions", "signed_in"): "reads the reader's session from the database",
    ("app.web.scope", "_cakupan_asked"): "reads the scopes the database holds",
    ("app.api.mismatches", "api_export_slot"): "holds an export slot while the file is sent",
    ("app.web.ekspor", "page_export_slot"): "holds an export slot while the file is sent",
}


def _name(call: Any) -> tuple[str, str]:
    target = call if inspect.isfunction(call) else type(call)
    return target.__module__, target.__qualname__


def _on_the_loop(call: Any) -> bool:
    return inspect.iscoroutinefunction(call) or inspect.iscoroutinefunction(
        getattr(call, "__call__", None)  # noqa: B004 (a class instance with async __call__)
    )


def _walk(dependant: Dependant, found: dict[tuple[str, str], bool]) -> None:
    for sub in dependant.dependencies:
        if sub.call is not None:
            found[_name(sub.call)] = _on_the_loop(sub.call)
        _walk(sub, found)


def every_dependency() -> dict[tuple[str, str], bool]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        eprogram_api_key=SecretStr("kunci-uji"),
        eplanning_token=SecretStr("token-uji"),
    )
    app = create_app(settings, make_engine("sqlite://"))
    found: dict[tuple[str, str], bool] = {}
    for _method, _path, route in served_routes(app):
        dependant = getattr(route, "dependant", None)
        if dependant is not None:
            _walk(dependant, found)
    return found


def test_a_dependency_runs_in_a_thread_only_when_it_waits_on_something() -> None:
    found = every_dependency()
    assert ("app.http.deps", "get_settings") in found  # the walk reaches the parts
    in_a_thread = {name for name, on_loop in found.items() if not on_loop}
    assert in_a_thread == set(IN_A_THREAD), {
        "async def, or say why it needs a thread": sorted(in_a_thread - set(IN_A_THREAD)),
        "no longer a dependency": sorted(set(IN_A_THREAD) - in_a_thread),
    }
