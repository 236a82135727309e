"""The plan of a run over the service's own HTTP, with its background worker:
a preview triggered by an admin, its plan read with filters and pages, keys
scoped to an OPD, approval carried out by the worker, rejection, the refusals
and the audit (docs/design.md, "Preview, approval and the guard"). SQLite and
PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from app.access import keys
from app.access.keys import Role
from app.db import session_scope
from standins.server import ServerThread
from tests.e2e.conftest import TAHAP, TAHUN, World
from tests.e2e.test_pratinjau import OPD, overnight_changes
from tests.e2e.test_service import call, service, wait_for
from tests.e2e.test_sync import key_of

__all__ = ["service"]  # a fixture used here

FINISHED = {"succeeded", "failed", "cancelled", "interrupted", "menunggu_persetujuan"}
PREVIEW = {"tahun_anggaran": TAHUN, "tahap": TAHAP, "pratinjau": True}


@pytest.fixture
def keys_of(world: World) -> dict[str, str]:
    with session_scope(world.sessions) as session:
        return {
            "admin": keys.create(session, name="admin-rencana", role=Role.ADMIN),
            "planner": keys.create(session, name="perencana-rencana", role=Role.PLANNER),
            "opd": keys.create(
                session, name="perencana-opd-rencana", role=Role.PLANNER, kode_skpd=[OPD]
            ),
        }


def preview(service: ServerThread, admin: str, **body: Any) -> dict[str, Any]:
    """A preview triggered over the API, waited for until the worker finished it."""
    created = call(service, "POST", "/api/v1/runs", admin, json={**PREVIEW, **body})
    assert created.status_code == 202, created.text
    assert created.json()["pratinjau"] is True
    return wait_for(service, admin, created.json()["id"], FINISHED)


def plan_pages(service: ServerThread, key: str, run_id: int, **params: Any) -> list[dict[str, Any]]:
    """Every page of a run's plan (each page's answer, in order)."""
    pages: list[dict[str, Any]] = []
    cursor = ""
    while True:
        answer = call(
            service,
            "GET",
            f"/api/v1/runs/{run_id}/rencana",
            key,
            params={**params, "cursor": cursor},
        )
        assert answer.status_code == 200, answer.text
        pages.append(answer.json())
        cursor = answer.json()["next_cursor"]
        if cursor is None:
            return pages


def items(pages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [item for page in pages for item in page["items"]]


def audit_of(service: ServerThread, admin: str, action: str) -> list[dict[str, Any]]:
    events = call(service, "GET", "/api/v1/audit", admin).json()["items"]
    return [e for e in events if e["action"] == action]


def test_a_preview_triggered_over_the_api_shows_its_plan_by_opd_and_action_page_by_page(
    world: World, service: ServerThread, keys_of: dict[str, str]
) -> None:
    admin = keys_of["admin"]
    world.sync(full=True)
    expected = overnight_changes(world)
    writes = world.eplanning_stats()["writes_applied"]
    before = world.eplanning_records()

    run = preview(service, admin)

    assert run["status"] == "succeeded", run
    assert world.eplanning_records() == before
    assert world.eplanning_stats()["writes_applied"] == writes
    first = call(service, "GET", f"/api/v1/runs/{run['id']}/rencana", admin).json()
    assert first["berlaku_sampai"] is not None
    per_aksi: dict[str, int] = {}
    for opd in first["per_opd"]:
        for aksi, n in opd["per_aksi"].items():
            per_aksi[aksi] = per_aksi.get(aksi, 0) + n
    assert per_aksi == {"update": 5, "deactivate": 2, "conflict": 1, "unchanged": 152}

    # aksi: exactly the five updates, two to a page (a page boundary crossed
    # twice), none twice, each with its pagu before and after.
    pages = plan_pages(service, admin, run["id"], aksi="update", limit=2)
    updates = items(pages)
    assert [len(p["items"]) for p in pages] == [2, 2, 1]
    assert sorted(u["source_id"] for u in updates) == sorted(
        sid for sid, aksi in expected.items() if aksi == "update"
    )
    assert len({u["id"] for u in updates}) == 5
    for update in updates:
        [pagu] = [c for c in update["perubahan"] if c["field"] == "pagu"]
        assert pagu["sesudah"] == "777000000.00" and pagu["sebelum"] != pagu["sesudah"]
        assert update["status"] == "pratinjau"
    # kode_skpd: only that OPD's rows, all of them, across pages.
    mine = items(plan_pages(service, admin, run["id"], kode_skpd=OPD, limit=7))
    counted = next(o for o in first["per_opd"] if o["kode_skpd"] == OPD)
    assert len(mine) == sum(counted["per_aksi"].values()) == 18
    assert {r["kode_skpd"] for r in mine} == {OPD}
    both = items(plan_pages(service, admin, run["id"], kode_skpd=OPD, aksi="deactivate"))
    assert all(r["kode_skpd"] == OPD and r["aksi"] == "deactivate" for r in both)
    bad = call(service, "GET", f"/api/v1/runs/{run['id']}/rencana", admin, params={"aksi": "hapus"})
    assert bad.status_code == 422 and bad.json()["detail"].startswith("aksi: harus salah satu")


def test_a_key_scoped_to_one_opd_reads_only_its_opds_plan(
    world: World, service: ServerThread, keys_of: dict[str, str]
) -> None:
    admin, scoped = keys_of["admin"], keys_of["opd"]
    world.sync(full=True)
    overnight_changes(world)
    every = preview(service, admin)
    other = next(r["kode_skpd"] for r in world.dataset.records if r["kode_skpd"] != OPD)
    elsewhere = preview(service, admin, kode_skpd=[other])

    pages = plan_pages(service, scoped, every["id"], limit=5)

    rows = items(pages)
    assert len(rows) == 18 and {r["kode_skpd"] for r in rows} == {OPD}
    assert all([o["kode_skpd"] for o in p["per_opd"]] == [OPD] for p in pages)
    assert sum(pages[0]["per_opd"][0]["per_aksi"].values()) == 18
    assert pages[0]["run"]["outcome_counts"] is None  # no pemda-wide counts
    assert other not in repr(pages)
    # Filtering on another OPD finds nothing; a run of another OPD only is not there.
    foreign = plan_pages(service, scoped, every["id"], kode_skpd=other)
    assert items(foreign) == []
    assert [o["kode_skpd"] for o in foreign[0]["per_opd"]] == [OPD]
    gone = call(service, "GET", f"/api/v1/runs/{elsewhere['id']}/rencana", scoped)
    assert gone.status_code == 404
    assert gone.json() == {"error": "tidak_ditemukan", "detail": f"run {elsewhere['id']} tidak ada"}


def test_an_approval_is_carried_out_by_the_worker_once_and_audited(
    world: World, service: ServerThread, keys_of: dict[str, str]
) -> None:
    admin = keys_of["admin"]
    world.sync(full=True)
    expected = overnight_changes(world)
    run = preview(service, admin)
    writes = world.eplanning_stats()["writes_applied"]
    for who in ("planner", "opd"):
        for action, body in (("setujui", None), ("tolak", {"alasan": "keliru"})):
            denied = call(service, "POST", f"/api/v1/runs/{run['id']}/{action}", keys_of[who],
                          json=body)  # fmt: skip
            assert denied.status_code == 403, (who, action, denied.text)
    assert world.eplanning_stats()["writes_applied"] == writes

    approved = call(service, "POST", f"/api/v1/runs/{run['id']}/setujui", admin)

    assert approved.status_code == 202, approved.text
    body = approved.json()
    assert body["baris"] == 7 and body["run"]["keputusan"] == "disetujui"
    assert body["run"]["diputuskan_oleh"] == "admin-rencana"
    applying = body["run_penerapan"]
    assert applying["menerapkan_run_id"] == run["id"]
    done = wait_for(service, admin, applying["id"], FINISHED)
    assert done["status"] == "succeeded", done
    assert done["outcome_counts"] == {"updated": 5, "deactivated": 2}
    assert world.eplanning_stats()["writes_applied"] == writes + 7
    store = world.eplanning_records()
    records = {raw["id"]: raw for raw in world.dataset.records}
    for sid, aksi in expected.items():
        if aksi == "update":
            assert store[key_of(records[sid])]["pagu"] == "777000000.00"
        elif aksi == "deactivate":
            assert store[key_of(records[sid])]["aktif"] is False
    # The plan's rows say who pushed them.
    pushed = items(plan_pages(service, admin, run["id"], aksi="update"))
    assert {(r["status"], r["diterapkan_run_id"]) for r in pushed} == {
        ("diterapkan", applying["id"])
    }

    again = call(service, "POST", f"/api/v1/runs/{run['id']}/setujui", admin)

    assert again.status_code == 409
    assert again.json()["error"] == "rencana_sudah_diterapkan"
    assert "sudah diterapkan seluruhnya" in again.json()["detail"]
    assert world.eplanning_stats()["writes_applied"] == writes + 7
    [audited] = audit_of(service, admin, "rencana.setujui")
    assert audited["actor"] == "admin-rencana" and audited["status_code"] == 202
    assert audited["target"] == f"run {run['id']}"
    assert audited["detail"] == {"baris": 7, "run_penerapan": applying["id"]}


def test_a_rejected_plan_is_not_applied_and_cannot_be_approved_after(
    world: World, service: ServerThread, keys_of: dict[str, str]
) -> None:
    admin = keys_of["admin"]
    world.sync(full=True)
    overnight_changes(world)
    run = preview(service, admin)
    writes = world.eplanning_stats()["writes_applied"]
    path = f"/api/v1/runs/{run['id']}"

    for alasan in ("", "  "):
        empty = call(service, "POST", f"{path}/tolak", admin, json={"alasan": alasan})
        assert empty.status_code == 422, empty.text
        assert empty.json()["error"] == "validasi"
        assert empty.json()["detail"].startswith("alasan: "), empty.json()
        assert "karakter" in empty.json()["detail"]
    missing = call(service, "POST", f"{path}/tolak", admin, json={})
    assert missing.json()["detail"] == "alasan: wajib diisi"

    rejected = call(service, "POST", f"{path}/tolak", admin, json={"alasan": "ekspor keliru"})

    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["baris"] == 7 and rejected.json()["run_penerapan"] is None
    assert rejected.json()["run"]["keputusan"] == "ditolak"
    assert rejected.json()["run"]["alasan"] == "ekspor keliru"
    approved = call(service, "POST", f"{path}/setujui", admin)
    assert approved.status_code == 409
    assert approved.json() == {
        "error": "rencana_sudah_diputuskan",
        "detail": f"rencana run {run['id']} sudah ditolak",
    }
    again = call(service, "POST", f"{path}/tolak", admin, json={"alasan": "sekali lagi"})
    assert again.status_code == 409 and again.json()["error"] == "rencana_sudah_diputuskan"
    assert world.eplanning_stats()["writes_applied"] == writes
    rows = items(plan_pages(service, admin, run["id"], aksi="deactivate"))
    assert {r["status"] for r in rows} == {"ditolak"}
    [audited] = audit_of(service, admin, "rencana.tolak")
    assert audited["detail"] == {"baris": 7, "alasan": "ekspor keliru"}
    assert audited["status_code"] == 200 and audited["actor"] == "admin-rencana"


def test_only_a_plan_that_waits_can_be_decided(
    world: World, service: ServerThread, keys_of: dict[str, str]
) -> None:
    admin = keys_of["admin"]
    real = world.sync(full=True)  # a run that wrote: nothing of it waits

    refused = call(service, "POST", f"/api/v1/runs/{real.run_id}/setujui", admin)
    assert refused.status_code == 409
    assert refused.json()["error"] == "tidak_menunggu_persetujuan"
    assert call(service, "POST", "/api/v1/runs/424242/setujui", admin).status_code == 404
    missing = call(service, "POST", "/api/v1/runs/424242/tolak", admin, json={"alasan": "tidak"})
    assert missing.status_code == 404
    assert call(service, "GET", "/api/v1/runs/424242/rencana", admin).status_code == 404
    # A preview that a writing run has since outdated.
    run = preview(service, admin)
    world.sync(full=True)
    outdated = call(service, "POST", f"/api/v1/runs/{run['id']}/setujui", admin)
    assert outdated.status_code == 409 and outdated.json()["error"] == "rencana_usang"
