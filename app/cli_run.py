"""What the commands that carry out a run share: the settings checked for a
sync, logging, and one progress line per E-Program page.

Only typer and the vocabulary at import, as app/cli.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import typer

from app.cli_base import fail
from app.cli_database import database_place, open_database, settings_or_exit
from app.vocabulary import Stage

if TYPE_CHECKING:
    from app.config import Settings
    from app.sync.progress import Progress


def start_logging(settings: Settings) -> None:
    """Logs on stderr (JSON unless on a terminal), never showing the two credentials."""
    from app.observability import logs

    logs.configure(settings.log_level)
    logs.register_secret(settings.secret("eprogram_api_key"))
    logs.register_secret(settings.secret("eplanning_token"))


# The stages a run announces before their pages, as an admin reads them.
STAGE_LABELS = {
    Stage.BACA_EPLANNING: "membaca data yang sudah ada di E-Planning",
    Stage.TARIK: "menarik data dari E-Program, per halaman",
    Stage.KIRIM_ULANG: "mengirim ulang data yang sebelumnya gagal terkirim",
}


def durasi(seconds: float) -> str:
    """A duration as an admin says it: '40 detik', '12 menit', '2 jam 5 menit'."""
    if seconds < 90:
        return f"{max(round(seconds), 1)} detik"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"{minutes} menit"
    return f"{minutes // 60} jam {minutes % 60} menit"


class ProgressLines:
    """One line on stderr per E-Program page: how many so far, how fast, and about how
    long is left when the size of the scope is known (E-Program gives no total; a full
    run expects what the last successful full run of the same scope pulled)."""

    def __init__(
        self, *, expected: int | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.expected = expected
        self.clock = clock
        self.pull_started = clock()

    def __call__(self, event: Progress) -> None:
        from app.report import OUTCOME_LABELS, angka

        if event.stage == Stage.TARIK and not event.page:
            self.pull_started = self.clock()
        if event.stage == Stage.TARIK and event.page:
            rate = event.pulled / max(self.clock() - self.pull_started, 1e-3)
            line = f"halaman {event.page}: {angka(event.pulled)}"
            if self.expected:
                line += f" dari ±{angka(self.expected)}"
            line += " data ditarik"
            if event.pulled:
                line += f" · {angka(round(rate))} data/detik"
            if self.expected and event.pulled < self.expected:
                line += f" · perkiraan sisa {durasi((self.expected - event.pulled) / rate)}"
            line += "".join(
                f" · {OUTCOME_LABELS[k]} {angka(v)}" for k, v in sorted(event.counts.items()) if v
            )
        elif event.stage != Stage.SELESAI:
            line = f"tahap: {STAGE_LABELS.get(event.stage, event.stage)}"
        else:
            return
        typer.echo(f"[run {event.run_id}] {line}", err=True)


def settings_for_run() -> Settings:
    """The settings, checked for a command that syncs: both credentials set and
    the database reachable; logging started."""
    from sqlalchemy.exc import OperationalError

    from app.config import ConfigError

    settings = settings_or_exit()
    try:
        settings.require_secrets()
        open_database(settings).dispose()
    except ConfigError as exc:
        raise fail(str(exc)) from None
    except OperationalError as exc:
        place = database_place(settings.database_url)
        raise fail(f"basis data di {place} tidak dapat dihubungi: {exc.orig}") from None
    start_logging(settings)
    return settings
