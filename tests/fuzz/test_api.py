"""schemathesis against the service's own OpenAPI document, every check on,
with an admin key and with a planner key scoped to one OPD."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, is_check_class, load_all_checks
from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.schemas import KODE_SKPD_DIKENAL
from app.config import Settings
from app.db import make_engine
from app.http.errors import ApiError
from app.http.pagination import CURSOR_FORMAT, decode_cursor, encode_cursor
from app.main import create_app
from tests.fuzz.conftest import Fuzzed, known_opd
from tests.fuzz.counts import CASES

# Enough to find what the findings below found, in about a minute per role on
# two cores: every operation, positive and negative data, this many examples.
MAX_EXAMPLES = 25

# What the document's own formats mean (app.http.pagination, app.api.schemas):
# a cursor the service gave out, an OPD E-Planning lists.
schemathesis.openapi.format(CURSOR_FORMAT, st.integers(1, 10**6).map(encode_cursor))
schemathesis.openapi.format(KODE_SKPD_DIKENAL, st.sampled_from(known_opd()))

load_all_checks()
ALL_CHECKS = [c for c in CHECKS.get_all() if not is_check_class(c)]


class Served:
    """The app schemathesis sends every case to (its own probes included): the
    running test module's app with data in it, set by the ``served`` fixture."""

    def __init__(self) -> None:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            eprogram_api_key=SecretStr("kunci-dokumen-saja"),
            eplanning_token=SecretStr("token-dokumen-saja"),
        )
        # The document depends on no data: an app over an empty database serves it.
        self.app: ASGIApp = create_app(settings, make_engine("sqlite://"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


SERVED = Served()
# schemathesis's lazy loader (from_fixture) reads a pytest internal that pytest 9
# no longer has, so the document is loaded eagerly, through SERVED.
schema = schemathesis.openapi.from_asgi("/openapi.json", SERVED)


@pytest.fixture
def served(fuzzed: Fuzzed) -> Fuzzed:
    SERVED.app = fuzzed.app
    return fuzzed


FUZZ = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)


def as_issued(case: schemathesis.Case) -> None:
    """A positive case's cursor and OPD codes, as the service can accept them.

    The document names both by a format (a cursor the service gave out, an OPD
    E-Planning lists) and the fuzzing phase draws from those; the coverage
    phase's boundary strings ignore formats, and a made-up cursor or OPD is
    rightly refused (400 cursor_tidak_valid, 422). Negative cases keep theirs.
    So does a run filter that gives its year under both names. A negative
    case's empty list is sent as an empty value.
    """
    query = case.query or {}
    if case.meta is not None and case.meta.generation.mode is GenerationMode.NEGATIVE:
        # A parameter whose value is an empty list is not sent at all, so a case
        # that adds an unknown one that way sends a valid request and "fails";
        # an empty value sends the parameter, which the service refuses (422).
        for name, value in query.items():
            if value == []:
                query[name] = ""
    if case.meta is None or case.meta.generation.mode is not GenerationMode.POSITIVE:
        return
    if query.get("cursor"):
        try:
            decode_cursor(str(query["cursor"]))
        except ApiError:
            query["cursor"] = encode_cursor(1)
    # /api/v1/runs: the deprecated `tahun` must agree with `tahun_anggaran` (its
    # description says so; the document cannot tie two query parameters).
    if query.get("tahun") is not None and query.get("tahun_anggaran") is not None:
        query["tahun"] = query["tahun_anggaran"]
    known = known_opd()
    if isinstance(case.body, dict) and isinstance(case.body.get("kode_skpd"), list):
        case.body["kode_skpd"] = [k if k in known else known[0] for k in case.body["kode_skpd"]]


@schema.parametrize()
@FUZZ
def test_api_as_admin(case: schemathesis.Case, served: Fuzzed) -> None:
    CASES["admin"] += 1
    as_issued(case)
    case.call_and_validate(headers={"X-API-Key": served.admin}, checks=ALL_CHECKS)


@schema.parametrize()
@FUZZ
def test_api_as_planner(case: schemathesis.Case, served: Fuzzed) -> None:
    CASES["planner"] += 1
    as_issued(case)
    case.call_and_validate(headers={"X-API-Key": served.planner}, checks=ALL_CHECKS)
