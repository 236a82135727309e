"""The OpenAPI document in Bahasa Indonesia, as the people reading `/docs` read it.

FastAPI writes "Successful Response" (and the HTTP reason phrase, e.g.
"Conflict") for answers a route does not describe, and pydantic turns the
docstrings of models and enums, which are written for developers in English,
into schema descriptions. Both are replaced here, once, when the document is
first built: tests/e2e/test_bahasa.py fails on any English left in it.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI

from app.vocabulary import Tahap

# What an answer means, by status code, where the route says nothing itself.
ANSWERS = {
    200: "Berhasil",
    201: "Dibuat",
    202: "Diterima; dikerjakan di latar belakang",
    204: "Berhasil, tanpa isi",
    409: "Bertentangan dengan keadaan sekarang; alasannya di `detail`",
}

# Schemas whose description pydantic takes from an English docstring.
SCHEMAS = {
    "DeadLetterStatus": (
        "Status dead letter: `open` menunggu dikirim ulang, `resolved` sudah sampai di "
        "E-Planning, `rejected` ditolak E-Planning untuk selamanya, `superseded` "
        "digantikan hasil run berikutnya untuk data yang sama."
    ),
    "Kategori": "Kategori mismatch, dalam urutan laporan.",
    "Keputusan": "Keputusan perencana atas mismatch.",
    "KeputusanMassalIn": (
        "Satu keputusan untuk banyak mismatch: lewat `ids`, atau lewat filter dalam "
        "satu tahun anggaran dan tahap."
    ),
    "RunSummaryOut": "Run dalam daftar: OPD yang dicakupnya dihitung, tidak dirinci.",
    "Stage": (
        "Tahap run saat ini, dan tahap tempat detiknya dihitung (stage_seconds): setiap "
        "halaman `tarik` dipetakan (`petakan`), dibandingkan (`bandingkan`), dikirim "
        "(`kirim`) dan dicatat (`catat`)."
    ),
    "StatusFilter": "Status mismatch untuk menyaring, atau `terbuka` (baru dan diakui).",
    "Tahap": f"Tahap perencanaan: {Tahap.spelled()}.",
    "Trigger": "Siapa atau apa yang memulai run.",
}

_DEFAULTS = {"Successful Response", "Validation Error"} | {s.phrase for s in HTTPStatus}


def in_indonesian(document: dict[str, Any]) -> dict[str, Any]:
    """Replace FastAPI's default answer descriptions and the docstring-made schema
    descriptions; whatever a route or a field says itself is left as it is."""
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            for code, answer in operation.get("responses", {}).items():
                if answer.get("description") in _DEFAULTS:
                    answer["description"] = ANSWERS.get(int(code), f"Jawaban HTTP {code}")
    for name, schema in document.get("components", {}).get("schemas", {}).items():
        if name in SCHEMAS:
            schema["description"] = SCHEMAS[name]
    return document


def install(app: FastAPI) -> None:
    """Build the document in Indonesian (FastAPI's documented way to change it)."""
    build = app.openapi

    def document() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = in_indonesian(build())
        return app.openapi_schema

    app.openapi = document  # type: ignore[method-assign]
