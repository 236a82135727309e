"""The report pages in a real browser: Debian's chromium, driven by Playwright,
against the service on loopback. Screenshots (and the printed A4 PDF) land in
a folder under the system's temporary directory (SINKRON_SCREENSHOTS to choose
another), which the test prints, for people to look at."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import tempfile
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
from app.mismatches import ditemukan
from app.mismatches.temuan import MismatchRow
from app.models import Mismatch, MismatchEvent
from standins.server import ServerThread
from tests.e2e.laporan_halaman_data import DINKES, NAMA, PU, TAHAP, TAHUN, seed

# Dinkes gets a page and a bit of indicator findings (page numbers, a decision
# on many) and one finding with a long indicator list (its own page, whole).
INDIKATOR_DINKES = 60
LONG_INDICATORS = [
    {
        "jenis": "keluaran_sub_kegiatan",
        "tolok_ukur": f"Jumlah Fasilitas Kesehatan yang Dilayani nomor {i:02d}",
        "target": str(i),
        "target_teks": f"{i} Unit",
        "satuan": "Unit",
    }
    for i in range(1, 41)
]

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(
    os.environ.get("SINKRON_SCREENSHOTS") or Path(tempfile.gettempdir()) / "sinkron-screenshots"
)
PHONES = (360, 390)
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
        ditemukan.record(session, 3, list(_more_findings()))
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


def _more_findings() -> Iterator[MismatchRow]:
    common = {"tahun_anggaran": TAHUN, "tahap": TAHAP, "kode_skpd": DINKES, "kode_sub_skpd": DINKES}
    for i in range(INDIKATOR_DINKES):
        yield MismatchRow(
            **common,
            source_id=f"dinkes-indikator-{i}",
            kategori="indikator_tidak_lengkap",
            field="sub_keg_indikator[0].satuanoutput",
            nilai_eprogram=None,
            nilai_eplanning=None,
            keterangan="Ditolak E-Planning (indikator_wajib): satuan kosong",
            kode_sub_kegiatan=f"1.02.02.2.02.{i + 100:04d}",
            nama_sub_kegiatan="Penyediaan Layanan Kesehatan untuk UKM dan UKP Rujukan",
        )
    yield MismatchRow(
        **common,
        source_id="dinkes-panjang",
        kategori="diubah_manual",
        field="indikator",
        nilai_eprogram=json.dumps(LONG_INDICATORS, ensure_ascii=False),
        nilai_eplanning=json.dumps(LONG_INDICATORS[:39], ensure_ascii=False),
        keterangan="diubah langsung di E-Planning",
        kode_sub_kegiatan="1.02.02.2.02.0099",
        nama_sub_kegiatan="Pengelolaan Pelayanan Kesehatan Dasar",
    )


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
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {SCREENSHOTS}")
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
    acknowledge_except_and_undo(page, service)
    decide_on_many_and_turn_pages(page, service)
    download_the_excel_file(page, tmp_path)
    print_for_a_meeting(page)
    print_the_meeting_report(page, service)
    mistype_an_address(page, service)
    violations.extend(csp_violations(page))
    context.close()
    assert outside == [], f"the pages asked for something outside the service: {outside}"
    assert violations == [], f"the pages broke their Content-Security-Policy: {violations}"


def test_the_api_docs_render_on_an_intranet_with_no_internet(
    service: dict[str, Any], browser: Any
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
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
    assert page.inner_text("h1") == "Tindak lanjut ketidaksesuaian per perangkat daerah"
    rows = page.locator("table.peringkat > tbody > tr")
    assert rows.count() == 3
    # Each OPD's follow-up status; Bappeda has nothing open.
    statuses = page.locator("table.peringkat tbody .status-tl").all_inner_texts()
    assert statuses == ["Sedang menindaklanjuti", "Sedang menindaklanjuti", "Tuntas"]
    # When the data last synced, on every page.
    assert "Sinkronisasi berhasil terakhir" in page.inner_text(".kesegaran")
    page.screenshot(path=str(SCREENSHOTS / "laporan-ringkasan.png"), full_page=True)
    assert no_horizontal_scroll(page)

    # Sorted on the server by any column: by name, A to Z.
    page.click("table.peringkat thead a:has-text('Perangkat daerah')")
    page.wait_for_url("**urut=nama**")
    names = page.locator("table.peringkat tbody td.opd a").all_inner_texts()
    assert names == sorted(names, key=str.lower)
    page.click("table.peringkat thead a:has-text('Belum ditanggapi')")
    page.wait_for_url("**urut=-belum**")
    counts = [int(t) for t in page.locator("table.peringkat tbody td.tebal").all_inner_texts()]
    assert counts == sorted(counts, reverse=True)


def drill_into_an_opd_and_filter(page: Any) -> None:
    page.click(f"text={NAMA[PU]}")
    page.wait_for_url(f"**/laporan/opd/{PU}?**")
    assert page.inner_text("h1") == NAMA[PU]
    assert page.locator("table.mismatch > tbody > tr").count() == 5
    page.screenshot(path=str(SCREENSHOTS / "laporan-opd.png"), full_page=True)
    assert no_horizontal_scroll(page)

    # Sorted on the server by a column's header, and back the other way.
    page.click("table.mismatch thead a:has-text('Kategori dan isian')")
    page.wait_for_url("**urut=kategori**")
    labels = page.locator("table.mismatch tbody td.kategori").all_inner_texts()
    assert labels == sorted(labels, key=lambda t: _KATEGORI_ORDER.index(t.split("\n")[0]))
    assert page.get_attribute("table.mismatch thead th[aria-sort]", "aria-sort") == "ascending"
    page.click("table.mismatch thead a:has-text('Kategori dan isian')")
    page.wait_for_url("**urut=-kategori**")
    assert page.get_attribute("table.mismatch thead th[aria-sort]", "aria-sort") == "descending"

    # A category badge filters the table.
    page.click(".per-kategori a.lencana:has-text('Pagu berbeda')")
    page.wait_for_url("**kategori=pagu_berbeda**")
    rows = page.locator("table.mismatch > tbody > tr")
    assert rows.count() == 1
    assert "Rp 1.250.000.000" in rows.first.inner_text()


# The codes sort as stored; the labels read in that order.
_KATEGORI_ORDER = [
    "Data tidak valid",
    "Indikator/target tidak lengkap",
    "Kode sub kegiatan tidak ada di nomenklatur",
    "Nama berbeda",
    "Pagu berbeda",
]


def acknowledge_except_and_undo(page: Any, service: dict[str, Any]) -> None:
    # Acknowledging with a note: the page comes back with the same filter and
    # says what was saved.
    row = page.locator("table.mismatch > tbody > tr").first
    row.locator("input[name=catatan]").first.fill("sedang dicek bidang anggaran")
    row.locator("button:has-text('Akui')").click()
    page.wait_for_selector("#pesan-simpan")
    assert "kategori=pagu_berbeda" in page.url
    assert "kini berstatus diakui" in page.inner_text("#pesan-simpan")
    assert page.locator("table.mismatch > tbody > tr .status").first.inner_text() == "diakui"
    # Its own page tells the story so far.
    page.locator("table.mismatch > tbody > tr td.no a").first.click()
    page.wait_for_url("**/laporan/mismatch/*")
    history = page.locator("table.riwayat tbody tr")
    assert history.count() == 2  # found, then acknowledged
    assert "sedang dicek bidang anggaran" in history.last.inner_text()
    page.go_back()

    # Excepting another: without a reason the page itself refuses the form, in
    # Bahasa Indonesia (not the browser's "Please fill out this field.").
    page.click("text=Hapus saringan")
    page.wait_for_url(f"**/laporan/opd/{PU}?tahun_anggaran=*")
    row = page.locator("table.mismatch > tbody > tr", has_text="Rehab Jembatan")
    # The differing part of the two names is marked.
    assert row.locator("mark").all_inner_texts() == ["Rehab", "Rehabilitasi"]
    before = page.url
    row.locator("button:has-text('Kecualikan')").click()
    alasan = row.locator("input[name=alasan]")
    assert alasan.evaluate("e => e.validationMessage") == "Alasan wajib diisi untuk mengecualikan."
    assert page.url == before
    alasan.fill("nama lama dipakai sampai APBD Perubahan")
    row.locator("button:has-text('Kecualikan')").click()
    page.wait_for_selector("#pesan-simpan")
    # The row stays where it was, with its new status, until the next load;
    # the page did not jump to the top.
    row = page.locator("table.mismatch > tbody > tr", has_text="Rehab Jembatan")
    assert row.locator(".status").first.inner_text() == "dikecualikan"
    assert page.locator("table.mismatch > tbody > tr").count() == 5
    assert page.evaluate("window.scrollY") > 0
    page.screenshot(path=str(SCREENSHOTS / "laporan-opd-tersimpan.png"))
    # Undone: back to baru.
    page.click("#pesan-simpan button:has-text('Urungkan')")
    page.wait_for_selector("#pesan-simpan")
    row = page.locator("table.mismatch > tbody > tr", has_text="Rehab Jembatan")
    assert row.locator(".status").first.inner_text() == "baru"

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
        ("nama_berbeda", "baru", "keputusan diurungkan"),
    ]
    # Except it again for the export below.
    row.locator("input[name=alasan]").fill("nama lama dipakai sampai APBD Perubahan")
    row.locator("button:has-text('Kecualikan')").click()
    page.wait_for_selector("#pesan-simpan")


def decide_on_many_and_turn_pages(page: Any, service: dict[str, Any]) -> None:
    page.goto(f"{service['url']}/laporan/opd/{DINKES}?tahun_anggaran={TAHUN}&tahap={TAHAP}")
    # Page numbers and the total.
    nav = page.locator("nav.halaman")
    assert "Halaman 1 dari 2" in nav.inner_text()
    nav.locator("a:has-text('2')").click()
    page.wait_for_url("**halaman=2**")
    assert "Halaman 2 dari 2" in page.inner_text("nav.halaman")
    assert page.locator("table.mismatch > tbody > tr").count() == INDIKATOR_DINKES + 3 - 50

    # "Akui semua yang tersaring": the count on the button, then a question.
    page.click(".per-kategori a.lencana:has-text('Indikator/target tidak lengkap')")
    page.wait_for_url("**kategori=indikator_tidak_lengkap**")
    page.click(f"button:has-text('Akui semua yang tersaring ({INDIKATOR_DINKES})')")
    page.wait_for_selector(f"h1:has-text('Akui {INDIKATOR_DINKES} ketidaksesuaian?')")
    page.screenshot(path=str(SCREENSHOTS / "laporan-konfirmasi.png"))
    page.click(f"button:has-text('Ya, akui {INDIKATOR_DINKES} ketidaksesuaian')")
    page.wait_for_selector("#pesan-simpan")
    assert f"{INDIKATOR_DINKES} ketidaksesuaian diakui" in page.inner_text("#pesan-simpan")
    assert "kategori=indikator_tidak_lengkap" in page.url
    assert _count(service, DINKES, "diakui") == INDIKATOR_DINKES

    # Undone in one go, then two ticked rows acknowledged.
    page.click("#pesan-simpan button:has-text('Urungkan')")
    page.wait_for_selector("#pesan-simpan")
    assert "dibuka kembali" in page.inner_text("#pesan-simpan")
    assert _count(service, DINKES, "diakui") == 0
    boxes = page.locator("table.mismatch tbody input.pilih")
    boxes.nth(0).check()
    boxes.nth(1).check()
    assert page.inner_text("[data-terpilih]") == "2"
    page.click("button:has-text('Akui yang dipilih')")
    page.wait_for_selector("h1:has-text('Akui 2 ketidaksesuaian?')")
    page.click("button:has-text('Ya, akui 2 ketidaksesuaian')")
    page.wait_for_selector("#pesan-simpan")
    assert _count(service, DINKES, "diakui") == 2

    # A finding's own page: the long indicator list whole, as a table.
    page.click(".per-kategori a.lencana:has-text('Diubah langsung di E-Planning')")
    page.wait_for_url("**kategori=diubah_manual**")
    assert "… dan 37 indikator lagi" in page.inner_text("table.mismatch")
    page.click("table.mismatch a:has-text('lihat semua')")
    page.wait_for_url("**/laporan/mismatch/*")
    assert page.locator(".berdampingan table.indikator tbody tr").count() == 40 + 39
    page.screenshot(path=str(SCREENSHOTS / "laporan-mismatch.png"), full_page=True)
    assert no_horizontal_scroll(page)
    page.goto(f"{service['url']}/laporan/opd/{PU}?tahun_anggaran={TAHUN}&tahap={TAHAP}")


def _count(service: dict[str, Any], kode_skpd: str, status: str) -> int:
    with session_scope(service["sessions"]) as session:
        return len(
            session.scalars(
                select(Mismatch.id).where(
                    Mismatch.kode_skpd == kode_skpd, Mismatch.status == status
                )
            ).all()
        )


def test_every_page_fits_a_phone(service: dict[str, Any], browser: Any) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {SCREENSHOTS}")
    with session_scope(service["sessions"]) as session:
        long_one = session.scalars(
            select(Mismatch.id).where(Mismatch.source_id == "dinkes-panjang")
        ).one()
        nama = session.scalars(select(Mismatch.id).where(Mismatch.kategori == "nama_berbeda")).one()
    scope = f"tahun_anggaran={TAHUN}&tahap={TAHAP}"
    pages = {
        "ringkasan": "/laporan",
        "opd": f"/laporan/opd/{PU}?{scope}",
        "opd-halaman-2": f"/laporan/opd/{DINKES}?{scope}&halaman=2",
        "mismatch": f"/laporan/mismatch/{long_one}",
        "mismatch-nama": f"/laporan/mismatch/{nama}",
        "404": "/laporan/opd-salah-ketik",
    }
    for width in PHONES:
        context = browser.new_context(
            viewport={"width": width, "height": 780}, is_mobile=True, has_touch=True
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{service['url']}/laporan")
        assert no_horizontal_scroll(page), f"sign-in page at {width} px"
        page.screenshot(path=str(SCREENSHOTS / f"hp{width}-masuk.png"))
        page.fill("#kunci", service["key"])
        page.click("button:has-text('Masuk')")
        page.wait_for_url(f"{service['url']}/laporan")
        # A compact header: well under a quarter of the screen.
        assert page.locator("header.kepala").bounding_box()["height"] < 780 / 8
        for name, path in pages.items():
            page.goto(f"{service['url']}{path}")
            assert no_horizontal_scroll(page), f"{path} at {width} px is wider than the screen"
            # Every button and field can be reached without panning.
            outside = page.evaluate(
                """() => [...document.querySelectorAll('button, input, select, a.tombol')]
                     .filter(e => e.offsetParent !== null)
                     .filter(e => { const r = e.getBoundingClientRect();
                                    return r.left < 0 || r.right > window.innerWidth + 0.5; })
                     .map(e => e.outerHTML.slice(0, 80))"""
            )
            assert outside == [], f"{path} at {width} px: out of reach: {outside}"
            page.screenshot(path=str(SCREENSHOTS / f"hp{width}-{name}.png"), full_page=True)
        # The table reads as cards: each row a box as wide as the screen.
        page.goto(f"{service['url']}/laporan/opd/{PU}?{scope}")
        assert page.locator("table.mismatch thead").is_hidden()
        card = page.locator("table.mismatch > tbody > tr").first.bounding_box()
        assert card["width"] <= width
        context.close()


def download_the_excel_file(page: Any, tmp_path: Path) -> None:
    with page.expect_download() as info:
        page.click("text=Unduh Excel (.xlsx)")
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    assert saved.name.endswith(".xlsx")
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


def print_the_meeting_report(page: Any, service: dict[str, Any]) -> None:
    # From the overview: every OPD's follow-up, then every open finding of
    # each OPD (not the 50 of a screen), on A4 landscape.
    page.emulate_media(media="screen")
    page.goto(f"{service['url']}/laporan")
    page.click("text=Cetak untuk rapat")
    page.wait_for_url("**/laporan/cetak**")
    page.emulate_media(media="print")
    page.screenshot(path=str(SCREENSHOTS / "laporan-cetak-rapat.png"), full_page=True)
    pdf = SCREENSHOTS / "laporan-cetak-rapat.pdf"
    page.pdf(path=str(pdf), prefer_css_page_size=True)
    with session_scope(service["sessions"]) as session:
        open_ids = set(
            session.scalars(
                select(Mismatch.id).where(Mismatch.status.in_(["baru", "diakui"]))
            ).all()
        )
    printed = {
        int(i) for i in page.locator("tr.temuan").evaluate_all("rs => rs.map(r => r.dataset.id)")
    }
    assert printed == open_ids and len(open_ids) > 50
    # The PDF holds them all, the OPD's name in the header of each of its pages.
    text = pdf_text(pdf)
    assert len(text) >= 3
    for kode in (PU, DINKES):
        pages_of = [t for t in text if kode in t]
        assert pages_of, kode
    dinkes_pages = [t for t in text if "temuan terbuka" in t and NAMA[DINKES] in t]
    assert len(dinkes_pages) >= 2  # its table runs over pages, the header on each
    in_pdf = {int(n) for t in text for n in re.findall(r"^(\d+)\s", t, re.M)}
    assert open_ids <= in_pdf
    print(f"meeting report: {len(open_ids)} open findings printed on {len(text)} pages: {pdf}")


def pdf_text(pdf: Path) -> list[str]:
    """The text of each page of a PDF."""
    from pypdf import PdfReader

    return [p.extract_text() or "" for p in PdfReader(pdf).pages]


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
