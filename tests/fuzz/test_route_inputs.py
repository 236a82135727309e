"""Every input of every route, found from the router (tests/fuzz/routes.py),
under the hostile set: NUL, a superscript digit, 2^31, 2^63, -1, 10,000
characters, a lone surrogate (in JSON), a right-to-left override. Over real
HTTP, on a synced world with mismatches, on SQLite and PostgreSQL, with an admin
key for the API and a signed-in session with its form token for the pages
(docs/design.md, promise 7).

A route added later is walked like the others: an input it forgets to read
through app.http.inputs fails here, by its declaration or by its answer (a 5xx,
a 2xx or 3xx for a value no input takes, an empty or broken 2xx)."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest
from fastapi.routing import RouteContext
from sqlalchemy import func, select

from app.db import session_scope
from app.http.inputs import IntegerRule, TextRule
from app.models import Mismatch, RecordOutcome
from standins.server import ServerThread
from tests.e2e import laporan_data
from tests.e2e.conftest import TAHAP, TAHUN
from tests.fuzz.conftest import Fuzzed
from tests.fuzz.counts import CASES
from tests.fuzz.routes import Input, inputs_of, raw_form_readers

SURROGATE = "\ud800"
HOSTILE: tuple[tuple[str, object], ...] = (
    ("NUL", "\x00"),
    ("superscript", "²"),
    ("2^31", 2**31),
    ("2^63", 2**63),
    ("-1", -1),
    ("10.000 karakter", "9" * 10_000),
    ("surrogate", SURROGATE),  # only JSON can carry one
    ("RTL override", "\u202e"),
)
# No input takes these: the answer is a 4xx, whatever the input is. The others
# may be fair text ("m²", "-1"), or a number within an input's range.
NEVER_VALID = {"NUL", "10.000 karakter", "surrogate", "RTL override"}


def may_take(target: Input, label: str, value: object) -> bool:
    """Whether ``value`` may be valid in ``target`` (then any answer but a 5xx will do)."""
    if label in NEVER_VALID:
        return False
    if target.kind == "text":
        return True
    rule = target.rule(IntegerRule)
    return (
        target.kind == "integer"
        and isinstance(value, int)
        and rule is not None
        and rule.ge <= value <= rule.le
    )


def test_every_text_and_integer_input_is_read_by_the_one_rule(fuzzed: Fuzzed) -> None:
    """By declaration: text through TextRule, whole numbers through IntegerRule
    (ASCII digits, within the column's range), forms through declared models."""
    found = list(inputs_of(fuzzed.app))
    assert {i.place for i in found} == {"path", "query", "body", "form"}
    wrong = [
        f"{i}: {i.kind} tanpa {rule.__name__}"
        for i in found
        for kind, rule in (("text", TextRule), ("integer", IntegerRule))
        if i.kind == kind and i.rule(rule) is None
    ]
    wrong += [f"{r}: formulir tanpa model" for r in raw_form_readers(fuzzed.app)]
    assert not wrong, "\n".join(wrong)


# -- over HTTP ---------------------------------------------------------------


@dataclass
class Caller:
    """Sends requests as the admin: X-API-Key on the API, the page session on
    the pages (the sign-in form gets its own token, not the session)."""

    client: httpx.Client
    admin: str
    session: tuple[str, str]  # cookie, form token
    sign_in: tuple[str, str]
    valid: dict[str, object]
    inputs: dict[tuple[str, str], list[Input]] = field(default_factory=dict)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: dict[str, object] | None = None,
        form: dict[str, str] | None = None,
    ) -> httpx.Response:
        headers: dict[str, str] = {}
        content: str | None = None
        if body is not None:
            content, headers["Content-Type"] = json.dumps(body), "application/json"
        if path.startswith("/api/"):
            headers["X-API-Key"] = self.admin
        elif path == "/laporan/masuk":
            headers["Cookie"] = f"sinkron_masuk={self.sign_in[0]}"
        else:
            headers["Cookie"] = f"sinkron_sesi={self.session[0]}"
        if form is not None:
            token = self.sign_in[1] if path == "/laporan/masuk" else self.session[1]
            fields = {"csrf": token, **form}
            content = urlencode(fields, encoding="utf-8", errors="surrogatepass")
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        # Only the cookies set above: signing in again would end the session.
        self.client.cookies.clear()
        try:
            answer = self.client.request(
                method, path, params=params, headers=headers, content=content
            )
        except httpx.HTTPError:
            self.reconnect()
            raise
        if answer.status_code >= 500:
            self.reconnect()  # the server may close the connection after it
        return answer

    def reconnect(self) -> None:
        """A new connection, so that one failure is not also the next request's."""
        base = self.client.base_url
        self.client.close()
        self.client = httpx.Client(base_url=base, timeout=60)

    def send(
        self, route: RouteContext, method: str, target: Input | None = None, value: object = None
    ) -> httpx.Response:
        """The route with valid values, and ``value`` in ``target`` when given."""

        def chosen(i: Input) -> object:
            if i != target:
                return self.valid[i.name]
            return [value] if i.is_list and i.place == "body" else value

        def given(place: str) -> list[Input]:
            return [
                i
                for i in self.inputs[(method, route.path_format)]
                if i.place == place and (i == target or i.name in self.valid)
            ]

        path = route.path_format
        for i in given("path"):
            path = path.replace(f"{{{i.name}}}", quote(str(chosen(i)), safe=""))
        fields = {"form": given("form"), "body": given("body")}
        return self.request(
            method,
            path,
            params={i.name: str(chosen(i)) for i in given("query")},
            body={i.name: chosen(i) for i in fields["body"]} if self.takes(route, method) else None,
            form={i.name: str(chosen(i)) for i in fields["form"]}
            if self.takes(route, method, "form")
            else None,
        )

    def takes(self, route: RouteContext, method: str, place: str = "body") -> bool:
        return any(i.place == place for i in self.inputs[(method, route.path_format)])


