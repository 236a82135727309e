"""What every answer of the service looks like from outside: the security
headers, HEAD wherever GET works, redirects that never echo the Host header,
error pages for browsers (JSON for the API), sentences in Bahasa Indonesia,
and the API's documentation pages with nothing from another origin."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import Engine
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.config import Settings
from app.main import create_app
from tests.e2e.laporan_halaman_data import PU, TAHAP, TAHUN
from tests.e2e.test_laporan_pages import Site, make_site

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
ASSETS = ("/laporan/aset/", "/docs/aset/")


@pytest.fixture
def site(engine: Engine, database_url: str) -> Iterator[Site]:
    yield from make_site(engine, database_url)


def assert_guarded(answer: httpx.Response, where: str) -> None:
    """The headers every answer carries, whatever it is and whoever made it."""
    headers = answer.headers
    assert headers.get("x-content-type-options") == "nosniff", where
    assert headers.get("x-frame-options") == "DENY", where
    assert headers.get("referrer-policy") == "same-origin", where
    policy = headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in policy, where
    assert "default-src 'none'" in policy, where
    # Only the service's own origin: no other host, no inline code, no wildcard.
    assert not re.search(r"https?:|\*|'unsafe-", policy), (where, policy)
    cached = where.startswith(ASSETS) and answer.status_code == 200
    assert headers.get("cache-control") == ("public, max-age=3600" if cached else "no-store"), where


def get_paths(app: FastAPI) -> list[str]:
    """Every path a GET route of the app's router answers, from the router itself
    (included routers and all), so a route added later is walked too."""
    return sorted(
        {
            route.path
            for route in iter_route_contexts(app.routes)
            if route.path and "GET" in (route.methods or ())
        }
    )


def concrete(path: str, mismatch_id: int) -> str:
    samples = {
        "/laporan/aset/{nama}": "/laporan/aset/laporan.css",
        "/docs/aset/{berkas}": "/docs/aset/swagger-ui.css",
    }
    path = samples.get(path, path)
    path = path.replace("{kode_skpd}", PU).replace("{mismatch_id}", str(mismatch_id))
    return re.sub(r"\{[^}]+\}", "1", path)


def test_every_get_route_answers_head_as_get_and_every_answer_carries_the_headers(
    site: Site,
) -> None:
    site.sign_in("admin")
    key = {"X-API-Key": site.keys["admin"]}
    query = {"tahun_anggaran": TAHUN, "tahap": TAHAP}
    mismatch_id = site.mismatch("pagu_berbeda").id
    paths = get_paths(site.client.app)  # type: ignore[arg-type]
    assert {"/", "/docs", "/redoc", "/laporan", "/api/v1/status", "/openapi.json"} <= set(paths)
    answered: dict[str, int] = {}
    for template in paths:
        path = concrete(template, mismatch_id)
        wants = query if "ringkasan" in path or "export" in path or "ekspor" in path else {}
        got = site.client.get(path, headers=key, params=wants, follow_redirects=False)
        head = site.client.head(path, headers=key, params=wants, follow_redirects=False)
        assert head.status_code == got.status_code, (path, head.status_code, got.text[:200])
        assert head.content == b"", path
        for name in ("content-type", "location", "content-disposition"):
            assert head.headers.get(name) == got.headers.get(name), (path, name)
        assert_guarded(got, path)
        assert_guarded(head, path)
        answered[template] = got.status_code
    # Not a walk over errors: the pages, the API and the documents answer.
    ok = {t for t, status in answered.items() if status == 200}
    assert {"/laporan", "/laporan/opd/{kode_skpd}", "/api/v1/status", "/docs", "/redoc"} <= ok
    assert {"/api/v1/ringkasan", "/laporan/opd/{kode_skpd}/ekspor.xlsx", "/metrics"} <= ok


def test_refusals_errors_and_crashes_carry_the_headers_too(site: Site) -> None:
    client = site.client
    planner = {"X-API-Key": site.keys["planner"]}
    answers = {
        "guard: no key": client.get("/api/v1/status"),
        "guard: role": client.get("/api/v1/audit", headers=planner),
        "guard: body too large": client.post(
            "/api/v1/runs", headers={"X-API-Key": site.keys["admin"]}, content=b"x" * 2_000_000
        ),
        "router: 404": client.get("/tidak-ada"),
        "router: 405": client.delete("/api/v1/status", headers=planner),
        "validation: 422": client.get("/api/v1/runs?limit=x", headers=planner),
        "page: 404": client.get("/laporan/aset/tidak-ada.css", headers=BROWSER),
    }
    assert [a.status_code for a in answers.values()] == [401, 403, 413, 404, 405, 422, 404]
    for where, answer in answers.items():
        assert_guarded(answer, where)

    crash(site)
    with TestClient(site.client.app, raise_server_exceptions=False) as quiet:
        for accept in ({}, BROWSER):
            answer = quiet.get("/laporan/rusak", headers=accept)
            assert answer.status_code == 500
            assert "Traceback" not in answer.text and "RuntimeError" not in answer.text
            assert_guarded(answer, "crash")


def crash(site: Site) -> None:
    """A route that fails as a bug would, added to the running service's router."""

    def rusak(_request: Request) -> Response:
        raise RuntimeError("sengaja gagal")

    site.client.app.router.routes.append(Route("/laporan/rusak", rusak))  # type: ignore[attr-defined]


