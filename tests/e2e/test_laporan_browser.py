"""The report pages in a real browser: Debian's chromium, driven by Playwright,
against the service on loopback. Screenshots (and the printed A4 PDF) land in
screenshots/ at the top of the repository (git-ignored) for people to look at."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import select

from app import migrate
from app.access import keys
from app.access.keys import Role
from app.config import Settings
from app.db import make_engine, make_session_factory, session_scope
from app.main import create_app
from app.models import Mismatch, MismatchEvent
from standins.server import ServerThread
from tests.e2e.laporan_halaman_data import NAMA, PU, seed

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
# No download, no sandbox (CI runs as root in a container), nothing from the network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"{CHROMIUM} not found: apt-get install chromium"
    ),
    pytest.mark.skipif(
        importlib.util.find_spec("playwright") is None,
        reason="playwright is not installed (pip install -e '.[dev]')",
    ),
]


@pytest.fixture
def service(tmp_path: Path) -> Iterator[dict[str, Any]]:
    url = f"sqlite:///{tmp_path / 'sinkron.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    seed(sessions)
    with session_scope(sessions) as session:
        key = keys.create(session, name="perencana-bappeda", role=Role.PLANNER)
    settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
    with ServerThread(create_app(settings, engine)) as server:
        yield {"url": server.url, "key": key, "sessions": sessions}
    engine.dispose()


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


# Every Content-Security-Policy violation of a page, as the browser reports it.
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}`);
});
"""


def csp_violations(page: Any) -> list[str]:
    return list(page.evaluate("window.__cspViolations"))


def offline_context(browser: Any, service: dict[str, Any], **options: Any) -> Any:
    """A browser on an intranet with no internet: any request that is not to
    the service fails, as it would there, and is remembered."""
    context = browser.new_context(**options)
    context.outside = []

    def only_the_service(route: Any) -> None:
        if route.request.url.startswith(service["url"]):
            route.continue_()
        else:
            context.outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_the_service)
    context.add_init_script(WATCH_CSP)
    return context


def test_a_planner_signs_in_decides_and_downloads_the_report(
    service: dict[str, Any], browser: Any, tmp_path: Path
) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    context = browser.new_context(
        accept_downloads=True, viewport={"width": 1366, "height": 768}, locale="id-ID"
    )
    # The pages' own script and stylesheet pass their Content-Security-Policy.
    context.add_init_script(WATCH_CSP)
    violations: list[str] = []
    page = context.new_page()
    page.on("load", lambda p: violations.extend(f"{p.url}: {v}" for v in csp_violations(p)))
    page.set_default_timeout(15_000)
    outside: list[str] = []
    page.on(
        "request",
        lambda r: None if r.url.startswith(service["url"]) else outside.append(r.url),
    )
    sign_in_and_read_the_overview(page, service)
    drill_into_an_opd_and_filter(page)
    acknowledge_and_except(page, service)
    download_the_excel_file(page, tmp_path)
    print_for_a_meeting(page)
    mistype_an_address(page, service)
    violations.extend(csp_violations(page))
    context.close()
    assert outside == [], f"the pages asked for something outside the service: {outside}"
    assert violations == [], f"the pages broke their Content-Security-Policy: {violations}"