def broken(answer: httpx.Response) -> str | None:
    """Why a 2xx answer is empty or unreadable, or None when it is whole."""
    kind = answer.headers.get("content-type", "")
    body = answer.content
    if not body:
        return "isi kosong"
    if kind.startswith("application/json"):
        try:
            json.loads(body)
        except ValueError:
            return "JSON rusak"
    elif kind.startswith("text/csv"):
        if b";" not in body.split(b"\n", 1)[0]:
            return "CSV tanpa baris judul"
    elif kind.startswith("application/vnd.openxmlformats"):
        try:
            zipfile.ZipFile(BytesIO(body)).testzip()
        except zipfile.BadZipFile:
            return "XLSX rusak"
    elif kind.startswith("text/html") and b"</html>" not in body:
        return "halaman terpotong"
    return None


def judge(target: Input, label: str, value: object, answer: httpx.Response) -> str | None:
    """What is wrong with the answer to ``value`` in ``target``, or None."""
    status = answer.status_code
    if status >= 500:
        return f"{status}: {answer.text[:200]}"
    if status < 400 and not may_take(target, label, value):
        return f"{status} untuk nilai yang tidak pernah sah"
    if 200 <= status < 300 and (why := broken(answer)):
        return f"{status} dengan {why}"
    return None


@pytest.fixture(scope="module")
def caller(fuzzed: Fuzzed) -> Iterator[Caller]:
    with session_scope(fuzzed.sessions) as session:
        run_id = session.scalar(select(func.max(RecordOutcome.run_id)))
        mismatch_id = session.scalar(
            select(func.min(Mismatch.id)).where(Mismatch.kode_skpd == laporan_data.OPD_A)
        )
    # A valid value for each input a route needs, of the world's own data.
    valid: dict[str, object] = {
        "run_id": run_id,
        "mismatch_id": mismatch_id,
        "letter_id": 1,
        "kode_skpd": laporan_data.OPD_A,
        "tahun_anggaran": TAHUN,
        "tahap": TAHAP,
        "keputusan": "akui",
        "kategori": "pagu_berbeda",
        "alasan": "sudah sesuai dengan DPA",
        "nama": "laporan.css",
        "berkas": "docs.css",
        "kunci": fuzzed.admin,
    }
    with ServerThread(fuzzed.app) as server, httpx.Client(base_url=server.url, timeout=60) as web:
        form = web.get("/laporan/masuk")
        sign_in = (form.cookies["sinkron_masuk"], _csrf(form.text))
        web.cookies.clear()
        signed = web.post(
            "/laporan/masuk",
            data={"kunci": fuzzed.admin, "csrf": sign_in[1]},
            headers={"Cookie": f"sinkron_masuk={sign_in[0]}"},
        )
        assert signed.status_code == 303, signed.text
        cookie = signed.cookies["sinkron_sesi"]
        web.cookies.clear()
        page = web.get(
            f"/laporan/opd/{laporan_data.OPD_A}", headers={"Cookie": f"sinkron_sesi={cookie}"}
        )
        caller = Caller(web, fuzzed.admin, (cookie, _csrf(page.text)), sign_in, valid)
        for i in inputs_of(fuzzed.app):
            caller.inputs.setdefault((i.method, i.route.path_format), []).append(i)
        yield caller
        caller.client.close()


