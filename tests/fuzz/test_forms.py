"""The planners' pages' forms and filters, which the OpenAPI document does not
describe, under hypothesis-driven requests: arbitrary fields and values, with
and without a valid form token (CSRF) and session. Never a 5xx, never a stack
trace in the page; the 4xx each kind of bad input deserves; a good form works."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from app.mismatches.siklus import Keputusan
from tests.e2e import laporan_data
from tests.fuzz.conftest import Fuzzed
from tests.fuzz.counts import CASES

MAX_EXAMPLES = 300
FORMS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
FORM = "application/x-www-form-urlencoded"
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# What a form field may not hold (app.http.inputs): control characters (a note
# keeps tabs and line breaks), bidi overrides, lone surrogates; nor be too long.
_NEVER = "\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
ONE_LINE = re.compile(f"[\x00-\x1f{_NEVER}]")
NOTE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f{_NEVER}]")
SIGN_IN_FIELDS = {"csrf": (ONE_LINE, 2000), "kunci": (ONE_LINE, 200), "lanjut": (ONE_LINE, 2000)}
DECISION_FIELDS = {
    "csrf": (ONE_LINE, 2000),
    "catatan": (NOTE, 2000),
    "alasan": (NOTE, 2000),
    "kembali": (ONE_LINE, 2000),
}


def refused(form: dict[str, str], fields: dict[str, tuple[re.Pattern[str], int]]) -> bool:
    """Whether a field the form declares holds what no field may (400)."""
    return any(
        name in form and (bool(never.search(form[name])) or len(form[name].strip()) > longest)
        for name, (never, longest) in fields.items()
    )


TRACE = re.compile(r"Traceback|File \"|sqlalchemy|psycopg|\bat 0x[0-9a-f]+")

# Text as people and tools send it: letters, digits, punctuation, control
# characters, other scripts; now and then very long.
any_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=0, max_size=300),
    st.sampled_from(["", " ", "0", "-1", "9" * 30, "<script>", "' OR 1=1 --", "%00", "\x00"]),
    st.integers(2000, 2300).map(str),
)
field_names = st.one_of(
    st.sampled_from(["kunci", "csrf", "lanjut", "catatan", "alasan", "kembali"]),
    st.text(max_size=20),
)
fields = st.dictionaries(field_names, any_text, max_size=8)


@pytest.fixture(scope="module")
def browser(fuzzed: Fuzzed) -> Iterator[TestClient]:
    with TestClient(fuzzed.app, follow_redirects=False) as client:
        yield client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None, "no form token in the page"
    return found.group(1)


def signed_in(browser: TestClient, key: str) -> tuple[dict[str, str], str]:
    """A fresh browser session for ``key``: its cookies and its form token."""
    browser.cookies.clear()
    token = csrf_of(browser.get("/laporan/masuk").text)
    answer = browser.post("/laporan/masuk", data={"kunci": key, "csrf": token})
    assert answer.status_code == 303, answer.text
    cookies = dict(browser.cookies)
    page = browser.get("/laporan/opd/" + laporan_data.OPD_A)
    assert page.status_code == 200
    return cookies, csrf_of(page.text)


def assert_clean(answer: httpx.Response) -> None:
    assert answer.status_code < 500, (answer.status_code, answer.text[:500])
    assert not TRACE.search(answer.text), answer.text[:2000]


def send_form(
    browser: TestClient,
    path: str,
    form: dict[str, str],
    cookies: dict[str, str],
    kind: str,
) -> httpx.Response:
    browser.cookies.clear()
    for name, value in cookies.items():
        browser.cookies.set(name, value, path="/laporan")
    # Encoded by hand: an empty form is still a form (httpx sends no body for data={}).
    body = urlencode(form, encoding="utf-8", errors="surrogatepass").encode("ascii")
    return browser.post(path, content=body, headers={"Content-Type": kind} if kind else {})


kinds = st.sampled_from(
    [FORM, FORM, FORM, "application/json", "multipart/form-data", "text/plain", ""]
)


@FORMS
@given(form=fields, token=st.sampled_from(["valid", "wrong", "missing"]), kind=kinds)
def test_sign_in_form(
    browser: TestClient, fuzzed: Fuzzed, form: dict[str, str], token: str, kind: str
) -> None:
    CASES["forms: sign-in"] += 1
    browser.cookies.clear()
    issued = csrf_of(browser.get("/laporan/masuk").text)
    cookies = dict(browser.cookies)
    form = dict(form)
    if token == "valid":
        form["csrf"] = issued
    elif token == "wrong":
        form["csrf"] = form.get("csrf", "") + "x"
    else:
        form.pop("csrf", None)
    answer = send_form(browser, "/laporan/masuk", form, cookies, kind)
    assert_clean(answer)
    if kind != FORM:
        assert answer.status_code == 415
    elif refused(form, SIGN_IN_FIELDS):
        assert answer.status_code == 400
    elif token != "valid":
        assert answer.status_code == 403
    else:
        # Arbitrary text is never a key.
        assert answer.status_code == 401
        assert "Kunci tidak dikenal" in answer.text


def test_sign_in_with_a_real_key_lands_on_the_planners_opd(
    browser: TestClient, fuzzed: Fuzzed
) -> None:
    cookies, _ = signed_in(browser, fuzzed.planner)
    assert "sinkron_sesi" in cookies


# A path segment: anything but empty, "." and ".." (which name another path).
segments = any_text.filter(lambda t: t not in {"", ".", ".."})
mismatch_ids = st.one_of(st.integers(-5, 60).map(str), segments)
keputusan = st.one_of(st.sampled_from([k.value for k in Keputusan]), segments)


@FORMS
@given(
    mismatch_id=mismatch_ids,
    chosen=keputusan,
    form=fields,
    token=st.sampled_from(["valid", "wrong", "missing"]),
    session=st.sampled_from(["planner", "none", "stale"]),
    kind=kinds,
)
def test_decision_form(  # noqa: PLR0917 (hypothesis passes the drawn values by name)
    browser: TestClient,
    fuzzed: Fuzzed,
    mismatch_id: str,
    chosen: str,
    form: dict[str, str],
    token: str,
    session: str,
    kind: str,
) -> None:
    CASES["forms: decisions"] += 1
    cookies, issued = _session(browser, fuzzed, session)
    form = dict(form)
    if token == "valid":
        form["csrf"] = issued
    elif token == "wrong":
        form["csrf"] = issued[::-1]
    else:
        form.pop("csrf", None)
    path = f"/laporan/mismatch/{_segment(mismatch_id)}/{_segment(chosen)}"
    answer = send_form(browser, path, form, cookies, kind)
    assert_clean(answer)
    segments = mismatch_id + chosen
    if "/" in segments:  # decoded by the server: a path of another shape, no route
        # ... or, ending in "/", one the router redirects to without it.
        assert answer.status_code in ({404, 307} if chosen.endswith("/") else {404})
    elif session != "planner":
        assert answer.status_code == 401
    elif kind != FORM:
        assert answer.status_code == 415
    elif refused(form, DECISION_FIELDS):
        assert answer.status_code == 400
    elif not names_a_decision(mismatch_id, chosen):
        assert answer.status_code == 404
    elif token != "valid":
        assert answer.status_code == 403
    else:
        assert answer.status_code in {303, 404, 409}
        if answer.status_code == 303:
            assert answer.headers["location"].startswith("/laporan")


def names_a_decision(mismatch_id: str, chosen: str) -> bool:
    """A path that can name a mismatch (digits, a 32-bit id) and a decision."""
    number = mismatch_id.isascii() and mismatch_id.isdigit() and 1 <= int(mismatch_id) < 2**31
    return number and chosen in {k.value for k in Keputusan}


_sessions: dict[str, tuple[dict[str, str], str]] = {}


def _session(browser: TestClient, fuzzed: Fuzzed, kind: str) -> tuple[dict[str, str], str]:
    if kind == "none":
        return {}, "tanpa-sesi"
    if kind == "stale":
        return {"sinkron_sesi": "sesi-yang-sudah-berakhir"}, "tanpa-sesi"
    if fuzzed.planner not in _sessions:
        _sessions[fuzzed.planner] = signed_in(browser, fuzzed.planner)
    return _sessions[fuzzed.planner]


def _segment(text: str) -> str:
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


filters = st.fixed_dictionaries(
    {},
    optional={
        name: any_text
        for name in ("tahun_anggaran", "tahap", "kategori", "status", "q", "halaman", "lanjut")
    },
)
opd_paths = st.one_of(st.sampled_from([laporan_data.OPD_A, laporan_data.OPD_B, "-"]), segments)


@FORMS
@given(kode=opd_paths, query=filters, page=st.sampled_from(["", "/ekspor.csv", "/ekspor.xlsx"]))
def test_report_filters(
    browser: TestClient, fuzzed: Fuzzed, kode: str, query: dict[str, str], page: str
) -> None:
    CASES["forms: filters"] += 1
    cookies, _ = _session(browser, fuzzed, "planner")
    browser.cookies.clear()
    for name, value in cookies.items():
        browser.cookies.set(name, value, path="/laporan")
    answer = browser.get(f"/laporan/opd/{_segment(kode)}{page}", params=query)
    assert_clean(answer)
    if kode == laporan_data.OPD_B:
        # Another OPD's page does not exist for this key (a bad filter is a 400
        # first, for any OPD, so that says nothing about this one).
        assert answer.status_code in {400, 404}
    assert answer.status_code in {200, 400, 404, 422}, answer.text[:300]
    if answer.status_code == 422:
        assert CONTROL.search(kode + "".join(query.values()))


@FORMS
@given(query=filters)
def test_overview_and_sign_in_page_filters(
    browser: TestClient, fuzzed: Fuzzed, query: dict[str, Any]
) -> None:
    CASES["forms: filters"] += 1
    cookies, _ = _session(browser, fuzzed, "planner")
    browser.cookies.clear()
    for name, value in cookies.items():
        browser.cookies.set(name, value, path="/laporan")
    for path in ("/laporan", "/laporan/masuk"):
        answer = browser.get(path, params=query)
        assert_clean(answer)
        assert answer.status_code in {200, 400}, answer.text[:300]
