"""The arrows point one way: the product (`app`, `connectors`, `mappings`) never
imports the stand-ins or the demo, which the production image does not carry;
`connectors` and `mappings` know nothing of `app`."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOT_SHIPPED = ("standins", "demo")
FORBIDDEN = {
    "app": NOT_SHIPPED,
    "connectors": ("app", *NOT_SHIPPED),
    "mappings": ("app", "connectors", *NOT_SHIPPED),
}


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id)
            in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.add(node.args[0].value)
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_module_imports_across_the_layers(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files
    crossing = {
        f"{path.relative_to(ROOT)} imports {name}"
        for path in files
        for name in imported_modules(path)
        if name.split(".")[0] in FORBIDDEN[package]
    }
    assert not crossing, sorted(crossing)


def test_loading_every_app_module_loads_no_stand_in_and_no_demo() -> None:
    probe = (
        "import importlib, pkgutil, sys\n"
        "import app\n"
        "for m in pkgutil.walk_packages(app.__path__, 'app.'):\n"
        "    importlib.import_module(m.name)\n"
        "print(' '.join(sorted(n for n in sys.modules if n.split('.')[0] in "
        f"{NOT_SHIPPED!r})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
