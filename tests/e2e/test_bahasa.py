"""What people read from the service is in Bahasa Indonesia: the OpenAPI document
behind /docs, validation answers that name the field, run and dead-letter states
inside sentences, and the keys of the dead-letter retry answer."""

from __future__ import annotations

import re
from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

import httpx
import pytest

from standins.server import ServerThread
from tests.conftest import SERVICE_TIMEOUT
from tests.e2e import test_service
from tests.e2e.conftest import World
from tests.e2e.test_service import SAMPLE_BODY, call, wait_for

# The service and its keys, as tests/e2e/test_service.py makes them.
service = test_service.service
api_keys = test_service.api_keys

# Words that occur in English sentences and never in these Indonesian ones, and
# what FastAPI and HTTP write when nobody said anything.
ENGLISH = re.compile(
    r"\b(the|and|of|is|are|to|for|with|by|or|a|an|its?|this|that|until|who|what|where|"
    r"which|when|Successful|Response|Validation|Error|Healthz|Readyz|Metrics)\b"
)
PHRASES = {status.phrase for status in HTTPStatus}


def texts(node: Any, where: str = "") -> Iterator[tuple[str, str]]:
    """Every description and summary in the document, with where it is."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("description", "summary") and isinstance(value, str):
                yield f"{where}/{key}", value
            yield from texts(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from texts(value, f"{where}[{i}]")


def test_the_openapi_document_says_everything_in_indonesian(service: ServerThread) -> None:
    document = httpx.get(f"{service.url}/openapi.json", timeout=SERVICE_TIMEOUT).json()

    english = [(where, text) for where, text in texts(document) if ENGLISH.search(text)]
    defaults = [(where, text) for where, text in texts(document) if text in PHRASES]
    assert english == []
    assert defaults == []
    answers = [
        answer["description"]
        for operations in document["paths"].values()
        for operation in operations.values()
        for answer in operation["responses"].values()
    ]
    assert "Successful Response" not in answers and "Berhasil" in answers
    retry = document["components"]["schemas"]["RetryOut"]["properties"]
    assert {k for k, v in retry.items() if v.get("deprecated")} == {
        "retried",
        "resolved",
        "still_open",
        "rejected",
    }


def test_validation_answers_name_the_field_or_the_body(
    service: ServerThread, api_keys: dict[str, str]
) -> None:
    admin = api_keys["admin"]
    json_headers = {"Content-Type": "application/json"}

    def post(path: str, **kw: Any) -> tuple[int, str]:
        answer = call(service, "POST", path, admin, **kw)
        return answer.status_code, answer.json()["detail"]

    broken = post("/api/v1/runs", content=b'{"tahun_anggaran": 2026,}', headers=json_headers)
    empty = post("/api/v1/runs", headers=json_headers)
    listed = post("/api/v1/runs", json=[SAMPLE_BODY])
    field = post("/api/v1/runs", json={"tahap": "renja"})

    assert broken == (422, "isi permintaan bukan JSON yang sah (karakter ke-24)")
    assert empty == (422, "isi permintaan wajib diisi")
    assert listed == (422, "isi permintaan harus objek JSON")
    assert field == (422, "tahun_anggaran: wajib diisi")


def test_run_states_inside_sentences_are_said_in_indonesian(
    world: World, service: ServerThread, api_keys: dict[str, str]
) -> None:
    admin = api_keys["admin"]
    world.faults(world.source, latency_ms=150)  # keep the first run busy for a while

    first = call(service, "POST", "/api/v1/runs", admin, json={**SAMPLE_BODY, "full": True}).json()
    busy = call(service, "POST", "/api/v1/runs", admin, json=SAMPLE_BODY).json()
    world.faults(world.source, latency_ms=0)
    wait_for(service, admin, first["id"], {"succeeded"})
    finished = call(service, "POST", f"/api/v1/runs/{first['id']}/cancel", admin).json()

    assert re.fullmatch(
        rf"run {first['id']} \(2026/renja\) masih (menunggu|berjalan); "
        "tunggu selesai atau batalkan dulu",
        busy["detail"],
    ), busy
    assert finished == {"error": "run_selesai", "detail": f"run {first['id']} sudah berhasil"}


def test_the_retry_answer_has_indonesian_keys_and_keeps_the_old_ones(
    world: World, service: ServerThread, api_keys: dict[str, str]
) -> None:
    admin = api_keys["admin"]
    world.settings = world.settings.model_copy(update={"retry_max_attempts": 2})
    world.faults(world.target, item_error_after_apply_rate=1.0)
    assert world.sync(full=True).counts == {"dead_letter": 160}
    world.faults(world.target, item_error_after_apply_rate=0.0)
    letter = call(service, "GET", "/api/v1/dead-letters?limit=1", admin).json()["items"][0]

    once = call(service, "POST", f"/api/v1/dead-letters/{letter['id']}/retry", admin).json()
    again = call(service, "POST", f"/api/v1/dead-letters/{letter['id']}/retry", admin).json()

    counts = {k: v for k, v in once.items() if k != "items"}
    assert counts == {
        "dikirim_ulang": 1,
        "terkirim": 1,
        "masih_terbuka": 0,
        "ditolak": 0,
        # the names of earlier versions, still sent
        "retried": 1,
        "resolved": 1,
        "still_open": 0,
        "rejected": 0,
    }
    assert again == {
        "error": "sudah_selesai",
        "detail": f"dead letter {letter['id']} sudah sampai di E-Planning",
    }


@pytest.mark.parametrize("body", [b"[", b"x"])
def test_a_body_that_is_not_json_at_all_is_said_plainly(
    service: ServerThread, api_keys: dict[str, str], body: bytes
) -> None:
    answer = call(service, "POST", "/api/v1/runs", api_keys["admin"], content=body,
                  headers={"Content-Type": "application/json"})  # fmt: skip

    assert answer.status_code == 422
    assert answer.json()["detail"].startswith("isi permintaan bukan JSON yang sah")
