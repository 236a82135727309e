"""`sinkron sync --pratinjau`, `--paksa` and `sinkron rencana` as an admin types
them, against the stand-ins: what is printed, the exit codes, what reaches
E-Planning and the audit trail. SQLite and PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from app.cli import cli
from app.config import get_settings
from app.db import session_scope
from app.models import AuditEvent
from tests.e2e.conftest import World
from tests.e2e.test_cli import env, sync
from tests.e2e.test_pratinjau import OPD, _switch_off_forty_percent, overnight_changes
from tests.e2e.test_sync import key_of

__all__ = ["env"]  # a fixture used here


def sinkron(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def run_id_in(output: str) -> int:
    found = re.search(r"^Run (\d+) ·", output, re.MULTILINE)
    assert found, output
    return int(found.group(1))


def audited(world: World, action: str) -> list[dict[str, Any]]:
    with session_scope(world.sessions) as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
        return [{"actor": e.actor, "target": e.target, "detail": e.detail} for e in events]


def total_row(output: str) -> list[str]:
    [row] = [line for line in output.splitlines() if line.startswith("semua OPD ")]
    return row.split()[2:]


def test_a_preview_prints_its_plan_per_opd_and_how_to_approve_and_writes_nothing(
    world: World, env: None
) -> None:
    world.sync(full=True)
    overnight_changes(world)
    before = world.eplanning_records()

    code, output = sync("--pratinjau")

    assert code == 0, output
    run_id = run_id_in(output)
    assert world.eplanning_records() == before
    assert f"Rencana run {run_id} per OPD dan aksi:" in output
    # dibuat, diperbarui, dinonaktifkan, tidak berubah, konflik
    assert total_row(output) == ["0", "5", "2", "152", "1"]
    assert re.search(rf"^{re.escape(OPD)}\s", output, re.MULTILINE)
    assert f"sinkron rencana setujui {run_id}" in output
    assert f'sinkron rencana tolak {run_id} --alasan "..."' in output
    [event] = audited(world, "run.buat")
    assert event["actor"] == "cli" and event["target"] == f"run {run_id}"
    assert event["detail"]["pratinjau"] is True and event["detail"]["full"] is True

    code, shown = sinkron("rencana", "tampil", str(run_id), "--aksi", "update")
    assert code == 0, shown
    assert len(re.findall(r"^diperbarui ", shown, re.MULTILINE)) == 5
    assert len(re.findall(r"pagu: \S+ → 777000000\.00", shown)) == 5
    code, mine = sinkron("rencana", "tampil", str(run_id), "--opd", OPD, "--semua")
    assert code == 0
    listed = re.findall(r"^(?:dibuat|diperbarui|dinonaktifkan|tidak berubah|konflik) ", mine,
                        re.MULTILINE)  # fmt: skip
    assert len(listed) == 18 and sum(map(int, total_row(mine))) == 18


def test_approving_on_the_command_line_pushes_the_plan_here_once(world: World, env: None) -> None:
    world.sync(full=True)
    expected = overnight_changes(world)
    code, output = sync("--pratinjau")
    run_id = run_id_in(output)
    writes = world.eplanning_stats()["writes_applied"]

    code, output = sinkron("rencana", "setujui", str(run_id))

    assert code == 0, output
    assert f"menerapkan rencana run {run_id} · berhasil" in output
    assert re.search(r"^diperbarui\s+5$", output, re.MULTILINE), output
    assert re.search(r"^dinonaktifkan\s+2$", output, re.MULTILINE), output
    assert world.eplanning_stats()["writes_applied"] == writes + 7
    records = {raw["id"]: raw for raw in world.dataset.records}
    store = world.eplanning_records()
    for sid in (s for s, aksi in expected.items() if aksi == "update"):
        assert store[key_of(records[sid])]["pagu"] == "777000000.00"
    [event] = audited(world, "rencana.setujui")
    assert event["target"] == f"run {run_id}" and event["detail"]["baris"] == 7

    code, again = sinkron("rencana", "setujui", str(run_id))

    assert code == 1
    assert f"galat: rencana run {run_id} sudah diterapkan seluruhnya" in again
    assert world.eplanning_stats()["writes_applied"] == writes + 7


def test_rejecting_sends_nothing_and_the_plan_cannot_be_approved_after(
    world: World, env: None
) -> None:
    world.sync(full=True)
    overnight_changes(world)
    run_id = run_id_in(sync("--pratinjau")[1])
    writes = world.eplanning_stats()["writes_applied"]

    code, empty = sinkron("rencana", "tolak", str(run_id), "--alasan", " ")
    assert code == 2 and "galat: --alasan: tuliskan alasannya" in empty
    code, output = sinkron("rencana", "tolak", str(run_id), "--alasan", "ekspor E-Program keliru")

    assert code == 0, output
    assert f"rencana run {run_id} ditolak: 7 data tidak dikirim" in output
    code, refused = sinkron("rencana", "setujui", str(run_id))
    assert code == 1 and f"galat: rencana run {run_id} sudah ditolak" in refused
    assert world.eplanning_stats()["writes_applied"] == writes
    [event] = audited(world, "rencana.tolak")
    assert event["detail"] == {"baris": 7, "alasan": "ekspor E-Program keliru"}
    code, shown = sinkron("rencana", "tampil", str(run_id))
    assert code == 0 and "keputusan: ditolak oleh cli" in shown
    assert "sinkron rencana setujui" not in shown


def test_wrong_input_is_one_galat_line(world: World, env: None) -> None:
    assert sinkron("rencana", "tampil", "424242")[0] == 1
    code, output = sinkron("rencana", "tampil", "1", "--aksi", "hapus")
    assert code == 2 and "galat: --aksi: harus salah satu dari create" in output
    code, output = sinkron("rencana", "setujui", "424242")
    assert code == 1 and "galat: run 424242 tidak ada" in output
    code, output = sinkron("rencana", "tolak", "424242", "--alasan", "tidak ada")
    assert code == 1 and "galat: run 424242 tidak ada" in output
    real = world.sync(full=True)
    code, output = sinkron("rencana", "setujui", str(real.run_id))
    assert code == 1 and "tidak punya rencana yang menunggu persetujuan" in output
    code, output = sync("--pratinjau", "--paksa")
    assert code == 2 and "tidak dapat dipakai bersama" in output


def test_the_guard_holds_on_the_command_line_and_paksa_skips_it_audited(
    world: World, env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SINKRON_AMBANG_MIN_DATA", "10")
    get_settings.cache_clear()
    world.sync(full=True)
    off, _other = _switch_off_forty_percent(world)

    code, output = sync("--full")

    assert code == 1, output
    assert "menunggu persetujuan" in output
    assert "Penjaga menahan OPD berikut; data OPD lain sudah dikirim:" in output
    assert re.search(rf"^  {re.escape(OPD)}: 8 dari 18 data dinonaktifkan", output, re.MULTILINE)
    assert total_row(output) == ["0", "0", "8", "0", "0"]
    assert all(world.eplanning_records()[key_of(raw)]["aktif"] for raw in off)

    code, forced = sync("--full", "--paksa")

    assert code == 0, forced
    assert re.search(r"^dinonaktifkan\s+8$", forced, re.MULTILINE), forced
    assert not any(world.eplanning_records()[key_of(raw)]["aktif"] for raw in off)
    events = audited(world, "run.buat")
    assert [e["detail"]["paksa"] for e in events] == [False, True]
