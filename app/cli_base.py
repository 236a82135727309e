"""How the `sinkron` command speaks: help in Bahasa Indonesia, and the one place
where every error becomes a single `galat: …` line on stderr and an exit code.

Typer 0.29 vendors its own copy of Click with English strings written in (only
a few still pass through gettext), so translating a catalogue is not enough:
the supported hooks are the command classes (`cls=`) and running the command
with ``standalone_mode=False``, which hands every error back to the caller.
Commands here raise `CliError` for what they expect to go wrong; anything else
(a usage mistake, a file that cannot be written, a database that cannot be
reached, a bug) is said in Indonesian too, never as a traceback.

Typer exports only some of its Click exceptions, so the rest come from
`typer._click`; typer is pinned in constraints.txt, and tests/e2e/test_cli_errors.py
fails on an upgrade that moves them or changes their English.
"""

from __future__ import annotations

import errno
import os
import re
import sys
import traceback
from collections.abc import Callable, Sequence
from difflib import get_close_matches
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from typer._click import exceptions as click_errors
from typer._click.core import Command, Context, Parameter
from typer._click.formatting import HelpFormatter
from typer.core import TyperCommand, TyperGroup, TyperOption

if TYPE_CHECKING:
    from app.access.keys import Principal

HELP_TEXT = "Tampilkan bantuan ini lalu keluar."
USAGE_PREFIX = "Penggunaan: "
OPTIONS_METAVAR = "[OPSI]"
SUBCOMMAND_METAVAR = "PERINTAH [ARGUMEN]..."


class UsageInIndonesian(click_errors.UsageError):
    """A usage error whose message is already in Indonesian."""


class CliError(Exception):
    """An error the command expected; the message is for the admin, in Indonesian."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


# --- help -----------------------------------------------------------------------------


def _help_option(found: Parameter | None) -> Parameter | None:
    if isinstance(found, TyperOption):
        found.help = HELP_TEXT
    return found


_EXTRA = re.compile(r"\s*\[([^\[\]]*)\]$")
_TYPE = re.compile(r" <[^<>]*>$")


def _extra_in_indonesian(text: str) -> str:
    """Typer's '[default: 20; required]' after an option's help, in Indonesian."""
    match = _EXTRA.search(text)
    if match is None:
        return text
    parts = []
    for part in match.group(1).split("; "):
        if part == "required":
            parts.append("wajib")
        elif part.startswith("default: "):
            parts.append("bawaan: " + part.removeprefix("default: "))
        else:
            parts.append(part)
    return f"{text[: match.start()]}  [{'; '.join(parts)}]"


def _format_params(command: Command, ctx: Context, formatter: HelpFormatter) -> None:
    arguments: list[tuple[str, str]] = []
    options: list[tuple[str, str]] = []
    for param in command.get_params(ctx):
        record = param.get_help_record(ctx)
        if record is None:
            continue
        # Typer adds a type in English (`<path>`); the metavar already says what to give.
        row = (_TYPE.sub("", record[0]), _extra_in_indonesian(record[1]))
        (arguments if param.param_type_name == "argument" else options).append(row)
    for title, rows in (("Argumen", arguments), ("Opsi", options)):
        if rows:
            with formatter.section(title):
                formatter.write_dl(rows)


class _InIndonesian(Command):
    """What every `sinkron` command says in Indonesian; put before Typer's class."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.options_metavar = OPTIONS_METAVAR

    def get_help_option(self, ctx: Context) -> Any:
        return _help_option(super().get_help_option(ctx))

    def format_usage(self, ctx: Context, formatter: HelpFormatter) -> None:
        pieces = self.collect_usage_pieces(ctx)
        formatter.write_usage(ctx.command_path, " ".join(pieces), prefix=USAGE_PREFIX)

    def format_options(self, ctx: Context, formatter: HelpFormatter) -> None:
        _format_params(self, ctx, formatter)


class SinkronCommand(_InIndonesian, TyperCommand):
    """A command whose help reads in Indonesian."""


