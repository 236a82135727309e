"""The admin's dead-letter replay as a use case (app.dead_letter_replay), on
SQLite and PostgreSQL: what it refuses before E-Planning is called, and that it
holds the run lease while it works and gives it back. Sending and recording
against E-Planning is covered end to end (tests/e2e/test_service.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.db import session_scope
from app.dead_letter_replay import (
    LetterClosed,
    LetterMissing,
    RunBusy,
    replay_one,
    replay_open,
)
from app.models import DeadLetter, DeadLetterStatus, SyncRun, utcnow
from app.runs import lease

SETTINGS = Settings(
    _env_file=None,
    eprogram_api_key=SecretStr("kunci-uji-kirim-ulang"),
    eplanning_token=SecretStr("token-uji-kirim-ulang"),
    # Nothing listens here: a test that reached E-Planning would fail loudly.
    eplanning_url="http://127.0.0.1:9",
)


def add_letter(factory: sessionmaker[Session], status: DeadLetterStatus) -> int:
    with session_scope(factory) as session:
        run = SyncRun(
            tahun_anggaran=2027,
            tahap="renja",
            full=True,
            trigger="api",
            status="succeeded",
            outcome_counts={},
            stage_seconds={},
        )
        session.add(run)
        session.flush()
        letter = DeadLetter(
            run_id=run.id,
            source_id="sk-1",
            tahun_anggaran=2027,
            tahap="renja",
            kode_sub_skpd="1.02.0.00.0.00.01.0001",
            kode_sub_kegiatan="1.02.02.2.01.0001",
            op="put",
            idempotency_key="kunci-1",
            payload={"record": {}},
            error="503",
            status=status,
        )
        session.add(letter)
        session.flush()
        return letter.id


def lease_holder(factory: sessionmaker[Session]) -> str | None:
    with session_scope(factory) as session:
        held = lease.current(session)
        return held.holder if held is not None else None


def test_a_letter_that_does_not_exist_is_refused(session_factory: sessionmaker[Session]) -> None:
    with pytest.raises(LetterMissing):
        replay_one(SETTINGS, session_factory, 4242)


def test_a_closed_letter_is_refused_with_its_status(
    session_factory: sessionmaker[Session],
) -> None:
    letter_id = add_letter(session_factory, DeadLetterStatus.RESOLVED)
    with pytest.raises(LetterClosed) as refused:
        replay_one(SETTINGS, session_factory, letter_id)
    assert refused.value.status == DeadLetterStatus.RESOLVED


def test_a_run_holding_the_lease_refuses_the_replay(
    session_factory: sessionmaker[Session],
) -> None:
    letter_id = add_letter(session_factory, DeadLetterStatus.OPEN)
    with session_scope(session_factory) as session:
        token = lease.acquire(
            session, holder="replika-lain:1", ttl=timedelta(minutes=2), now=utcnow()
        )
    assert token is not None
    with pytest.raises(RunBusy):
        replay_one(SETTINGS, session_factory, letter_id)
    with pytest.raises(RunBusy):
        replay_open(SETTINGS, session_factory)
    assert lease_holder(session_factory) == "replika-lain:1"


def test_nothing_open_sends_nothing_and_gives_the_lease_back(
    session_factory: sessionmaker[Session],
) -> None:
    add_letter(session_factory, DeadLetterStatus.REJECTED)
    asked, replayed = replay_open(SETTINGS, session_factory)
    assert (asked, list(replayed.letters)) == (0, [])
    with session_scope(session_factory) as session:
        token = lease.acquire(
            session, holder="replika-lain:1", ttl=timedelta(minutes=2), now=utcnow()
        )
    assert token is not None, "the replay kept the run lease"
