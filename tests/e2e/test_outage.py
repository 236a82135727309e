"""An outage is a failed run, and the next run heals it (docs/design.md, promise 8)."""

from __future__ import annotations

import socket
from collections import Counter
from typing import Any

from sqlalchemy import select

from app.db import session_scope
from app.models import DeadLetter, RunStatus
from app.observability import metrics
from app.sync import contacts
from tests.e2e.conftest import TAHAP, TAHUN, World
from tests.e2e.test_sync import key_of, with_pagu


def letter_statuses(world: World) -> Counter[str]:
    with session_scope(world.sessions) as session:
        return Counter(d.status for d in session.scalars(select(DeadLetter)))


def scrape(world: World) -> str:
    body, _ = metrics.render(world.sessions)
    return body.decode()


def test_an_eplanning_outage_midway_fails_the_run_and_the_next_run_heals_it(
    world: World,
) -> None:
    def stop_eplanning_after_two_pages(event: Any) -> None:
        if event.stage == "tarik" and event.page == 2:
            world.faults(world.target, error_rate=1.0, retry_after=0)

    first = world.sync(full=True, progress=stop_eplanning_after_two_pages)

    assert first.status is RunStatus.FAILED
    assert first.error is not None
    assert first.error.startswith(f"E-Planning di {world.settings.eplanning_url} gagal menerima")
    assert "Periksa apakah layanan E-Planning berjalan" in first.error
    # The pass was pulled and decided; its writes wait in the plan, none of
    # them dead-lettered (an outage is not a pile of failed records).
    assert first.pulled == 160 and first.counts == {"direncanakan": 160}
    assert letter_statuses(world) == Counter()
    assert world.eplanning_records() == {}
    with session_scope(world.sessions) as session:
        contact = contacts.last(session, "eplanning")
    assert contact.reachable is False
    assert contact.detail and "E-Planning" in contact.detail
    assert f'sinkron_last_run_failed{{tahap="{TAHAP}",tahun_anggaran="{TAHUN}"}} 1.0' in scrape(
        world
    )

    world.faults(world.target, error_rate=0.0)
    second = world.sync()  # an ordinary incremental run: no admin action

    assert second.status is RunStatus.SUCCEEDED, second.error
    # It pushes what the first run decided (nothing changed in E-Program since).
    assert second.pulled == 160 and second.counts == {"created": 160}
    assert len(world.eplanning_records()) == 160
    assert world.sync(full=True).counts == {"unchanged": 160}
    with session_scope(world.sessions) as session:
        assert contacts.last(session, "eplanning").reachable is True


def test_an_unreachable_eprogram_is_named_with_its_address_and_what_to_check(
    world: World,
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    world.settings = world.settings.model_copy(
        update={"eprogram_url": closed, "retry_max_attempts": 2}
    )

    summary = world.sync(full=True)

    assert summary.status is RunStatus.FAILED
    assert summary.error is not None
    assert summary.error.startswith(f"E-Program di {closed} tidak dapat dihubungi")
    assert "Periksa apakah layanan E-Program berjalan" in summary.error
    assert "SINKRON_EPROGRAM_URL" in summary.error
    with session_scope(world.sessions) as session:
        contact = contacts.last(session, "eprogram")
    assert contact.reachable is False and contact.detail == summary.error


def test_dead_letters_are_sent_again_by_the_next_run_and_said_out_loud(world: World) -> None:
    world.sync(full=True)
    touched = world.dataset.records[:2]
    for raw in touched:
        world.dataset.touch(raw["id"], **with_pagu(raw, 5_000_000))
    world.settings = world.settings.model_copy(update={"retry_max_attempts": 2})
    # E-Planning is up, but these two writes fail on their own (applied, answered 503).
    world.faults(world.target, item_error_after_apply_rate=1.0)

    first = world.sync()

    assert first.status is RunStatus.SUCCEEDED
    assert first.counts == {"dead_letter": 2}
    assert 'sinkron_dead_letters_open{tahap="renja",tahun_anggaran="2026"} 2.0' in scrape(world)
    world.faults(world.target, item_error_after_apply_rate=0.0)
    writes_before = world.eplanning_stats()["writes_applied"]

    second = world.sync()  # nothing changed in E-Program; the letters go again

    assert second.status is RunStatus.SUCCEEDED and second.counts == {}
    assert letter_statuses(world) == Counter({"resolved": 2})
    assert world.eplanning_stats()["writes_applied"] == writes_before  # original keys
    held = world.eplanning_records()
    assert all(held[key_of(raw)]["pagu"] == "5000000.00" for raw in touched)
    assert 'sinkron_dead_letters_open{tahap="renja",tahun_anggaran="2026"} 0.0' in scrape(world)


def test_a_later_rejection_closes_the_dead_letter_of_the_same_record(world: World) -> None:
    world.sync(full=True)
    raw = world.dataset.records[0]
    unknown_unit = raw["kode_sub_skpd"][:-4] + "9999"  # not a sub-unit E-Planning knows
    world.dataset.touch(raw["id"], kode_sub_skpd=unknown_unit)
    world.settings = world.settings.model_copy(update={"retry_max_attempts": 2})
    world.faults(world.target, item_error_rate=1.0)
    assert world.sync().counts == {"dead_letter": 1}
    world.faults(world.target, item_error_rate=0.0)

    # A run for this OPD alone sends nothing again by itself: only its outcome
    # can close the letter.
    later = world.sync(full=True, kode_skpd=(raw["kode_skpd"],))

    assert later.counts.get("rejected") == 1
    assert letter_statuses(world) == Counter({"rejected": 1})


def test_a_refused_token_says_which_setting_to_check(world: World) -> None:
    from pydantic import SecretStr

    world.settings = world.settings.model_copy(update={"eplanning_token": SecretStr("salah")})

    summary = world.sync(full=True)

    assert summary.status is RunStatus.FAILED
    assert summary.error is not None
    assert summary.error.startswith(
        f"E-Planning di {world.settings.eplanning_url} menolak kredensial Sinkron (HTTP 401); "
        "periksa SINKRON_EPLANNING_TOKEN"
    )