class SinkronGroup(_InIndonesian, TyperGroup):
    """A group of commands: Indonesian help, and `main` runs the one error handler."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.subcommand_metavar = SUBCOMMAND_METAVAR

    def format_options(self, ctx: Context, formatter: HelpFormatter) -> None:
        super().format_options(ctx, formatter)
        rows = [
            (name, command.get_short_help_str(formatter.width - 6 - len(name)))
            for name, command in self.commands.items()
            if not command.hidden
        ]
        if rows:
            with formatter.section("Perintah"):
                formatter.write_dl(rows)

    def resolve_command(self, ctx: Context, args: list[str]) -> Any:
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            close = get_close_matches(name, list(self.commands), n=3)
            hint = f"; mungkin maksudnya: {', '.join(close)}" if close else ""
            raise UsageInIndonesian(f"perintah '{name}' tidak dikenal{hint}", ctx)
        return super().resolve_command(ctx, args)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> NoReturn:
        try:
            code = super().main(
                args,
                prog_name,
                complete_var,
                standalone_mode=False,
                windows_expand_args=windows_expand_args,
                **extra,
            )
        except Exception as exc:  # the one place: every error becomes a galat line
            sys.exit(report(exc))
        if code == 130:  # Typer's word for Ctrl-C
            typer.echo("\ndihentikan", err=True)
        sys.exit(code if isinstance(code, int) else 0)


class Sinkron(typer.Typer):
    """A Typer app whose groups and commands speak Indonesian (plain help, no panels)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cls=SinkronGroup, rich_markup_mode=None, **kwargs)

    def command(self, *args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], Any]:
        kwargs.setdefault("cls", SinkronCommand)
        return super().command(*args, **kwargs)


# --- errors ---------------------------------------------------------------------------


def galat(message: str) -> None:
    typer.secho(f"galat: {message}", fg=typer.colors.RED, err=True)


def report(exc: BaseException) -> int:
    """Say what went wrong in one `galat:` line (and where to find help, after a
    wrong command line); returns the exit code: 2 for a wrong command line or
    configuration, 1 for what failed while doing the work."""
    if isinstance(exc, click_errors.NoArgsIsHelpError):
        typer.echo(exc.ctx.get_help())  # a bare `sinkron db` asks what there is
        return 0
    message, code = describe(exc)
    galat(message)
    if isinstance(exc, click_errors.UsageError) and exc.ctx is not None:
        typer.echo(f"lihat `{exc.ctx.command_path} {exc.ctx.help_option_names[0]}`", err=True)
    return code


def describe(exc: BaseException) -> tuple[str, int]:
    """The `galat:` message for an error, and the exit code."""
    if isinstance(exc, CliError):
        said = exc.message, exc.code
    elif isinstance(exc, click_errors.UsageError):
        said = usage_error(exc), 2
    elif isinstance(exc, typer.Abort):
        said = "dibatalkan", 1
    elif isinstance(exc, OSError):
        said = os_error(exc), 1
    else:
        database = _database_error(exc)
        if database is not None:
            said = database, 1
        else:
            if os.environ.get("SINKRON_LOG_LEVEL", "").upper() == "DEBUG":
                traceback.print_exception(exc)
            said = (
                f"galat tak terduga ({type(exc).__name__}: {exc}); ulangi dengan "
                "SINKRON_LOG_LEVEL=DEBUG untuk rinciannya dan laporkan ke pengelola Sinkron",
                1,
            )
    return said


_OS_REASONS = {
    errno.ENOENT: "tidak ada (periksa nama berkas dan direktorinya)",
    errno.EACCES: "tidak boleh diakses (izin ditolak)",
    errno.EPERM: "tidak boleh diakses (izin ditolak)",
    errno.EISDIR: "adalah direktori, bukan berkas",
    errno.ENOTDIR: "salah satu bagian jalurnya bukan direktori",
    errno.ENOSPC: "tidak dapat ditulis: ruang disk habis",
    errno.EROFS: "tidak dapat ditulis: sistem berkas hanya-baca",
    errno.EEXIST: "sudah ada",
}


