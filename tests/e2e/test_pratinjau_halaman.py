"""A run's plan on the report pages and in its Excel file, over the real
service against the stand-ins, on SQLite and PostgreSQL: the table OPD × aksi,
before and after per field, filters and pages, an admin's approval and
rejection from the page, and a planner's OPD scope."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from html import unescape

import httpx
import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from app.access import keys
from app.access.keys import Role
from app.db import session_scope
from app.main import create_app
from app.models import AuditEvent, RunStatus, SyncRun
from app.repositories import rencana
from tests.e2e.conftest import World
from tests.e2e.test_laporan_pages import token_in
from tests.e2e.test_pratinjau import (
    OPD,
    _execute,
    _guarded,
    _switch_off_forty_percent,
    held_overnight,
    overnight_changes,
    plan_of,
    preview,
)
from tests.e2e.test_schedule_sees_eplanning import scheduled_run
from tests.e2e.test_sync import key_of

# A row of the OPD table: the OPD's code, then buat … konflik and the total.
ROW = re.compile(
    r'<th scope="row" data-label="Perangkat daerah"><div><a href="[^"]*" class="kode">([^<]+)</a>'
)


@dataclass
class Pages:
    world: World
    client: TestClient
    keys: dict[str, str]

    def sign_in(self, who: str) -> None:
        self.client.cookies.clear()
        form = self.client.get("/laporan/masuk")
        answer = self.client.post(
            "/laporan/masuk",
            data={"csrf": token_in(form.text), "kunci": self.keys[who]},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text

    def post(self, path: str, **fields: str) -> httpx.Response:
        page = self.client.get(path.rsplit("/", 1)[0])
        return self.client.post(
            path, data={"csrf": token_in(page.text), **fields}, follow_redirects=False
        )


@pytest.fixture
def pages(world: World, engine: Engine) -> Iterator[Pages]:
    with session_scope(world.sessions) as session:
        made = {
            "admin": keys.create(session, name="admin-bappeda", role=Role.ADMIN),
            "planner": keys.create(session, name="perencana-bappeda", role=Role.PLANNER),
            "opd": keys.create(session, name="operator-opd", role=Role.PLANNER, kode_skpd=[OPD]),
        }
    with TestClient(create_app(world.settings, engine)) as client:
        yield Pages(world, client, made)


def cells(html: str, label: str) -> list[str]:
    """The texts of the table cells with ``data-label="label"``, in order."""
    found = re.findall(rf'<td[^>]*data-label="{label}"[^>]*>(.*?)</td>', html, re.S)
    return [" ".join(unescape(re.sub(r"<[^>]+>", " ", f)).split()) for f in found]


def test_the_preview_page_shows_the_opd_table_and_before_and_after(pages: Pages) -> None:
    world = pages.world
    world.sync(full=True)
    expected = overnight_changes(world)
    summary = preview(world)
    plan = plan_of(world, summary.run_id)
    pages.sign_in("admin")

    html = pages.client.get(f"/laporan/pratinjau/{summary.run_id}").text

    assert f"Pratinjau run #{summary.run_id}" in html
    assert "Berlaku sampai" in html
    # One row per OPD, each action counted as the plan says; the totals last.
    with session_scope(world.sessions) as session:
        counts = rencana.counts(session, summary.run_id)
    opds = sorted({kode for kode, _, _ in counts})
    assert ROW.findall(html) == opds
    totals = cells(html.split("<tfoot>")[1], "Ubah")
    assert totals == [str(sum(a == "update" for a in plan.values()))]
    assert cells(html.split("<tfoot>")[1], "Tetap") == [
        f"{sum(a == 'unchanged' for a in plan.values()):,}".replace(",", ".")
    ]
    # Approve and reject for an admin.
    assert "Setujui dan kirim ke E-Planning" in html and 'action="/laporan/pratinjau/' in html

    # Filtered to the updates: before and after, money in Rupiah.
    updates = pages.client.get(
        f"/laporan/pratinjau/{summary.run_id}", params={"aksi": "update"}
    ).text
    actions = cells(updates, "Aksi")
    assert actions and set(actions) == {"ubah"}
    assert len(actions) == sum(a == "update" for a in expected.values())
    assert "Rp 777.000.000" in cells(updates, "Sesudah")
    # No amount as stored ("777000000.00"): pagu and sumber dana read in Rupiah.
    shown = cells(updates, "Sebelum") + cells(updates, "Sesudah")
    assert not [v for v in shown if re.search(r"\d{5,}\.\d\d", v)], shown
    assert any(v.startswith("Rp ") for v in cells(updates, "Sebelum"))


def test_a_long_plan_comes_in_pages_by_cursor_and_the_filters_stay(pages: Pages) -> None:
    world = pages.world
    summary = preview(world)  # a first sync: 160 creates
    pages.sign_in("planner")
    path = f"/laporan/pratinjau/{summary.run_id}"

    seen: list[str] = []
    html = pages.client.get(path).text
    while True:
        seen += re.findall(r'<tbody class="baris-rencana" id="(r-\d+)">', html)
        following = re.search(r'<a href="([^"]+)" class="tombol" rel="next">', html)
        if following is None:
            break
        html = pages.client.get(unescape(following.group(1))).text
    assert len(seen) == len(set(seen)) == 160

    one_opd = pages.client.get(path, params={"kode_skpd": OPD}).text
    assert {c.split()[0] for c in cells(one_opd, "Perangkat daerah")} == {OPD}
    assert len(re.findall(r'class="baris-rencana"', one_opd)) == 18
    # A planner reads, and has no buttons.
    assert "Setujui" not in one_opd and 'name="alasan"' not in one_opd


def test_an_admin_approves_from_the_page_and_the_plan_is_applied(pages: Pages) -> None:
    world = pages.world
    world.sync(full=True)
    overnight_changes(world)
    summary = preview(world)
    pages.sign_in("admin")

    answer = pages.post(f"/laporan/pratinjau/{summary.run_id}/setujui")

    assert answer.status_code == 303
    page = pages.client.get(answer.headers["location"]).text
    assert "Rencana disetujui" in page
    with session_scope(world.sessions) as session:
        applying = session.scalars(
            select(SyncRun).where(SyncRun.menerapkan_run_id == summary.run_id)
        ).one()
        audit = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "rencana.setujui")
        ).one()
        assert audit.actor == "admin-bappeda" and audit.target == f"run {summary.run_id}"
    assert f"Run #{applying.id} mengirim" in page
    applied = _execute(world, applying.id)
    assert applied.status is RunStatus.SUCCEEDED
    assert applied.counts.get("updated") == 5 and applied.counts.get("deactivated") == 2

    # Deciding again is refused, in words.
    again = pages.post(f"/laporan/pratinjau/{summary.run_id}/setujui")
    assert again.status_code == 409
    assert "sudah diterapkan seluruhnya" in again.text


def test_rejection_needs_a_reason_an_expired_plan_is_refused_and_planners_cannot_decide(
    pages: Pages,
) -> None:
    world = pages.world
    world.sync(full=True)
    overnight_changes(world)
    summary = preview(world)
    path = f"/laporan/pratinjau/{summary.run_id}"

    pages.sign_in("planner")
    refused = pages.client.post(
        f"{path}/setujui", data={"csrf": token_in(pages.client.get(path).text)}
    )
    assert refused.status_code == 403
    assert "Hanya admin" in refused.text

    pages.sign_in("admin")
    no_reason = pages.post(f"{path}/tolak", alasan="")
    assert no_reason.status_code == 400
    assert "Tulis alasan penolakan" in no_reason.text

    with session_scope(world.sessions) as session:
        run = session.get(SyncRun, summary.run_id)
        assert run is not None and run.finished_at is not None
        run.finished_at -= timedelta(hours=25)
    html = pages.client.get(path).text
    assert "kedaluwarsa" in html and "Setujui dan kirim" not in html
    expired = pages.post(f"{path}/setujui")
    assert expired.status_code == 409
    assert "sudah kedaluwarsa" in expired.text

    rejected = pages.post(f"{path}/tolak", alasan="ekspor E-Program keliru")
    assert rejected.status_code == 303
    page = pages.client.get(rejected.headers["location"]).text
    assert "Rencana ditolak" in page and "ekspor E-Program keliru" in page
    assert "Setujui" not in page


def test_a_held_run_shows_the_guards_reason_and_a_planner_sees_only_its_opd(
    pages: Pages,
) -> None:
    world = pages.world
    held = held_overnight(world)
    path = f"/laporan/pratinjau/{held.run_id}"

    pages.sign_in("admin")
    html = pages.client.get(path).text
    assert "menunggu persetujuan" in html and "Ditahan penjaga" in html
    assert "8 dari 18 data dinonaktifkan" in html
    # The report's pages say the held OPD's figures wait, and link the plan.
    link = f'<a href="{path}">Lihat rencananya</a>'
    assert link in pages.client.get("/laporan").text
    assert link in pages.client.get(f"/laporan/opd/{OPD}").text
    other = next(r["kode_skpd"] for r in world.dataset.records if r["kode_skpd"] != OPD)
    assert link not in pages.client.get(f"/laporan/opd/{other}").text

    pages.sign_in("opd")
    mine = pages.client.get(path).text
    assert ROW.findall(mine) == [OPD]
    assert {c.split()[0] for c in cells(mine, "Aksi")} == {"nonaktifkan"}
    assert cells(mine, "Aksi")[0] == "nonaktifkan ditahan"
    assert other not in mine
    assert pages.client.get(path, params={"kode_skpd": other}).status_code == 404
    # A run of another OPD only is not there at all.
    alone = world.sync(full=True, kode_skpd=(other,))
    assert pages.client.get(f"/laporan/pratinjau/{alone.run_id}").status_code == 404
    assert pages.client.get(f"/laporan/pratinjau/{alone.run_id}/ekspor.xlsx").status_code == 404

    # Once rejected, nothing waits: the notice is gone.
    pages.sign_in("admin")
    assert link in pages.client.get(f"/laporan/opd/{OPD}").text
    assert pages.post(f"{path}/tolak", alasan="ekspor E-Program keliru").status_code == 303
    assert "Lihat rencananya" not in pages.client.get(f"/laporan/opd/{OPD}").text


def test_a_held_plan_made_stale_by_a_later_run_offers_no_approval_and_says_why(
    pages: Pages,
) -> None:
    world = pages.world
    held = held_overnight(world)
    later = world.sync()  # the next incremental run may write to E-Planning
    path = f"/laporan/pratinjau/{held.run_id}"

    pages.sign_in("admin")
    html = pages.client.get(path).text
    assert "Setujui dan kirim" not in html
    assert "run lain sudah menulis ke E-Planning" in html and "masih dapat ditolak" in html
    # Nothing on the page still says the changes wait for an approval.
    assert "sampai disetujui admin" not in html and "menunggu persetujuan admin" not in html
    assert "ditahan penjaga dan rencananya tidak dapat disetujui lagi" in html
    banner = pages.client.get(f"/laporan/opd/{OPD}").text
    assert "rencananya tidak dapat disetujui lagi" in banner
    assert f"run {later.run_id} menulis ke E-Planning sesudahnya" in banner
    # The reason alone: the notice says in its own words what happens next.
    assert "buat pratinjau baru" not in banner
    refused = pages.post(f"{path}/setujui")
    assert refused.status_code == 409
    assert "run lain sudah menulis ke E-Planning" in refused.text
    assert pages.post(f"{path}/tolak", alasan="diputuskan lagi").status_code == 303
    assert "Lihat rencananya" not in pages.client.get(f"/laporan/opd/{OPD}").text


def test_the_excel_file_holds_the_opd_table_and_every_changed_field(pages: Pages) -> None:
    world = pages.world
    _guarded(world)
    world.sync(full=True)
    off, other = _switch_off_forty_percent(world)
    held = scheduled_run(world, 20)
    pages.sign_in("admin")

    answer = pages.client.get(f"/laporan/pratinjau/{held.run_id}/ekspor.xlsx")

    assert answer.status_code == 200
    assert f'filename="rencana-run-{held.run_id}-' in answer.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(answer.content), read_only=True)
    assert book.sheetnames == ["Ringkasan", "Rencana"]
    ringkasan = [r for r in book["Ringkasan"].iter_rows(values_only=True)]
    assert ringkasan[0][0] == f"Rencana run #{held.run_id}: yang akan ditulis ke E-Planning"
    assert any("menunggu persetujuan" in str(r[0]) for r in ringkasan[:6])
    header = ringkasan.index(
        ("Perangkat daerah", "Buat", "Ubah", "Nonaktifkan", "Tetap", "Konflik", "Jumlah",
         "Ditahan penjaga")
    )  # fmt: skip
    by_opd = {r[0]: r for r in ringkasan[header + 1 :] if r[0] and r[0] != "Semua"}
    assert by_opd[OPD][3] == 8 and "8 dari 18 data dinonaktifkan" in by_opd[OPD][7]
    assert by_opd[other["kode_skpd"]][2] == 1

    lines = list(book["Rencana"].iter_rows(values_only=True))
    start = next(i for i, r in enumerate(lines) if r[0] == "No") + 1
    body = lines[start:]
    with session_scope(world.sessions) as session:
        rows = rencana.rows_of_run(session, held.run_id)
        assert len(body) == sum(max(1, len(r.perubahan or ())) for r in rows)
    pagu = next(r for r in body if r[5] == key_of(other)[1] and r[7] == "pagu")
    assert pagu[1] == "ubah" and pagu[9] == 444_000_000
    switched = [r for r in body if r[1] == "nonaktifkan"]
    assert {r[5] for r in switched} == {key_of(raw)[1] for raw in off}
    assert all(r[2] == "ditahan" for r in switched)

    # The planner of one OPD: that OPD's lines only.
    pages.sign_in("opd")
    mine = openpyxl.load_workbook(
        io.BytesIO(pages.client.get(f"/laporan/pratinjau/{held.run_id}/ekspor.xlsx").content),
        read_only=True,
    )
    codes = {r[3] for r in list(mine["Rencana"].iter_rows(values_only=True))[start:]}
    assert codes == {OPD}
    with session_scope(world.sessions) as session:
        exports = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "laporan.ekspor")
        ).all()
    assert [e.detail["hasil"] for e in exports] == ["selesai", "selesai"]
    assert exports[-1].actor == "operator-opd"


def test_the_api_serves_the_same_file_within_the_keys_opds(pages: Pages) -> None:
    world = pages.world
    _guarded(world)
    world.sync(full=True)
    _switch_off_forty_percent(world)
    held = scheduled_run(world, 20)
    path = f"/api/v1/runs/{held.run_id}/rencana.xlsx"

    every = pages.client.get(path, headers={"X-API-Key": pages.keys["admin"]})
    mine = pages.client.get(path, headers={"X-API-Key": pages.keys["opd"]})

    assert every.status_code == mine.status_code == 200
    assert every.headers["content-type"].startswith("application/vnd.openxmlformats")

    def codes(answer: httpx.Response) -> set[str]:
        book = openpyxl.load_workbook(io.BytesIO(answer.content), read_only=True)
        lines = list(book["Rencana"].iter_rows(values_only=True))
        start = next(i for i, r in enumerate(lines) if r[0] == "No") + 1
        return {r[3] for r in lines[start:]}

    assert codes(mine) == {OPD} and len(codes(every)) == 2
    other = next(c for c in codes(every) if c != OPD)
    refused = pages.client.get(
        path, params={"kode_skpd": other}, headers={"X-API-Key": pages.keys["opd"]}
    )
    assert refused.status_code == 404 and other not in refused.text
    with session_scope(world.sessions) as session:
        exports = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "laporan.ekspor")
        ).all()
    assert [(e.actor, e.detail["hasil"]) for e in exports] == [
        ("admin-bappeda", "selesai"),
        ("operator-opd", "selesai"),
    ]