def test_a_redirect_never_echoes_the_host_header(site: Site) -> None:
    for path, target in (("/laporan/", "/laporan"), ("/api/v1/status/", "/api/v1/status")):
        answer = site.client.get(path, headers={"Host": "evil.example"}, follow_redirects=False)
        assert answer.status_code == 307
        assert answer.headers["location"] == target, path


def test_with_a_base_url_redirects_are_built_from_it(engine: Engine, database_url: str) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        base_url="https://sinkron.meranti.go.id/",
    )
    with TestClient(create_app(settings, engine), follow_redirects=False) as client:
        evil = {"Host": "evil.example"}
        assert client.get("/laporan/", headers=evil).headers["location"] == (
            "https://sinkron.meranti.go.id/laporan"
        )
        assert client.get("/", headers=evil).headers["location"] == (
            "https://sinkron.meranti.go.id/laporan"
        )
        answer = client.get("/laporan", headers=evil)
        assert answer.headers["location"].startswith(
            "https://sinkron.meranti.go.id/laporan/masuk?lanjut="
        )
        # Reached over HTTPS: browsers are told to keep to it.
        assert answer.headers["strict-transport-security"] == "max-age=31536000"


def test_base_url_is_an_optional_address_without_query() -> None:
    def settings(value: str) -> Settings:
        return Settings(_env_file=None, base_url=value)  # type: ignore[call-arg]

    assert settings("").base_url is None
    assert settings("https://sinkron.meranti.go.id/").base_url_text == (
        "https://sinkron.meranti.go.id"
    )
    assert settings("http://10.0.0.5:8000/sinkron").base_url_text == (
        "http://10.0.0.5:8000/sinkron"
    )
    for wrong in ("sinkron.meranti.go.id", "ftp://x", "https://x/?a=1"):
        with pytest.raises(ValidationError):
            settings(wrong)


def test_a_browser_opening_the_bare_address_lands_on_the_report(site: Site) -> None:
    first = site.client.get("/", headers=BROWSER, follow_redirects=False)
    assert (first.status_code, first.headers["location"]) == (307, "/laporan")
    landed = site.client.get("/", headers=BROWSER)
    assert landed.status_code == 200
    assert str(landed.url).startswith("http://testserver/laporan/masuk")
    assert "Masuk ke laporan ketidaksesuaian" in landed.text


