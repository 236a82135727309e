"""A run the guard held, where people look: /api/v1/status, /metrics, the
planners' freshness notice and the OPD's digest; and all of it gone once an
admin approved. Over the service's HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.access import keys
from app.access.keys import Role
from app.db import session_scope
from app.digests import baca
from app.digests.layanan import Pengantar
from app.digests.susun import Jenis
from app.models import RunStatus
from standins.server import ServerThread
from tests.e2e.conftest import TAHAP, TAHUN, World
from tests.e2e.test_pratinjau import OPD, held_overnight
from tests.e2e.test_schedule_sees_eplanning import scheduled_run
from tests.e2e.test_service import call, service, wait_for

__all__ = ["service"]  # a fixture used here

SCOPE = {"tahun_anggaran": TAHUN, "tahap": TAHAP}


def other_opd(world: World) -> str:
    return next(r["kode_skpd"] for r in world.dataset.records if r["kode_skpd"] != OPD)


@pytest.fixture
def held(world: World) -> int:
    """The nightly run held OPD 4.01 (8 of its 18 records switched off)."""
    return held_overnight(world).run_id


@pytest.fixture
def keys_of(world: World) -> dict[str, str]:
    with session_scope(world.sessions) as session:
        return {
            "admin": keys.create(session, name="admin-jaga", role=Role.ADMIN),
            "opd": keys.create(session, name="perencana-4-01", role=Role.PLANNER, kode_skpd=[OPD]),
            "lain": keys.create(
                session, name="perencana-lain", role=Role.PLANNER, kode_skpd=[other_opd(world)]
            ),
        }


def runs_held(service: ServerThread) -> float:
    text = call(service, "GET", "/metrics", None).text
    [family] = [f for f in text_string_to_metric_families(text) if f.name == "sinkron_runs_held"]
    [sample] = family.samples
    return sample.value


def notice(service: ServerThread, key: str) -> str | None:
    answer = call(service, "GET", "/api/v1/tindak-lanjut", key, params=SCOPE)
    assert answer.status_code == 200, answer.text
    peringatan: str | None = answer.json()["sinkron_terakhir"]["peringatan"]
    return peringatan


def digest_texts(world: World) -> dict[str, str]:
    with session_scope(world.sessions) as session:
        for kode in (OPD, other_opd(world)):
            baca.kontak_set(session, kode, [f"perencana@{kode}.go.id"])
    drafs = Pengantar(world.settings, world.sessions).susun(
        Jenis.SEKARANG, [(TAHUN, TAHAP)], periode=datetime.now().astimezone()
    )
    return {d.daftar: d.surat.teks for d in drafs}


def test_a_held_run_shows_in_status_metrics_the_notice_and_the_digest_until_approved(
    world: World, held: int, service: ServerThread, keys_of: dict[str, str]
) -> None:
    admin = keys_of["admin"]

    status = call(service, "GET", "/api/v1/status", admin).json()
    [waiting] = status["menunggu_persetujuan"]
    assert waiting["run_id"] == held and waiting["jenis"] == "ditahan"
    assert waiting["kode_skpd"] == [OPD]
    assert "8 dari 18 data dinonaktifkan" in waiting["alasan"][OPD]
    assert waiting["rencana"] == f"/api/v1/runs/{held}/rencana"
    assert waiting["berlaku_sampai"] > waiting["sejak"]
    assert waiting["dapat_disetujui"] is True and waiting["penghalang"] is None
    assert call(service, "GET", waiting["rencana"], admin).status_code == 200
    # A planner of the held OPD sees it; one of another OPD does not.
    mine = call(service, "GET", "/api/v1/status", keys_of["opd"]).json()
    assert [w["run_id"] for w in mine["menunggu_persetujuan"]] == [held]
    theirs = call(service, "GET", "/api/v1/status", keys_of["lain"]).json()
    assert theirs["menunggu_persetujuan"] == []
    assert OPD not in repr(theirs)
    assert runs_held(service) == 1

    said = notice(service, keys_of["opd"])
    assert said is not None
    assert said.startswith("data OPD ini belum dikirim ke E-Planning: menunggu persetujuan admin")
    assert "WIB" in said
    assert notice(service, keys_of["lain"]) is None
    assert f"data OPD {OPD} belum dikirim" in (notice(service, admin) or "")

    texts = digest_texts(world)
    assert "menunggu persetujuan admin sejak" in texts[OPD]
    assert "menunggu persetujuan" not in texts[other_opd(world)]

    approved = call(service, "POST", f"/api/v1/runs/{held}/setujui", admin)
    assert approved.status_code == 202, approved.text
    done = wait_for(service, admin, approved.json()["run_penerapan"]["id"], {"succeeded", "failed"})
    assert done["status"] == "succeeded"

    assert call(service, "GET", "/api/v1/status", admin).json()["menunggu_persetujuan"] == []
    assert runs_held(service) == 0
    assert notice(service, keys_of["opd"]) is None
    assert "menunggu persetujuan" not in digest_texts(world)[OPD]


def test_a_preview_waits_in_status_until_rejected_and_is_no_held_run(
    world: World, service: ServerThread, keys_of: dict[str, str]
) -> None:
    admin = keys_of["admin"]
    world.sync(full=True)
    created = call(service, "POST", "/api/v1/runs", admin, json={**SCOPE, "pratinjau": True})
    run = wait_for(service, admin, created.json()["id"], {"succeeded", "failed"})
    assert run["status"] == "succeeded"

    [waiting] = call(service, "GET", "/api/v1/status", admin).json()["menunggu_persetujuan"]
    assert (waiting["run_id"], waiting["jenis"]) == (run["id"], "pratinjau")
    assert waiting["kode_skpd"] is None and waiting["alasan"] == {}
    assert runs_held(service) == 0
    assert notice(service, keys_of["opd"]) is None  # a preview sends nothing, holds nothing

    rejected = call(service, "POST", f"/api/v1/runs/{run['id']}/tolak", admin,
                    json={"alasan": "cukup dilihat"})  # fmt: skip
    assert rejected.status_code == 200
    assert call(service, "GET", "/api/v1/status", admin).json()["menunggu_persetujuan"] == []


def test_a_held_run_rejected_leaves_no_gauge_but_the_next_run_holds_again(
    world: World, held: int, service: ServerThread, keys_of: dict[str, str]
) -> None:
    admin = keys_of["admin"]
    rejected = call(service, "POST", f"/api/v1/runs/{held}/tolak", admin,
                    json={"alasan": "ekspor E-Program keliru"})  # fmt: skip
    assert rejected.status_code == 200
    assert runs_held(service) == 0
    assert notice(service, keys_of["opd"]) is None

    again = scheduled_run(world, 21)

    assert again.status is RunStatus.HELD
    assert runs_held(service) == 1
    [waiting] = call(service, "GET", "/api/v1/status", admin).json()["menunggu_persetujuan"]
    assert waiting["run_id"] == again.run_id
    assert (notice(service, keys_of["opd"]) or "").startswith("data OPD ini belum dikirim")


def test_a_held_plan_another_run_wrote_after_says_it_can_no_longer_be_approved(
    world: World, held: int, service: ServerThread, keys_of: dict[str, str]
) -> None:
    """The next incremental run may have written to E-Planning: approval would be
    refused as stale, and the list of what waits says so before anyone tries."""
    admin = keys_of["admin"]
    later = world.sync()
    assert later.status is RunStatus.SUCCEEDED, later.error

    [waiting] = call(service, "GET", "/api/v1/status", admin).json()["menunggu_persetujuan"]
    assert waiting["run_id"] == held and waiting["dapat_disetujui"] is False
    assert f"run {later.run_id} menulis ke E-Planning sesudahnya" in waiting["penghalang"]
    approved = call(service, "POST", f"/api/v1/runs/{held}/setujui", admin)
    assert approved.status_code == 409
    assert approved.json()["error"] == "rencana_usang"

    # Still listed until an admin clears it: its OPD's changes were never sent.
    rejected = call(service, "POST", f"/api/v1/runs/{held}/tolak", admin,
                    json={"alasan": "diputuskan lagi oleh sinkron penuh"})  # fmt: skip
    assert rejected.status_code == 200, rejected.text
    assert call(service, "GET", "/api/v1/status", admin).json()["menunggu_persetujuan"] == []
