"""A run that pulls nothing from a scope that never had data says so: in its JSON,
in `sinkron sync` and in `sinkron runs show` (most often the tahun is wrong)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from standins.server import ServerThread
from tests.e2e import test_service
from tests.e2e.conftest import API_KEY, TAHAP, TAHUN, TOKEN, World
from tests.e2e.test_service import call, wait_for

SINKRON = str(Path(sys.executable).parent / "sinkron")
service = test_service.service
api_keys = test_service.api_keys

NEVER = TAHUN + 1  # the stand-in E-Program holds only TAHUN
WARNING = (
    f"E-Program tidak mengirim satu data pun untuk tahun anggaran {NEVER} tahap {TAHAP}, "
    "dan Sinkron belum pernah menerima data untuk cakupan ini: periksa tahun anggaran, "
    "tahap dan kode OPD yang diminta"
)


def sinkron(world: World, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SINKRON_")}
    env.update(
        SINKRON_DATABASE_URL=world.settings.database_url,
        SINKRON_EPROGRAM_URL=world.settings.eprogram_url,
        SINKRON_EPROGRAM_API_KEY=API_KEY,
        SINKRON_EPLANNING_URL=world.settings.eplanning_url,
        SINKRON_EPLANNING_TOKEN=TOKEN,
        SINKRON_EPROGRAM_REQUESTS_PER_SECOND="0",
        SINKRON_EPLANNING_REQUESTS_PER_SECOND="0",
    )
    return subprocess.run(
        [SINKRON, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def run_id_of(stdout: str) -> int:
    return int(next(line for line in stdout.splitlines() if line.startswith("Run ")).split()[1])


def test_a_scope_that_never_had_data_warns_in_sync_runs_show_and_the_json(
    world: World, service: ServerThread, api_keys: dict[str, str]
) -> None:
    synced = sinkron(world, "sync", "--tahun", str(NEVER), "--tahap", TAHAP)

    assert synced.returncode == 0, synced.stderr
    assert "data ditarik                      0" in synced.stdout
    assert f"peringatan: {WARNING}" in synced.stdout
    run_id = run_id_of(synced.stdout)
    shown = sinkron(world, "runs", "show", str(run_id))
    assert f"peringatan: {WARNING}" in shown.stdout
    run = call(service, "GET", f"/api/v1/runs/{run_id}", api_keys["planner"]).json()
    assert run["status"] == "succeeded" and run["peringatan"] == WARNING
    listed = call(service, "GET", "/api/v1/runs", api_keys["planner"]).json()["items"]
    assert [r["peringatan"] for r in listed] == [WARNING]


def test_a_triggered_run_of_an_empty_scope_finishes_with_its_warning(
    world: World, service: ServerThread, api_keys: dict[str, str]
) -> None:
    admin = api_keys["admin"]
    body = {"tahun_anggaran": NEVER, "tahap": TAHAP}

    created = call(service, "POST", "/api/v1/runs", admin, json=body).json()
    done = wait_for(service, admin, created["id"], {"succeeded", "failed"})

    # Read the moment it is finished: the warning is written with the status.
    assert done["status"] == "succeeded" and done["records_pulled"] == 0
    assert done["peringatan"] == WARNING
    status = call(service, "GET", "/api/v1/status", admin).json()
    assert status["scopes"][0]["last_run"]["peringatan"] == WARNING


def test_nothing_new_from_a_scope_that_has_data_is_no_warning(
    world: World, service: ServerThread, api_keys: dict[str, str]
) -> None:
    assert world.sync(full=True).counts == {"created": 160}

    again = sinkron(world, "sync", "--tahun", str(TAHUN), "--tahap", TAHAP)
    opd = world.dataset.records[0]["kode_skpd"]
    one_opd = sinkron(world, "sync", "--tahun", str(TAHUN), "--tahap", TAHAP, "--opd", opd)

    assert again.returncode == 0, again.stderr
    assert "data ditarik                      0" in again.stdout
    assert "peringatan" not in again.stdout
    run = call(service, "GET", f"/api/v1/runs/{run_id_of(again.stdout)}", api_keys["admin"])
    assert run.json()["peringatan"] is None
    assert one_opd.returncode == 0 and "peringatan" not in one_opd.stdout


def test_an_opd_that_never_had_data_in_a_scope_that_has_is_warned_about(
    world: World, service: ServerThread
) -> None:
    world.sync(full=True)

    elsewhere = sinkron(world, "sync", "--tahun", str(TAHUN), "--tahap", TAHAP,
                        "--opd", "9.99.0.00.0.00.01.0000")  # fmt: skip

    assert elsewhere.returncode == 0, elsewhere.stderr
    assert "peringatan: E-Program tidak mengirim satu data pun" in elsewhere.stdout
