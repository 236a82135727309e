"""Every `sinkron` command and option explains itself to an admin in `--help`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from app.cli import cli

# typer carries its own copy of click: the tree is walked by its attributes.
ROOT: Any = typer.main.get_command(cli)


def commands(group: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, command in getattr(group, "commands", {}).items():
        yield (*path, name)
        yield from commands(command, (*path, name))


def lookup(path: tuple[str, ...]) -> Any:
    command = ROOT
    for name in path:
        command = command.commands[name]
    return command


ALL = list(commands(ROOT))


def test_the_walk_finds_the_commands_an_admin_uses() -> None:
    names = {" ".join(p) for p in ALL}
    assert names >= {"sync", "laporan", "serve", "db upgrade", "keys create", "runs show"}


@pytest.mark.parametrize("path", ALL, ids=" ".join)
def test_each_command_and_option_says_what_it_is_for(path: tuple[str, ...]) -> None:
    command = lookup(path)
    assert (command.help or "").strip(), f"sinkron {' '.join(path)} has no description"
    unexplained = [p.name for p in command.params if p.name != "help" and not p.help]
    assert unexplained == []
    shown = CliRunner().invoke(cli, [*path, "--help"], terminal_width=120)
    assert shown.exit_code == 0, shown.output
    assert command.help.strip().splitlines()[0][:40] in shown.output
