"""Every route a planner reaches, walked with a key scoped to one OPD over the
data of a real sync of many OPDs: no answer (JSON, HTML, CSV, XLSX, headers)
names another OPD's code. The routes come from the app's router, so a route
added later is walked too; one whose inputs the walk cannot fill fails it.
On SQLite and PostgreSQL."""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, get_args

import httpx
import openpyxl
import pytest
from fastapi import FastAPI, params
from fastapi.dependencies.utils import get_flat_params
from fastapi.routing import RouteContext
from pydantic import BaseModel
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from app.access import keys
from app.access.keys import Role
from app.access.policy import rule
from app.db import session_scope
from app.main import create_app
from app.mismatches.siklus import Keputusan
from app.models import Mismatch, RecordOutcome, RecordState, RunStatus
from standins.generator import generate
from standins.server import ServerThread
from tests.e2e.conftest import TAHAP, TAHUN, World, make_world
from tests.e2e.test_findings import import_sample
from tests.e2e.test_laporan_pages import token_in
from tests.routes import served_routes

TANPA_OPD = "-"
EXAMPLE_OPD = "1.02.0.00.0.00.01.0000"


@dataclass
class Walk:
    app: FastAPI
    client: httpx.Client
    key: str
    admin: str
    own: str
    other: str
    foreign: frozenset[str]  # every code of an OPD (or its sub-units) outside the key's scope
    runs: list[int]  # one run of every OPD, one of another OPD only
    mismatches: list[int]  # one of the key's OPD, one of another

    def sign_in(self) -> None:
        """A fresh page session for the scoped key (a walk may have signed out)."""
        self.client.cookies.clear()
        form = self.client.get("/laporan/masuk")
        answer = self.client.post(
            "/laporan/masuk",
            data={"csrf": token_in(form.text), "kunci": self.key},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text


def _codes(session: Session) -> dict[str, set[str]]:
    """Each OPD's code with the codes of its sub-units, as the run recorded them."""
    found: dict[str, set[str]] = {}
    for table in (RecordOutcome, RecordState, Mismatch):
        for kode, sub in session.execute(select(table.kode_skpd, table.kode_sub_skpd).distinct()):
            if kode:
                found.setdefault(kode, {kode}).update({sub} if sub else set())
    return found


@pytest.fixture
def walk(
    engine: Engine,
    session_factory: sessionmaker[Session],
    database_url: str,
    sample_items: list[dict[str, Any]],
) -> Iterator[Walk]:
    dataset = generate(
        sample_items, tahun_anggaran=TAHUN, tahap=TAHAP, size=240, seed=23, problem_rate=0.15
    )
    for world in make_world(session_factory, database_url, dataset):
        yield from _walk(world, engine, session_factory)


def _walk(world: World, engine: Engine, sessions: sessionmaker[Session]) -> Iterator[Walk]:
    import_sample(world)
    assert world.sync(full=True).status is RunStatus.SUCCEEDED
    with session_scope(sessions) as session:
        codes = _codes(session)
        per_opd = dict(
            session.execute(
                select(Mismatch.kode_skpd, Mismatch.id)
                .where(Mismatch.kode_skpd.is_not(None))
                .order_by(Mismatch.id)
            ).all()
        )
    # The key's OPD is the one the OpenAPI document's example names (a trigger's
    # kode_skpd), so the document names no other; another OPD with findings has
    # a run of its own.
    own = EXAMPLE_OPD
    other = next(kode for kode in sorted(per_opd) if kode != own)
    assert own in per_opd, f"the key's OPD should have findings: {sorted(per_opd)}"
    assert len(codes) >= 5, f"the data should span several OPDs: {sorted(codes)}"
    assert world.sync(full=True, kode_skpd=(other,)).status is RunStatus.SUCCEEDED
    for entry in dataset_opd(world):
        codes.setdefault(entry["kode_induk"] or entry["kode"], set()).add(entry["kode"])
    foreign = frozenset(itertools.chain.from_iterable(v for k, v in codes.items() if k != own))
    with session_scope(sessions) as session:
        key = keys.create(session, name="operator-opd", role=Role.PLANNER, kode_skpd=[own])
        admin = keys.create(session, name="operator-diskominfo", role=Role.ADMIN)
        run_ids = sorted(r for (r,) in session.execute(select(RecordOutcome.run_id).distinct()))
    settings = world.settings.model_copy(
        update={"rate_limit_per_minute": 100_000, "rate_limit_post_per_minute": 100_000}
    )
    app = create_app(settings, engine)
    with ServerThread(app) as server, httpx.Client(base_url=server.url, timeout=60) as client:
        yield Walk(
            app, client, key, admin, own, other, foreign, run_ids, [per_opd[own], per_opd[other]]
        )


def dataset_opd(world: World) -> list[dict[str, Any]]:
    return [dict(e) for e in world.dataset.eplanning_perangkat_daerah()]


# -- what the walk fills in ------------------------------------------------------


def path_values(walk: Walk, name: str) -> list[str] | None:
    """Real values of the data for a path parameter; None: the walk cannot fill it."""
    known: dict[str, list[str]] = {
        "run_id": [str(r) for r in walk.runs],
        "mismatch_id": [str(m) for m in walk.mismatches],
        "kode_skpd": [walk.own, walk.other, TANPA_OPD],
        "nama": ["laporan.css"],
        "berkas": ["docs.css"],
        # Each decision in turn on the same mismatch: akui, kecualikan, buka kembali.
        "keputusan": [k.value for k in Keputusan],
        "kategori": ["pagu_berbeda", "skpd_tidak_dikenal"],
    }
    return known.get(name)


def query_values(walk: Walk) -> dict[str, list[str | None]]:
    """Query parameters the walk sets; an optional OPD filter is tried empty,
    as the key's OPD and as another OPD."""
    return {
        "tahun_anggaran": [str(TAHUN)],
        "tahap": [TAHAP],
        "limit": ["500"],
        "kode_skpd": [None, walk.own, walk.other],
    }


def body_values(walk: Walk, kode_skpd: str | None) -> dict[str, Any]:
    return {
        # A decision on many reopens: it changes nothing here, so the decisions
        # on one mismatch that follow it in the walk find it open.
        "keputusan": Keputusan.BUKA_KEMBALI.value,
        "catatan": "diperiksa",
        "alasan": "diterima",
        "tahun_anggaran": TAHUN,
        "tahap": TAHAP,
        "kode_skpd": kode_skpd,
    }


def form_values(walk: Walk, csrf: str) -> dict[str, str]:
    # keputusan and semua: the OPD page's decision on every filtered row (it
    # asks to confirm first, so the walk changes nothing with it).
    return {
        "csrf": csrf,
        "catatan": "diperiksa",
        "alasan": "diterima",
        "kunci": walk.key,
        "keputusan": Keputusan.BUKA_KEMBALI.value,
        "semua": "1",
    }


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    kode_skpd: str | None  # the body's OPD filter, when the route takes a body

    def __str__(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in self.query.items())
        return f"{self.method} {self.path}{'?' + query if query else ''}" + (
            f" (body kode_skpd={self.kode_skpd})" if self.kode_skpd else ""
        )


def requests_for(walk: Walk, method: str, route: RouteContext) -> list[Request]:
    """Every request the walk sends to one route; fails for an input it cannot fill."""
    names = re.findall(r"{(\w+)(?::\w+)?}", route.path)
    filled: list[list[str]] = []
    for name in names:
        values = path_values(walk, name)
        assert values, f"{method} {route.path}: no value for path parameter {{{name}}}"
        filled.append(values)
    query_options: list[list[tuple[str, str | None]]] = []
    if hasattr(route, "dependant"):
        wanted = query_values(walk)
        for param in get_flat_params(route.dependant):
            if not isinstance(param.field_info, params.Query):
                continue
            if param.alias in wanted:
                query_options.append([(param.alias, v) for v in wanted[param.alias]])
            else:
                assert not param.field_info.is_required(), (
                    f"{method} {route.path}: no value for ?{param.alias}"
                )
    takes_kode = bool(_body_model(route)) and "kode_skpd" in _body_model(route).model_fields
    bodies: list[str | None] = [None, walk.own, walk.other] if takes_kode else [None]
    found = []
    for values in itertools.product(*filled):
        path = route.path
        for name, value in zip(names, values, strict=True):
            path = re.sub(rf"{{{name}(?::\w+)?}}", value, path)
        for query in itertools.product(*query_options):
            for kode in bodies:
                asked = {k: v for k, v in query if v is not None}
                found.append(Request(method, path, asked, kode))
    return found


def _body_model(route: RouteContext) -> type[BaseModel] | None:
    if not hasattr(route, "dependant") or not route.dependant.body_params:
        return None
    (param,) = route.dependant.body_params
    annotation = param.field_info.annotation
    for candidate in (annotation, *get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    raise AssertionError(f"{route.path}: a body the walk cannot fill: {annotation}")


def send(walk: Walk, route: RouteContext, request: Request) -> httpx.Response:
    headers = {"X-API-Key": walk.key}
    kwargs: dict[str, Any] = {}
    if request.path.startswith("/laporan"):
        walk.sign_in()
        if request.method == "POST":
            # The form's token, from the page that carries the form.
            form_page = "/laporan/masuk" if request.path == "/laporan/masuk" else "/laporan"
            csrf = token_in(walk.client.get(form_page).text)
            kwargs["data"] = form_values(walk, csrf)
    model = _body_model(route)
    if model is not None:
        values = body_values(walk, request.kode_skpd)
        kwargs["json"] = {
            k: v for k, v in values.items() if k in model.model_fields and v is not None
        }
    return walk.client.request(
        request.method,
        request.path,
        params=request.query,
        headers=headers,
        follow_redirects=False,
        **kwargs,
    )


# -- what an answer may not say --------------------------------------------------


def answer_text(response: httpx.Response) -> str:
    """Everything the caller reads: headers, and the body as text (an XLSX's
    cells and sheet names read back with openpyxl)."""
    headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    kind = response.headers.get("content-type", "")
    if "spreadsheetml" in kind:
        book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
        cells = [
            str(value)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if value is not None
        ]
        return "\n".join([headers, *book.sheetnames, *cells])
    return headers + "\n" + response.content.decode("utf-8", errors="replace")


def named_codes(text: str, codes: frozenset[str]) -> set[str]:
    pattern = re.compile(r"(?<![\d.])(" + "|".join(map(re.escape, codes)) + r")(?![\d])")
    return set(pattern.findall(text))


def answered(method: str, response: httpx.Response) -> bool:
    """The route served the key: a page or data, not a refusal nor a redirect
    to the sign-in form (a form post without a session is refused, not sent there)."""
    if method == "GET":
        if response.is_redirect:  # the bare address leads to the report
            return not response.headers["location"].startswith("/laporan/masuk")
        return response.status_code == 200
    return response.status_code in (200, 201, 202, 303)


def test_a_key_scoped_to_one_opd_reads_nothing_of_another_on_any_route(walk: Walk) -> None:
    walked: list[str] = []
    leaks: list[str] = []
    unserved: list[str] = []
    for method, template, route in served_routes(walk.app):
        policy = rule(method, template)
        assert policy is not None, f"{method} {template} has no policy"
        if not policy.reaches_planner:
            continue
        served = False
        for request in requests_for(walk, method, route):
            response = send(walk, route, request)
            assert response.status_code < 500, f"{request}: {response.status_code}"
            served |= answered(method, response)
            named = named_codes(answer_text(response), walk.foreign)
            if named:
                leaks.append(f"{request} → {response.status_code} names {sorted(named)[:5]}")
        walked.append(f"{method} {template}")
        if not served:
            unserved.append(f"{method} {template}")
    assert not leaks, "answers name other OPDs:\n" + "\n".join(leaks)
    # The walk reached the data: every route served the key at least once.
    assert not unserved, f"routes that served the scoped key nothing: {unserved}"
    assert {"GET /api/v1/runs/{run_id}/records", "GET /laporan/opd/{kode_skpd}"} <= set(walked)


def _api(walk: Walk, key: str, path: str, **query: Any) -> Any:
    answer = walk.client.get(path, params=query, headers={"X-API-Key": key})
    assert answer.status_code == 200, f"{path}: {answer.status_code} {answer.text}"
    return answer.json()


def _all_records(walk: Walk, key: str, run_id: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = ""
    while True:
        page = _api(walk, key, f"/api/v1/runs/{run_id}/records", limit=100, cursor=cursor)
        items += page["items"]
        if page["next_cursor"] is None:
            return items
        cursor = page["next_cursor"]


def test_a_scoped_key_reads_its_opds_runs_and_records_without_the_pemdas_counts(
    walk: Walk,
) -> None:
    every_opd, other_only = walk.runs
    # The admin sees both runs, with their counts.
    listed = _api(walk, walk.admin, "/api/v1/runs")["items"]
    assert [r["id"] for r in listed] == [other_only, every_opd]
    assert all(r["outcome_counts"] and r["records_pulled"] for r in listed)
    admin_records = _all_records(walk, walk.admin, every_opd)

    # The scoped key: only the run that covered its OPD, and no pemda-wide counts.
    (run,) = _api(walk, walk.key, "/api/v1/runs")["items"]
    assert run["id"] == every_opd and run["jumlah_kode_skpd"] is None
    assert run["outcome_counts"] is None and run["records_pulled"] is None
    assert run["peringatan"] is None
    one = _api(walk, walk.key, f"/api/v1/runs/{every_opd}")
    assert one["kode_skpd"] is None and one["outcome_counts"] is None
    for path in (f"/api/v1/runs/{other_only}", f"/api/v1/runs/{other_only}/records"):
        gone = walk.client.get(path, headers={"X-API-Key": walk.key})
        assert gone.status_code == 404, path
    # Exactly its OPD's records of the run, page after page.
    own = _all_records(walk, walk.key, every_opd)
    assert own and {r["kode_skpd"] for r in own} == {walk.own}
    assert sorted(r["id"] for r in own) == sorted(
        r["id"] for r in admin_records if r["kode_skpd"] == walk.own
    )

    status = _api(walk, walk.key, "/api/v1/status")
    assert [s["last_run"]["id"] for s in status["scopes"]] == [every_opd]
    assert status["scopes"][0]["open_dead_letters"] is None
    assert status["open_dead_letters"] is None
    admin_status = _api(walk, walk.admin, "/api/v1/status")
    assert [s["last_run"]["id"] for s in admin_status["scopes"]] == [other_only]
    assert admin_status["open_dead_letters"] == 0
