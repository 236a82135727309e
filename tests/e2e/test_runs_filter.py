"""The run history filters by `tahun_anggaran`, as every other route and its own
answers say; the older `tahun` still works, marked deprecated in the document."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.access import keys
from app.access.keys import Role
from app.config import Settings
from app.db import session_scope
from app.main import create_app
from app.models import Trigger
from app.repositories import runs
from standins.server import ServerThread


@pytest.fixture
def history(
    engine: Engine, session_factory: sessionmaker[Session], database_url: str
) -> Iterator[tuple[httpx.Client, str]]:
    with session_scope(session_factory) as session:
        for tahun in (2026, 2027, 2027):
            runs.create(
                session, tahun_anggaran=tahun, tahap="renja", full=True, trigger=Trigger.API
            )
        key = keys.create(session, name="operator", role=Role.ADMIN)
    settings = Settings(_env_file=None, database_url=database_url)  # type: ignore[call-arg]
    with (
        ServerThread(create_app(settings, engine)) as server,
        httpx.Client(base_url=server.url, timeout=30) as client,
    ):
        yield client, key


def tahun_of(history: tuple[httpx.Client, str], **query: Any) -> list[int]:
    client, key = history
    answer = client.get("/api/v1/runs", params=query, headers={"X-API-Key": key})
    assert answer.status_code == 200, answer.text
    return [run["tahun_anggaran"] for run in answer.json()["items"]]


def test_runs_filter_by_tahun_anggaran(history: tuple[httpx.Client, str]) -> None:
    assert tahun_of(history, tahun_anggaran=2027) == [2027, 2027]
    assert tahun_of(history, tahun_anggaran=2026) == [2026]
    assert tahun_of(history, tahun_anggaran=2028) == []


def test_the_old_name_tahun_still_filters_and_must_agree(history: tuple[httpx.Client, str]) -> None:
    assert tahun_of(history, tahun=2026) == [2026]
    assert tahun_of(history, tahun=2027, tahun_anggaran=2027) == [2027, 2027]
    client, key = history
    both = client.get(
        "/api/v1/runs", params={"tahun": 2026, "tahun_anggaran": 2027}, headers={"X-API-Key": key}
    )
    assert both.status_code == 422
    assert both.json() == {
        "error": "validasi",
        "detail": "tahun (2026) dan tahun_anggaran (2027) berbeda; pakai tahun_anggaran saja",
    }


def test_the_document_names_tahun_anggaran_and_marks_tahun_deprecated(
    history: tuple[httpx.Client, str],
) -> None:
    client, _key = history
    operation = client.get("/openapi.json").json()["paths"]["/api/v1/runs"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert not parameters["tahun_anggaran"].get("deprecated", False)
    assert parameters["tahun"]["deprecated"] is True
    assert "tahun_anggaran" in parameters["tahun"]["description"]
