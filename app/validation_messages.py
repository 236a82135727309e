"""Pydantic's validation messages said in Bahasa Indonesia: for the API's 422
answers (app.http.errors) and the command line's settings errors. Pydantic
only: a command that reads its settings need not load the web framework."""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


_MESSAGES = {
    "missing": "wajib diisi",
    "extra_forbidden": "field tidak dikenal",
    "int_parsing": "harus bilangan bulat",
    "int_type": "harus bilangan bulat",
    "bool_parsing": "harus true atau false",
    "bool_type": "harus true atau false",
    "string_type": "harus teks",
    "list_type": "harus daftar",
    "json_invalid": "JSON tidak valid",
    "model_attributes_type": "harus objek JSON",
    "dict_type": "harus objek JSON",
    "finite_number": "harus bilangan terhingga",
    "float_parsing": "harus bilangan",
    "float_type": "harus bilangan",
    "int_from_float": "harus bilangan bulat, tanpa pecahan",
    "int_parsing_size": "bilangan terlalu besar",
    "decimal_parsing": "harus bilangan desimal",
    "decimal_type": "harus bilangan desimal",
    "date_parsing": "harus tanggal (YYYY-MM-DD)",
    "date_type": "harus tanggal (YYYY-MM-DD)",
    "datetime_parsing": "harus waktu ISO 8601",
    "datetime_type": "harus waktu ISO 8601",
    "json_type": "harus JSON",
    "string_unicode": "harus teks Unicode yang sah",
    "bytes_type": "harus teks",
    "none_required": "harus kosong (null)",
    "list_type_or_tuple": "harus daftar",
    "set_type": "harus daftar",
    "tuple_type": "harus daftar",
    "is_instance_of": "jenis nilai tidak sesuai",
    "url_parsing": "harus URL",
    "uuid_parsing": "harus UUID",
    # app.http.inputs
    "angka_saja": "harus bilangan bulat, angka 0-9 saja",
}


_WITH_CONTEXT = {
    "literal_error": "harus salah satu dari {expected}",
    "enum": "harus salah satu dari {expected}",
    "greater_than_equal": "paling kecil {ge}",
    "greater_than": "harus lebih dari {gt}",
    "less_than_equal": "paling besar {le}",
    "less_than": "harus kurang dari {lt}",
    "string_pattern_mismatch": "format tidak sesuai",
    "too_short": "terlalu sedikit isinya",
    "too_long": "terlalu banyak isinya",
    "string_too_long": "terlalu panjang (paling banyak {max_length} karakter)",
    "string_too_short": "terlalu pendek (paling sedikit {min_length} karakter)",
    "value_error": "{error}",
    "multiple_of": "harus kelipatan {multiple_of}",
    "decimal_max_digits": "paling banyak {max_digits} digit",
    "decimal_max_places": "paling banyak {decimal_places} angka di belakang koma",
    # app.http.inputs
    "karakter_terlarang": "tidak boleh berisi {karakter}",
}


class _Context(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def in_indonesian(err: Any) -> str:
    """Pydantic's English message, said in Bahasa Indonesia for the common cases."""
    kind = err.get("type")
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    if kind in _WITH_CONTEXT:
        context = _Context(err.get("ctx") or {})
        if kind == "string_too_short" and context.get("min_length") == 1:
            return "tidak boleh kosong"
        if isinstance(context.get("expected"), str):
            # pydantic lists the choices as "'a', 'b' or 'c'".
            context["expected"] = context["expected"].replace("' or '", "' atau '")
        return _WITH_CONTEXT[kind].format_map(context)
    # Never pydantic's English: a type we have not translated gets a plain answer.
    log.info("pesan validasi belum diterjemahkan: %s (%s)", kind, err.get("msg"))
    return "nilai tidak valid"
