"""What the fuzzers found, one test each, so it cannot come back unnoticed.
(Behaviour over real data is in tests/e2e: test_service.py for cursors and
unknown query parameters, test_laporan_api.py for ids, exports and decisions.)"""

from __future__ import annotations

import re
from typing import Any

import pytest
from starlette.testclient import TestClient

from app.api.schemas import KODE_SKPD_DIKENAL
from app.http.pagination import CURSOR_FORMAT
from tests.fuzz.test_api import SERVED


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return dict(SERVED.app.openapi())


def parameter(document: dict[str, Any], path: str, name: str) -> dict[str, Any]:
    found = [p for p in document["paths"][path]["get"]["parameters"] if p["name"] == name]
    assert found, f"{path} has no parameter {name}"
    return dict(found[0])


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        # Starlette named only the first matching route: "Allow: GET" hid POST.
        # HEAD is answered wherever GET is.
        ("OPTIONS", "/api/v1/runs", "GET, HEAD, POST"),
        ("POST", "/api/v1/status", "GET, HEAD"),
        ("DELETE", "/laporan/masuk", "GET, HEAD, POST"),
    ],
)
def test_a_wrong_method_names_every_method_the_path_has(method: str, path: str, allow: str) -> None:
    with TestClient(SERVED.app) as client:
        answer = client.request(method, path)
    assert answer.status_code == 405
    assert answer.headers["allow"] == allow
    assert answer.json()["error"] == "metode_tidak_diizinkan"


def test_exports_say_they_need_a_tahun_and_tahap(document: dict[str, Any]) -> None:
    for ext in ("xlsx", "csv"):
        path = f"/api/v1/mismatches/export.{ext}"
        assert parameter(document, path, "tahun_anggaran")["required"] is True
        assert parameter(document, path, "tahap")["required"] is True


def test_a_cursor_is_documented_as_the_service_gives_it_out(document: dict[str, Any]) -> None:
    for path in ("/api/v1/runs", "/api/v1/mismatches", "/api/v1/audit", "/api/v1/dead-letters"):
        schema = parameter(document, path, "cursor")["schema"]
        assert schema["format"] == CURSOR_FORMAT
        assert schema["pattern"] == "^[A-Za-z0-9_-]*$" and schema["maxLength"] == 64


def test_text_is_documented_without_control_characters(document: dict[str, Any]) -> None:
    """What app.http.inputs refuses, the document's patterns refuse too, so that a
    generated "valid" case is one the service takes."""
    schemas = document["components"]["schemas"]
    documented = [
        next(b for b in parameter(document, path, "q")["schema"]["anyOf"] if b["type"] == "string")
        for path in ("/api/v1/mismatches", "/api/v1/mismatches/export.csv")
    ] + [schemas["AkuiIn"]["properties"]["catatan"]["anyOf"][0]]
    documented.append(schemas["KecualikanIn"]["properties"]["alasan"])
    for schema in documented:
        pattern = re.compile(schema["pattern"])
        assert pattern.search("Jalan 2,5 m² \u200f(عربي)") and pattern.search("")
        for refused in ("\x00", "\x1b", "\x7f", "\x85", "\u202e", "\u2066"):
            assert not pattern.search(f"a{refused}b"), (schema, refused)
    notes = documented[2:]
    assert all(re.search(s["pattern"], "baris satu\r\nbaris\tdua") for s in notes)
    assert not any(re.search(s["pattern"], "a\nb") for s in documented[:2])


def test_a_run_names_only_opds_eplanning_lists(document: dict[str, Any]) -> None:
    kode = document["components"]["schemas"]["RunCreate"]["properties"]["kode_skpd"]
    items = next(branch["items"] for branch in kode["anyOf"] if branch.get("type") == "array")
    assert items["format"] == KODE_SKPD_DIKENAL


def test_a_decision_on_many_is_documented_as_ids_or_a_filter(document: dict[str, Any]) -> None:
    body = document["components"]["schemas"]["KeputusanMassalIn"]
    either, excepting = body["allOf"]
    assert [b["required"] for b in either["oneOf"]] == [["ids"], ["tahun_anggaran", "tahap"]]
    assert excepting["then"]["required"] == ["alasan"]
