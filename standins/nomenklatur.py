"""The built-in nomenclature sample and reading a nomenclature JSON file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# Found beside this module rather than through importlib.resources("standins"): under
# pytest the tests/standins folder can shadow the package name as a namespace package.
SAMPLE_PATH = Path(__file__).resolve().parent / "data" / "nomenklatur_sample.json"


def load_sample() -> dict[str, Any]:
    """The built-in sample: `{"versi": "TA 2027 (contoh)", "items": [...]}` (~320 KABKOT rows)."""
    return read_file(SAMPLE_PATH)


def read_file(path: str | Path) -> dict[str, Any]:
    """Read a nomenclature JSON file: either `{"versi", "items"}` or a bare list of items."""
    return _as_document(json.loads(Path(path).read_text(encoding="utf-8")))


def _as_document(data: Any) -> dict[str, Any]:
    if isinstance(data, list):
        return {"versi": None, "items": data}
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        return {"versi": data.get("versi"), "items": data["items"]}
    raise ValueError("nomenklatur harus berupa daftar item atau {'versi', 'items'}")