def test_the_api_docs_render_on_an_intranet_with_no_internet(
    service: dict[str, Any], browser: Any
) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    context = offline_context(browser, service, viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{service['url']}/docs")
    page.wait_for_selector(".swagger-ui .info .title")
    assert page.inner_text(".swagger-ui .info .title").startswith("Sinkron")
    assert page.locator(".opblock").count() >= 20  # the API's operations
    # An operation opens, with its parameters (icons are data: images in the CSS).
    page.click("#operations-status-status_api_v1_status_get .opblock-summary")
    page.wait_for_selector("#operations-status-status_api_v1_status_get .opblock-body")
    page.screenshot(path=str(SCREENSHOTS / "docs.png"))
    assert csp_violations(page) == []

    page.goto(f"{service['url']}/redoc")
    page.wait_for_selector(".api-info h1")
    assert page.inner_text(".api-info h1").startswith("Sinkron")
    assert page.locator("[role=menuitem]").count() >= 20
    page.screenshot(path=str(SCREENSHOTS / "redoc.png"))
    # ReDoc's own bundle shows a Redocly logo from its CDN: the policy blocks
    # it (and the logo hides itself); nothing else is refused.
    blocked = [v for v in csp_violations(page) if "cdn.redoc.ly" not in v]
    assert blocked == []
    context.close()
    assert [u for u in context.outside if "cdn.redoc.ly" not in u] == []


def sign_in_and_read_the_overview(page: Any, service: dict[str, Any]) -> None:
    # The first page asks for the key, then goes where it was going.
    page.goto(f"{service['url']}/laporan")
    assert "/laporan/masuk" in page.url
    page.screenshot(path=str(SCREENSHOTS / "laporan-masuk.png"))
    page.fill("#kunci", service["key"])
    page.click("button:has-text('Masuk')")
    page.wait_for_url(f"{service['url']}/laporan")
    assert page.inner_text("h1") == "Ketidaksesuaian data per perangkat daerah"
    assert page.locator("table.peringkat tbody tr").count() == 3
    assert page.locator("svg.tren polyline").count() == 4
    page.screenshot(path=str(SCREENSHOTS / "laporan-ringkasan.png"), full_page=True)
    assert no_horizontal_scroll(page)


def drill_into_an_opd_and_filter(page: Any) -> None:
    # The OPD with the most open mismatches is first.
    page.click(f"text={NAMA[PU]}")
    page.wait_for_url(f"**/laporan/opd/{PU}?**")
    assert page.inner_text("h1") == NAMA[PU]
    assert page.locator("table.mismatch tbody tr").count() == 5
    page.screenshot(path=str(SCREENSHOTS / "laporan-opd.png"), full_page=True)
    assert no_horizontal_scroll(page)

    page.select_option("select[name=kategori]", "pagu_berbeda")
    page.click("button:has-text('Saring')")
    page.wait_for_url("**kategori=pagu_berbeda**")
    rows = page.locator("table.mismatch tbody tr")
    assert rows.count() == 1
    assert "Rp 1.250.000.000" in rows.first.inner_text()


def acknowledge_and_except(page: Any, service: dict[str, Any]) -> None:
    # Acknowledging with a note; the page comes back with the same filter.
    row = page.locator("table.mismatch tbody tr").first
    row.locator("input[name=catatan]").first.fill("sedang dicek bidang anggaran")
    row.locator("button:has-text('Akui')").click()
    page.wait_for_load_state()
    assert "kategori=pagu_berbeda" in page.url
    assert page.locator("table.mismatch tbody tr .status").first.inner_text() == "diakui"
    # Its own page tells the story so far.
    page.locator("table.mismatch tbody tr td.no a").first.click()
    page.wait_for_url("**/laporan/mismatch/*")
    history = page.locator("table.riwayat tbody tr")
    assert history.count() == 2  # found, then acknowledged
    assert "sedang dicek bidang anggaran" in history.last.inner_text()
    page.screenshot(path=str(SCREENSHOTS / "laporan-mismatch.png"), full_page=True)
    page.go_back()

    # Excepting another: without a reason the browser itself refuses the form.
    page.click("text=Hapus saringan")
    page.wait_for_url(f"**/laporan/opd/{PU}?tahun_anggaran=*")
    row = page.locator("table.mismatch tbody tr", has_text="Rehab Jembatan")
    before = page.url
    row.locator("button:has-text('Kecualikan')").click()
    assert row.locator("input[name=alasan]:invalid").count() == 1
    assert page.url == before
    row.locator("input[name=alasan]").fill("nama lama dipakai sampai APBD Perubahan")
    row.locator("button:has-text('Kecualikan')").click()
    page.wait_for_load_state()
    assert page.locator("table.mismatch tbody tr", has_text="Rehab Jembatan").count() == 0
    assert page.locator("table.mismatch tbody tr").count() == 4

    with session_scope(service["sessions"]) as session:
        decided = session.execute(
            select(Mismatch.kategori, MismatchEvent.ke, MismatchEvent.catatan)
            .join(MismatchEvent, MismatchEvent.mismatch_id == Mismatch.id)
            .where(MismatchEvent.oleh == "perencana-bappeda")
            .order_by(MismatchEvent.id)
        ).all()
    assert [tuple(d) for d in decided] == [
        ("pagu_berbeda", "diakui", "sedang dicek bidang anggaran"),
        ("nama_berbeda", "dikecualikan", "nama lama dipakai sampai APBD Perubahan"),
    ]


def download_the_excel_file(page: Any, tmp_path: Path) -> None:
    with page.expect_download() as info:
        page.click("text=Unduh Excel (.xlsx)")
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    assert saved.name == f"sinkron-mismatch-2026-renja-{PU}.xlsx"
    book = openpyxl.load_workbook(saved, read_only=True)
    assert book.sheetnames[0] == "Ringkasan"
    texts = [
        str(cell)
        for sheet in book.worksheets[1:]
        for values in sheet.iter_rows(values_only=True)
        for cell in values
        if cell is not None
    ]
    book.close()
    assert "sedang dicek bidang anggaran" in texts
    assert not any("Rehab Jembatan" in t for t in texts)  # excepted: no longer open


def print_for_a_meeting(page: Any) -> None:
    # A4 landscape, without buttons or forms.
    page.emulate_media(media="print")
    assert page.locator("form.saringan").is_hidden()
    assert page.locator("table.mismatch button").first.is_hidden()
    page.screenshot(path=str(SCREENSHOTS / "laporan-opd-cetak.png"), full_page=True)
    page.pdf(path=str(SCREENSHOTS / "laporan-opd.pdf"), prefer_css_page_size=True)


def mistype_an_address(page: Any, service: dict[str, Any]) -> None:
    # A page that does not exist is the report's own page, still signed in.
    page.emulate_media(media="screen")
    answer = page.goto(f"{service['url']}/laporan/opd-salah-ketik")
    assert answer is not None and answer.status == 404
    assert page.inner_text("h1") == "Halaman tidak ditemukan"
    assert "perencana-bappeda" in page.inner_text("header")
    page.screenshot(path=str(SCREENSHOTS / "laporan-404.png"))
    page.click("text=Kembali ke ringkasan")
    page.wait_for_url(f"{service['url']}/laporan")


def no_horizontal_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))