def _csrf(html: str) -> str:
    marker = 'name="csrf" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def test_every_input_of_every_route_refuses_the_hostile_set(caller: Caller) -> None:
    failures: list[str] = []
    # With valid values only, every GET answers in full: the hostile answers
    # below are judged against routes that have data to show.
    for (method, _), route_inputs in caller.inputs.items():
        first = route_inputs[0]
        missing = [i.name for i in route_inputs if i.required and i.name not in caller.valid]
        if missing:
            failures.append(f"{first}: tes ini tidak punya nilai sah untuk {missing}")
        elif method == "GET":
            answer = caller.send(first.route, method)
            if answer.status_code != 200 or broken(answer):
                failures.append(
                    f"{method} {first.route.path}: nilai sah dijawab {answer.status_code}"
                )
    for target in (i for route_inputs in caller.inputs.values() for i in route_inputs):
        for label, value in HOSTILE:
            if value == SURROGATE and target.place != "body":
                continue  # a path, query or form is UTF-8: no lone surrogate in it
            CASES["route x hostile input"] += 1
            try:
                answer = caller.send(target.route, target.method, target, value)
            except httpx.HTTPError as exc:
                failures.append(f"{target} {label}: sambungan putus ({exc!r})")
                continue
            if why := judge(target, label, value, answer):
                failures.append(f"{target} {label}: {why}")
    assert not failures, f"{len(failures)} jawaban salah:\n" + "\n".join(failures)


NUL_SAID = "tidak boleh berisi karakter kontrol U+0000"
DIGITS_SAID = "harus bilangan bulat, angka 0-9 saja"
ABOVE_32_BIT = "paling besar 2147483647"
SCOPE = {"tahun_anggaran": str(TAHUN), "tahap": TAHAP}
# Issue 17's findings: (method, path, what is sent, status, what the answer says).
FOUND: tuple[tuple[str, str, dict[str, Any], int, str], ...] = (
    # A NUL in a JSON body: PostgreSQL answered 500.
    (
        "POST",
        "/api/v1/mismatches/{m}/akui",
        {"body": {"catatan": "a\x00"}},
        422,
        f"catatan: {NUL_SAID}",
    ),
    (
        "POST",
        "/api/v1/mismatches/{m}/kecualikan",
        {"body": {"alasan": "\x00"}},
        422,
        f"alasan: {NUL_SAID}",
    ),
    (
        "POST",
        "/api/v1/mismatches/keputusan",
        {"body": {"keputusan": "akui", "tahun_anggaran": TAHUN, "tahap": TAHAP, "q": "\x00"}},
        422,
        f"q: {NUL_SAID}",
    ),
    # ... in a page's path, query or form; the export answered an empty file.
    ("GET", "/laporan/opd/{opd}", {"params": {**SCOPE, "q": "\x00"}}, 400, f"q: {NUL_SAID}"),
    ("GET", "/laporan/opd/a%00b", {}, 404, f"kode_skpd: {NUL_SAID}"),
    (
        "GET",
        "/laporan/opd/{opd}/ekspor.csv",
        {"params": {**SCOPE, "q": "\x00"}},
        400,
        f"q: {NUL_SAID}",
    ),
    (
        "POST",
        "/laporan/mismatch/{m}/akui",
        {"form": {"catatan": "a\x00"}},
        400,
        f"catatan: {NUL_SAID}",
    ),
    # A superscript digit passed isdigit() and failed int().
    ("GET", "/laporan/mismatch/%C2%B2", {}, 404, f"mismatch_id: {DIGITS_SAID}"),
    (
        "GET",
        "/laporan",
        {"params": {"tahun_anggaran": "²²²²"}},
        400,
        f"tahun_anggaran: {DIGITS_SAID}",
    ),
    (
        "GET",
        "/api/v1/mismatches",
        {"params": {"tahun_anggaran": "²²²²"}},
        422,
        f"tahun_anggaran: {DIGITS_SAID}",
    ),
    # Numbers beyond the column: 2^63 on SQLite, 2^31 on PostgreSQL.
    (
        "GET",
        "/laporan/opd/{opd}",
        {"params": {"halaman": str(2**63)}},
        400,
        f"halaman: {ABOVE_32_BIT}",
    ),
    (
        "GET",
        "/laporan/opd/{opd}",
        {"params": {"halaman": str(2**31)}},
        400,
        f"halaman: {ABOVE_32_BIT}",
    ),
    ("GET", f"/laporan/mismatch/{2**31}", {}, 404, f"mismatch_id: {ABOVE_32_BIT}"),
    ("POST", f"/laporan/mismatch/{2**31}/akui", {"form": {}}, 404, f"mismatch_id: {ABOVE_32_BIT}"),
)


def test_what_was_found_from_outside_is_a_clear_4xx(caller: Caller) -> None:
    """Each finding, with the answer a person now reads: the API's JSON error,
    the pages' HTML page, naming the field and what is wrong with it."""
    wrong = []
    for method, template, sent, status, said in FOUND:
        path = template.format(m=caller.valid["mismatch_id"], opd=laporan_data.OPD_A)
        answer = caller.request(method, path, **sent)
        api = path.startswith("/api/")
        shown = answer.json()["detail"] if api and answer.status_code < 500 else answer.text
        kind = answer.headers.get("content-type", "")
        if (answer.status_code, said in shown) != (status, True) or not kind.startswith(
            "application/json" if api else "text/html"
        ):
            wrong.append(f"{method} {path}: {answer.status_code} {kind} {shown[:200]!r}")
    assert not wrong, "\n".join(wrong)
