"""The routes an app serves, read from its router: what the tests that walk
every route walk, so a route added later is walked too."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.routing import RouteContext, iter_route_contexts

from app.access.policy import template


def served_routes(app: FastAPI) -> list[tuple[str, str, RouteContext]]:
    """(method, policy template, route) of every route of ``app``, in the
    router's order.

    HEAD beside GET is Starlette's own twin of the GET route and is left out.
    A route with no path or methods (a mount, a websocket) fails: nothing here
    knows what it serves, so its policy has to be decided first.
    """
    found = []
    for route in iter_route_contexts(app.routes):
        assert route.path and route.methods, f"a route of a kind no test walks: {route!r}"
        methods = set(route.methods)
        if "GET" in methods:
            methods.discard("HEAD")
        found += [(method, template(route.path), route) for method in sorted(methods)]
    return found
