"""A held run's plan in a real browser (Debian's chromium, driven by
Playwright): an admin reads the table OPD × aksi and the list before → after
on a desktop and on a 360 px phone, downloads the Excel file and approves.
Screenshots land where tests/e2e/test_laporan_browser.py puts its own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import Engine, select

from app.access import keys
from app.access.keys import Role
from app.db import session_scope
from app.main import create_app
from app.models import RunStatus, SyncRun
from standins.server import ServerThread
from tests.e2e import test_laporan_browser as report_browser
from tests.e2e.conftest import World
from tests.e2e.test_laporan_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    SCREENSHOTS,
    WATCH_CSP,
    csp_violations,
    no_horizontal_scroll,
)
from tests.e2e.test_pratinjau import OPD, _guarded, _switch_off_forty_percent
from tests.e2e.test_schedule_sees_eplanning import scheduled_run

# Slow, and skipped without chromium or playwright, as the report's own walk.
pytestmark = report_browser.pytestmark


@pytest.fixture
def held(world: World, engine: Engine, database_url: str) -> Iterator[dict[str, Any]]:
    if not database_url.startswith("sqlite"):
        pytest.skip("one browser walk is enough: on SQLite")
    _guarded(world)
    world.sync(full=True)
    _switch_off_forty_percent(world)
    summary = scheduled_run(world, 20)
    assert summary.status is RunStatus.HELD
    with session_scope(world.sessions) as session:
        key = keys.create(session, name="admin-bappeda", role=Role.ADMIN)
    with ServerThread(create_app(world.settings, engine)) as server:
        yield {"url": server.url, "key": key, "run_id": summary.run_id, "world": world}


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def test_an_admin_reads_a_held_plan_on_desktop_and_phone_and_approves_it(
    held: dict[str, Any], browser: Any, tmp_path: Path
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {SCREENSHOTS}")
    address = f"{held['url']}/laporan/pratinjau/{held['run_id']}"
    context = browser.new_context(
        accept_downloads=True, viewport={"width": 1366, "height": 768}, locale="id-ID"
    )
    context.add_init_script(WATCH_CSP)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(address)
    page.fill("#kunci", held["key"])
    page.click("button:has-text('Masuk')")
    page.wait_for_url(address)
    assert page.inner_text("h1") == (
        f"Rencana run #{held['run_id']}: yang akan ditulis ke E-Planning"
    )
    assert "8 dari 18 data dinonaktifkan" in page.inner_text("section.ditahan")
    held_row = page.locator("table.rencana-opd tbody tr.ditahan")
    assert held_row.count() == 1 and OPD in held_row.inner_text()
    page.screenshot(path=str(SCREENSHOTS / "pratinjau.png"), full_page=True)
    assert no_horizontal_scroll(page)

    filter_and_download(page, tmp_path)
    read_on_a_phone(browser, context, address)

    # Approved from the page: a run applies it.
    page.goto(address)
    page.click("button:has-text('Setujui dan kirim ke E-Planning')")
    page.wait_for_selector("#pesan-simpan")
    assert "Rencana disetujui" in page.inner_text("#pesan-simpan")
    page.screenshot(path=str(SCREENSHOTS / "pratinjau-disetujui.png"))
    assert csp_violations(page) == []
    context.close()
    with session_scope(held["world"].sessions) as session:
        applying = session.scalars(
            select(SyncRun).where(SyncRun.menerapkan_run_id == held["run_id"])
        )
        assert len(applying.all()) == 1


def filter_and_download(page: Any, tmp_path: Path) -> None:
    """The held OPD's deactivations, by a click on its count; then their Excel file."""
    held_row = page.locator("table.rencana-opd tbody tr.ditahan")
    held_row.locator("td[data-label='Nonaktifkan'] a").click()
    page.wait_for_url("**aksi=deactivate**")
    rows = page.locator("table.rencana tbody.baris-rencana")
    assert rows.count() == 8
    assert rows.first.locator("td[data-label='Aksi']").inner_text().startswith("nonaktifkan")

    with page.expect_download() as download:
        page.click("a:has-text('Unduh Excel (.xlsx)')")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    book = openpyxl.load_workbook(saved, read_only=True)
    lines = list(book["Rencana"].iter_rows(values_only=True))
    start = next(i for i, r in enumerate(lines) if r[0] == "No") + 1
    assert {r[1] for r in lines[start:]} == {"nonaktifkan"} and len(lines[start:]) == 8


def read_on_a_phone(browser: Any, context: Any, address: str) -> None:
    """At 360 px every table reads as cards, nothing wider than the screen."""
    phone = browser.new_context(
        viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True
    )
    phone.add_init_script(WATCH_CSP)
    phone.add_cookies(context.cookies())
    small = phone.new_page()
    small.goto(address)
    assert no_horizontal_scroll(small)
    cell = small.locator("table.rencana-opd tbody tr.ditahan td[data-label='Nonaktifkan']")
    box = cell.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
    assert cell.inner_text().strip() == "8"
    small.screenshot(path=str(SCREENSHOTS / "pratinjau-360.png"), full_page=True)
    small.locator("table.rencana-opd").screenshot(path=str(SCREENSHOTS / "pratinjau-360-opd.png"))
    first = small.locator("table.rencana tbody.baris-rencana").first
    assert " ".join(first.inner_text().split()).endswith("Status aktif ya tidak")
    small.goto(f"{address}?aksi=update")
    assert no_horizontal_scroll(small)
    small.screenshot(path=str(SCREENSHOTS / "pratinjau-360-ubah.png"), full_page=True)
    small.locator("table.rencana tbody.baris-rencana").first.screenshot(
        path=str(SCREENSHOTS / "pratinjau-360-ubah-baris.png")
    )
    assert csp_violations(small) == []
    phone.close()
