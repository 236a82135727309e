"""The outage policy of a run: when E-Program or E-Planning stops answering.

Each request is retried by the connectors (:func:`retry_policy`, from the
settings). What outlives those retries is this module's: a read that fails
stops the run; a push or a replay to E-Planning that gets no answer at all is
sent again after a pause, and ``SINKRON_OUTAGE_BATCHES`` of them in a row stop
the run as failed (docs/design.md, promise 8). The page in hand is then not
recorded, so the checkpoint stays where the records are and nothing becomes a
dead letter for an outage. Every contact is noted for the health page, and
what an admin reads names the system, its address and what to check, in
Bahasa Indonesia; the failed request and the library's own words follow,
marked as technical detail, for whoever reads the log.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Literal, Protocol, TypeVar

from app.config import Settings
from app.sync.push import PlannedWrite, PushResult, push_writes
from connectors.eplanning import EPlanningClient
from connectors.http import (
    AuthError,
    ConnectorError,
    PermanentError,
    RetryPolicy,
    TransientError,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

System = Literal["eprogram", "eplanning"]

NAMES: dict[System, str] = {"eprogram": "E-Program", "eplanning": "E-Planning"}
_URL_SETTING: dict[System, str] = {
    "eprogram": "SINKRON_EPROGRAM_URL",
    "eplanning": "SINKRON_EPLANNING_URL",
}
_CREDENTIAL: dict[System, str] = {
    "eprogram": "SINKRON_EPROGRAM_API_KEY",
    "eplanning": "SINKRON_EPLANNING_TOKEN",
}
_RESUMES = "run berikutnya melanjutkan dari checkpoint"


class UpstreamUnavailable(Exception):
    """E-Program or E-Planning kept failing: the run stops as failed (docs/design.md, promise 8)."""

    def __init__(self, system: System, message: str) -> None:
        super().__init__(message)
        self.system = system


def explain(system: System, url: str, exc: ConnectorError) -> str:
    """One sentence or two an admin can act on, then the failed request for the log reader."""
    return f"{_explain(system, url, exc)} (rincian teknis: {exc.request}: {exc.reason})"


def _explain(system: System, url: str, exc: ConnectorError) -> str:
    name = NAMES[system]
    where = f"{name} di {url}"
    if isinstance(exc, AuthError):
        return (
            f"{where} menolak kredensial Sinkron (HTTP {exc.status_code}); "
            f"periksa {_CREDENTIAL[system]}"
        )
    if isinstance(exc, TransientError):
        status = exc.status_code
        if status is None:
            what = "tidak dapat dihubungi (koneksi gagal, terputus atau waktu habis)"
        elif status == 429:
            what = "terus membatasi permintaan (HTTP 429)"
        elif status >= 500:
            what = f"terus menjawab galat HTTP {status}"
        else:
            what = f"mengirim jawaban yang tidak terbaca (HTTP {status})"
        return (
            f"{where} {what} setelah dicoba ulang. Periksa apakah layanan {name} berjalan "
            f"dan dapat dijangkau dari server Sinkron, dan alamat di {_URL_SETTING[system]}; "
            f"{_RESUMES}"
        )
    if isinstance(exc, PermanentError):
        return (
            f"{where} menolak permintaan Sinkron (HTTP {exc.status_code}); periksa alamat di "
            f"{_URL_SETTING[system]} dan versi API {name}"
        )
    return f"permintaan ke {where} tidak dapat dikirim; periksa alamat di {_URL_SETTING[system]}"


def outage(system: System, url: str, exc: ConnectorError | None, *, batches: int) -> str:
    """E-Planning failed ``batches`` pushes in a row."""
    name = NAMES[system]
    return (
        f"{name} di {url} gagal menerima {batches} kiriman berturut-turut setelah dicoba ulang "
        f"({_short(exc)}); run dihentikan. Periksa apakah layanan {name} berjalan dan dapat "
        f"dijangkau dari server Sinkron; {_RESUMES} dan mengirim ulang data yang belum tercatat"
    )


def _short(exc: ConnectorError | None) -> str:
    if isinstance(exc, TransientError) and exc.status_code is not None:
        return f"jawaban terakhir HTTP {exc.status_code}"
    return "tidak ada jawaban"


def retry_policy(settings: Settings) -> RetryPolicy:
    """How the connectors retry one request (both systems)."""
    return RetryPolicy(
        max_attempts=settings.retry_max_attempts,
        initial_wait=settings.retry_initial_wait,
        max_wait=settings.retry_max_wait,
    )


def pause(failures: int, *, initial: float, longest: float) -> float:
    """How long to wait before sending again after ``failures`` silent pushes in a row."""
    return float(min(initial * 2 ** (failures - 1), longest))


class Note(Protocol):
    """Where a contact is noted (app.sync.contacts.note, bound to the sessions)."""

    def __call__(self, system: System, *, ok: bool, detail: str | None = None) -> None: ...


class Outage:
    """One run's watch on E-Program and E-Planning: pushes without an answer
    counted across the whole run (pages and replays alike), reset by any answer."""

    def __init__(
        self,
        settings: Settings,
        note: Note,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.settings = settings
        self.note = note
        self.sleep = sleep
        self.silent_in_a_row = 0

    def _url(self, system: System) -> str:
        return self.settings.eprogram_url if system == "eprogram" else self.settings.eplanning_url

    async def read(self, system: System, call: Awaitable[T]) -> T:
        """Await a read from E-Program or E-Planning, noting the contact; a failure
        that outlived its retries stops the run with a message an admin can act on."""
        try:
            value = await call
        except ConnectorError as exc:
            message = explain(system, self._url(system), exc)
            self.note(system, ok=False, detail=message)
            raise UpstreamUnavailable(system, message) from exc
        self.note(system, ok=True)
        return value

    def answered(self) -> None:
        """E-Planning answered (some of) a push: the count starts again."""
        self.silent_in_a_row = 0
        self.note("eplanning", ok=True)

    async def silent(self, cause: ConnectorError | None) -> None:
        """A push got no answer at all: note it, and stop the run after
        ``outage_batches`` in a row (UpstreamUnavailable), or pause before the
        caller sends it again."""
        self.silent_in_a_row += 1
        url = self._url("eplanning")
        detail = explain("eplanning", url, cause) if cause else "E-Planning tidak menjawab"
        self.note("eplanning", ok=False, detail=detail)
        log.warning("kiriman ke E-Planning gagal (%s berturut-turut): %s",
                    self.silent_in_a_row, cause)  # fmt: skip
        if self.silent_in_a_row >= self.settings.outage_batches:
            message = outage("eplanning", url, cause, batches=self.silent_in_a_row)
            raise UpstreamUnavailable("eplanning", message) from cause
        await self.sleep(
            pause(
                self.silent_in_a_row,
                initial=self.settings.retry_initial_wait,
                longest=self.settings.retry_max_wait,
            )
        )

    def refused(self, exc: ConnectorError) -> UpstreamUnavailable:
        """E-Planning refused a push for good (a revoked token): no retry helps."""
        message = explain("eplanning", self._url("eplanning"), exc)
        self.note("eplanning", ok=False, detail=message)
        return UpstreamUnavailable("eplanning", message)

    async def push(
        self, client: EPlanningClient, writes: Sequence[PlannedWrite]
    ) -> list[PushResult]:
        """Push a page's writes; what got no answer at all is sent again (same keys)."""
        done: list[PushResult] = []
        remaining = list(writes)
        while remaining:
            try:
                pushed = await push_writes(client, remaining)
            except ConnectorError as exc:
                raise self.refused(exc) from exc
            missing = [p for p in pushed if p.unanswered]
            done += [p for p in pushed if not p.unanswered]
            if len(missing) < len(pushed):
                self.answered()
            if not missing:
                break
            await self.silent(missing[0].cause)
            remaining = [p.write for p in missing]
        return done

    async def until_answered(self, send: Callable[[], Awaitable[T]]) -> T:
        """Send a whole request again until E-Planning answers it (a batch of dead
        letters): no answer counts as a silent push, a refusal stops the run."""
        while True:
            try:
                answer = await send()
            except TransientError as exc:
                await self.silent(exc)
                continue
            except ConnectorError as exc:
                raise self.refused(exc) from exc
            self.answered()
            return answer
