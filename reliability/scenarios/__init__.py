"""The scenarios of the matrix, one module each, found here without a list to keep up to date.

A scenario module exposes ``NAME`` (the id ``--only`` takes) and
``run(size, workdir) -> list[Row]``. Modules run in the order of their names.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from types import ModuleType
from typing import Protocol

from reliability.rows import Row, Size


class Scenario(Protocol):
    NAME: str

    def run(self, size: Size, workdir: Path) -> list[Row]: ...


def discover() -> list[ModuleType]:
    """Every scenario module of this package, ordered by module name."""
    modules = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "NAME") and hasattr(module, "run"):
            modules.append(module)
    return modules


def by_name() -> dict[str, ModuleType]:
    return {module.NAME: module for module in discover()}
