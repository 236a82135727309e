"""The access policy and the app's router agree: every route the app serves has
a row, every row names a route, and every route the policy scopes to a key's
OPDs reads them through the policy's dependency (and no other route does)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from pydantic import SecretStr

from app.access.keys import Principal, Role
from app.access.opd_scope import NotScoped, for_route
from app.access.policy import ADMIN, OPEN, POLICY, PUBLIC, Rule, Scoping, rule
from app.config import Settings
from app.db import make_engine
from app.http.deps import caller_opd_scope
from app.main import create_app
from app.web.sessions import reader_opd_scope
from tests.routes import served_routes

SCOPE_DEPENDENCIES = {caller_opd_scope, reader_opd_scope}


@pytest.fixture(scope="module")
def app() -> FastAPI:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        eprogram_api_key=SecretStr("kunci-uji-kebijakan"),
        eplanning_token=SecretStr("token-uji-kebijakan"),
    )
    return create_app(settings, make_engine("sqlite://"))


def test_every_route_has_a_policy_row_and_every_row_a_route(app: FastAPI) -> None:
    served = {(method, path) for method, path, _route in served_routes(app)}
    assert sorted(served - set(POLICY)) == [], "routes without a row in app/access/policy.py"
    assert sorted(set(POLICY) - served) == [], "policy rows of routes the app does not serve"


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def test_routes_scoped_to_the_keys_opds_read_them_through_the_policy(app: FastAPI) -> None:
    wrong = []
    for method, path, route in served_routes(app):
        declared = rule(method, path)
        assert declared is not None
        dependant = getattr(route, "dependant", None)
        reads_scope = dependant is not None and bool(SCOPE_DEPENDENCIES & set(_calls(dependant)))
        if reads_scope != (declared.scoping is Scoping.KEY_OPDS):
            wrong.append(
                f"{method} {path}: {declared.scoping}, reads the key's OPDs: {reads_scope}"
            )
    assert not wrong, "\n".join(wrong)


def test_only_a_route_the_policy_scopes_gives_out_the_keys_opds() -> None:
    principal = Principal("operator-opd", Role.PLANNER, opd=frozenset({"1.02.0.00.0.00.01.0000"}))
    scope = for_route(principal, "GET", "/api/v1/mismatches/{mismatch_id:int}")
    assert scope.opd == principal.opd
    with pytest.raises(NotScoped):
        for_route(principal, "GET", "/healthz")
    with pytest.raises(NotScoped):
        for_route(principal, "GET", "/api/v1/tidak-ada")


def test_a_rule_cannot_say_what_cannot_be() -> None:
    assert OPEN.reaches_planner and not ADMIN.reaches_planner
    with pytest.raises(ValueError, match="admin"):
        Rule(Role.ADMIN, Scoping.KEY_OPDS)
    with pytest.raises(ValueError, match="admin"):
        Rule(Role.PLANNER, Scoping.ADMIN_ONLY)
    with pytest.raises(ValueError, match="without a key"):
        Rule(PUBLIC, Scoping.KEY_OPDS)
