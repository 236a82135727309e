"""`python -m reliability`: scenarios found by themselves, the table, the exit code."""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

import pytest

import reliability.__main__ as matrix
from reliability import scenarios
from reliability.rows import Row, Size


def test_every_scenario_module_is_found_in_a_stable_order() -> None:
    names = [module.NAME for module in scenarios.discover()]
    assert {"ambiguous", "baseline", "eplanning_down", "flaky", "sigkill"} <= set(names)
    assert names == [module.NAME for module in scenarios.discover()]
    assert len(names) == len(set(names))


def _scenario(name: str, rows: list[Row]) -> ModuleType:
    module = ModuleType(name)

    def run(size: Size, workdir: Path) -> list[Row]:
        assert workdir.is_dir()
        return rows

    module.NAME = name  # type: ignore[attr-defined]
    module.run = run  # type: ignore[attr-defined]
    return module


def _with(monkeypatch: pytest.MonkeyPatch, *modules: ModuleType) -> None:
    monkeypatch.setattr(scenarios, "by_name", lambda: {m.NAME: m for m in modules})  # type: ignore[attr-defined]
    monkeypatch.setattr(sys, "argv", ["python -m reliability"])


def test_a_row_that_does_not_hold_fails_the_matrix_and_shows_in_the_document(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = _scenario("good", [Row("none", "exit 0", "exit 0", True)])
    bad = _scenario("bad", [Row("kill | restart", "lost 0", "lost 3", False)])
    _with(monkeypatch, good, bad)
    out = tmp_path / "reliability.md"
    assert matrix.main(["--out", str(out)]) == 1
    document = out.read_text()
    assert "| none | exit 0 | exit 0 | ✓ |" in document
    assert "| kill \\| restart | lost 0 | lost 3 | ✗ |" in document
    assert "cores" in document and "commit:" in document and "size small" in document
    assert "[bad] 0/1 rows hold" in capsys.readouterr().out


def test_only_runs_the_named_scenarios_and_a_crash_is_a_row_that_does_not_hold(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def crash(size: Size, workdir: Path) -> list[Row]:
        raise RuntimeError("stand-ins did not start")

    broken = _scenario("broken", [])
    broken.run = crash  # type: ignore[attr-defined]
    good = _scenario("good", [Row("none", "exit 0", "exit 0", True)])
    _with(monkeypatch, good, broken)
    out = tmp_path / "only.md"
    assert matrix.main(["--only", "good", "--out", str(out)]) == 0
    assert "✗" not in out.read_text()
    assert matrix.main(["--only", "broken", "--out", str(out)]) == 1
    assert "stand-ins did not start" in out.read_text()
    assert matrix.main(["--only", "nope"]) == 2