def os_error(exc: OSError) -> str:
    """An OSError as an admin reads it: the file, and why, in Indonesian."""
    reason = _OS_REASONS.get(exc.errno or 0, f"tidak dapat dipakai (galat sistem {exc.errno})")
    where = exc.filename if exc.filename is not None else "berkas"
    return f"{where}: {reason}"


def _database_error(exc: BaseException) -> str | None:
    # sqlalchemy is imported only when something failed: `--help` stays light.
    if not type(exc).__module__.startswith("sqlalchemy"):
        return None
    from sqlalchemy.exc import DBAPIError, OperationalError

    if isinstance(exc, OperationalError):
        return f"basis data tidak dapat dihubungi: {exc.orig}"
    if isinstance(exc, DBAPIError):
        return f"basis data menolak permintaan: {exc.orig}"
    return f"galat basis data: {exc}"


_EXTRA_ARGS = re.compile(r"^Got unexpected extra argument(?:\(s\)|s)? \((.*)\)$")
_NEEDS_VALUE = re.compile(r"^Option '(.+)' requires")
_TAKES_NO_VALUE = re.compile(r"^Option '(.+)' does not take a value")


def usage_error(exc: click_errors.UsageError) -> str:
    """Click's usage errors, by their kind and the parameter they name."""
    if isinstance(exc, click_errors.MissingParameter):
        kind = "argumen" if _kind(exc.param) == "argument" else "opsi"
        return f"{kind} {_hint(exc)} wajib diisi"
    if isinstance(exc, click_errors.NoSuchOption):
        close = sorted(exc.possibilities or ())
        hint = f"; mungkin maksudnya: {', '.join(close)}" if close else ""
        return f"opsi {exc.option_name} tidak dikenal{hint}"
    if isinstance(exc, click_errors.BadParameter):
        return f"nilai {_hint(exc)} tidak sah: {_bad_value(exc)}"
    if isinstance(exc, UsageInIndonesian):
        return exc.message
    for pattern, say in (
        (_EXTRA_ARGS, "argumen berlebih: {}"),
        (_NEEDS_VALUE, "opsi {} perlu nilai"),
        (_TAKES_NO_VALUE, "opsi {} tidak menerima nilai"),
    ):
        match = pattern.match(exc.message)
        if match:
            return say.format(match.group(1))
    # Click's remaining usage errors cannot occur with these commands; should
    # one appear, it is not shown in English.
    return "susunan perintah tidak sah"


def _kind(param: Parameter | None) -> str:
    return param.param_type_name if param is not None else "option"


def _hint(exc: click_errors.BadParameter) -> str:
    if exc.param is not None:
        return exc.param.get_error_hint()
    hint = exc.param_hint
    return (
        " / ".join(hint) if isinstance(hint, Sequence) and not isinstance(hint, str) else hint or ""
    )


_NOT_ONE_OF = re.compile(r"^(.*) is not one of (.*)\.$")


def _bad_value(exc: click_errors.BadParameter) -> str:
    """Typer checks values with pydantic: its reason, said in Indonesian as the API
    says it; a choice Typer refuses itself (a ValueError inside pydantic) by name."""
    from pydantic import ValidationError

    cause = exc.__cause__
    if not isinstance(cause, ValidationError) or not cause.errors():
        return "nilai tidak dapat dibaca"
    error = cause.errors()[0]
    if error["type"] != "value_error":
        from app.validation_messages import in_indonesian

        return in_indonesian(error)
    choice = _NOT_ONE_OF.match(str((error.get("ctx") or {}).get("error", "")))
    if choice:
        return f"{choice.group(1)} bukan salah satu dari {choice.group(2)}"
    return "nilai tidak dapat dibaca"


def fail(message: str, code: int = 2) -> CliError:
    """The error to raise; app.cli_base prints it as one `galat:` line and exits with `code`."""
    return CliError(message, code)


def cli_principal() -> Principal:
    """Who the run and the audit trail name for what this command does."""
    from app.access.keys import Principal
    from app.vocabulary import Role

    return Principal("cli", Role.ADMIN)