def test_a_browser_gets_error_pages_in_the_reports_style_and_the_api_keeps_json(
    site: Site,
) -> None:
    client = site.client
    mistyped = client.get("/laporan/opd-salah/ketik", headers=BROWSER)
    assert mistyped.status_code == 404
    assert mistyped.headers["content-type"].startswith("text/html")
    assert '<link rel="stylesheet" href="/laporan/aset/laporan.css">' in mistyped.text
    assert "<h1>Halaman tidak ditemukan</h1>" in mistyped.text
    assert "Alamat ini tidak ada; periksa penulisannya" in mistyped.text
    assert "Masuk sebagai" not in mistyped.text  # nobody signed in yet

    site.sign_in("planner")
    for path in ("/laporan/opd-salah/ketik", "/salah-ketik", "/laporan/aset/tidak-ada.css"):
        page = client.get(path, headers=BROWSER)
        assert page.status_code == 404, path
        assert "<h1>Halaman tidak ditemukan</h1>" in page.text, path
    # The session cookie goes to /laporan only: there the header names the reader.
    signed = client.get("/laporan/opd-salah/ketik", headers=BROWSER)
    assert "Masuk sebagai <strong>perencana-bappeda</strong>" in signed.text
    assert 'action="/laporan/keluar"' in signed.text

    wrong_method = client.delete("/laporan/masuk", headers=BROWSER)
    assert wrong_method.status_code == 405
    assert wrong_method.headers["allow"] == "GET, HEAD, POST"
    assert "<h1>Metode tidak diizinkan</h1>" in wrong_method.text
    assert "Metode DELETE tidak dapat dipakai di alamat ini" in wrong_method.text

    forged = client.post("/laporan/keluar", data={"csrf": "palsu"}, headers=BROWSER)
    assert forged.status_code == 403
    assert "<h1>Formulir ditolak</h1>" in forged.text and "Masuk sebagai" in forged.text

    crash(site)
    with TestClient(client.app, raise_server_exceptions=False, cookies=client.cookies) as quiet:
        broken = quiet.get("/laporan/rusak", headers=BROWSER)
        assert broken.status_code == 500
        assert "<h1>Terjadi kesalahan di server</h1>" in broken.text
        assert "Masuk sebagai <strong>perencana-bappeda</strong>" in broken.text
        assert quiet.get("/laporan/rusak").json()["error"] == "galat_internal"

    # The API answers JSON to everyone, a browser included; so does a client
    # that does not ask for HTML.
    for path, headers in (("/api/v1/salah", BROWSER), ("/laporan/salah", {"Accept": "*/*"})):
        answer = client.get(path, headers=headers)
        assert answer.status_code == 404
        assert answer.json()["error"] == "tidak_ditemukan"
    denied = client.get("/api/v1/audit", headers=BROWSER)
    assert (denied.status_code, denied.json()["error"]) == (401, "tidak_terautentikasi")


def test_404_and_405_say_what_is_wrong_in_bahasa_indonesia(site: Site) -> None:
    key = {"X-API-Key": site.keys["admin"]}
    missing = site.client.get("/api/v2/status", headers=key)
    assert missing.status_code == 404
    assert missing.json() == {
        "error": "tidak_ditemukan",
        "detail": "alamat ini tidak ada; periksa penulisannya",
    }
    for method, path, allow in (
        ("DELETE", "/api/v1/runs", "GET, HEAD, POST"),
        ("PUT", "/api/v1/status", "GET, HEAD"),
        ("HEAD", "/api/v1/mismatches/keputusan", "POST"),
        ("GET", "/api/v1/mismatches/keputusan", "POST"),
    ):
        answer = site.client.request(method, path, headers=key)
        assert (answer.status_code, answer.headers["allow"]) == (405, allow), (method, path)
        if method != "HEAD":
            assert answer.json() == {
                "error": "metode_tidak_diizinkan",
                "detail": f"metode {method} tidak dapat dipakai di alamat ini; yang dapat: {allow}",
            }
    for answer in (missing, site.client.get("/salah"), site.client.put("/healthz")):
        assert "Not Found" not in answer.text and "Method Not Allowed" not in answer.text


class Links(HTMLParser):
    """Every address a page makes the browser load or offers to follow."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href", "spec-url", "data-openapi", "action") and value:
                self.found.append(value)


def test_docs_and_redoc_load_everything_from_the_service(site: Site) -> None:
    vendor: set[str] = set()
    for page in ("/docs", "/redoc"):
        answer = site.client.get(page, headers=BROWSER)
        assert answer.status_code == 200
        assert "http://" not in answer.text and "https://" not in answer.text, page
        assert "<script>" not in answer.text and "<style" not in answer.text, page
        links = Links()
        links.feed(answer.text)
        assert len(links.found) >= 3, links.found
        for link in links.found:
            assert link.startswith("/") and not link.startswith("//"), (page, link)
            asset = site.client.get(link)
            assert asset.status_code == 200, (page, link)
            assert asset.content, link
            vendor.add(Path(link).name)
    assert {"swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js"} <= vendor
    assert site.client.get("/docs/aset/..%2F__init__.py").status_code == 404
    # Each ReDoc answer lets in its own styles by a nonce of its own.
    nonces = {
        re.search(
            r"'nonce-([^']+)'", site.client.get("/redoc").headers["content-security-policy"]
        ).group(1)  # type: ignore[union-attr]
        for _ in range(2)
    }
    assert len(nonces) == 2
