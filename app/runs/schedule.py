"""The nightly schedule: a cron expression in WIB over the configured scopes.

``SINKRON_SCHEDULE`` (default ``0 1 * * *``) is a standard 5-field cron
expression read in WIB (Asia/Jakarta); ``SINKRON_SYNC_SCOPES`` lists what each
firing covers, e.g. ``2026:renja,2026:apbd``. Each firing is a full run per
scope (see :func:`create_scheduled_run`). The :class:`Scheduler` only *creates*
pending runs; a worker carries them out under the lease. The clock is injected,
so tests move time by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cronsim import CronSim, CronSimError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from app.config import ConfigError
from app.db import session_scope
from app.models import SyncRun, Trigger
from app.repositories import runs
from app.sync.scope import TAHAP
from mappings.normalise import WIB

TRIGGER = Trigger.SCHEDULE
TRIGGERED_BY = "sistem-terjadwal"
SCHEDULE_VARIABLE = "SINKRON_SCHEDULE"
SCOPES_VARIABLE = "SINKRON_SYNC_SCOPES"
TAHUN_MIN, TAHUN_MAX = 2000, 2100

# cronsim names the field it could not read ("Bad day-of-month").
_FIELD_NAMES = {
    "second": "detik",
    "minute": "menit",
    "hour": "jam",
    "day-of-month": "tanggal",
    "month": "bulan",
    "day-of-week": "hari",
}

ScopeKey = tuple[int, str]


class ScheduleError(ConfigError, ValueError):
    """SINKRON_SCHEDULE or SINKRON_SYNC_SCOPES is unusable; the message names which."""


def parse_scopes(text: str) -> list[ScopeKey]:
    """``"2026:renja, 2026:apbd"`` → ``[(2026, "renja"), (2026, "apbd")]``; blank → ``[]``."""
    scopes: list[ScopeKey] = []
    for raw in text.split(","):
        item = raw.strip()
        if not item:
            continue
        tahun_text, sep, tahap_text = item.partition(":")
        tahun_text, tahap = tahun_text.strip(), tahap_text.strip().lower()
        if not sep or not tahun_text or not tahap:
            raise ScheduleError(
                f"{SCOPES_VARIABLE}: {item!r} bukan cakupan berbentuk 'tahun:tahap'; "
                "contoh: '2026:renja,2026:apbd'"
            )
        if not (tahun_text.isascii() and tahun_text.isdigit()) or not (
            TAHUN_MIN <= int(tahun_text) <= TAHUN_MAX
        ):
            raise ScheduleError(
                f"{SCOPES_VARIABLE}: tahun anggaran {tahun_text!r} pada {item!r} harus angka "
                f"tahun antara {TAHUN_MIN} dan {TAHUN_MAX}"
            )
        if tahap not in TAHAP:
            raise ScheduleError(
                f"{SCOPES_VARIABLE}: tahap {tahap_text.strip()!r} pada {item!r} tidak dikenal; "
                f"pilih salah satu dari {', '.join(TAHAP)}"
            )
        scope = (int(tahun_text), tahap)
        if scope in scopes:
            raise ScheduleError(f"{SCOPES_VARIABLE}: cakupan {item!r} tertulis lebih dari sekali")
        scopes.append(scope)
    return scopes


def _cron_error(expression: str, reason: str) -> ScheduleError:
    return ScheduleError(
        f"{SCHEDULE_VARIABLE}: {expression!r} bukan ekspresi cron yang valid ({reason}); "
        "tulis 5 kolom 'menit jam tanggal bulan hari' dalam WIB, contoh '0 1 * * *'"
    )


def _check_expression(expression: str) -> None:
    fields = expression.split()
    if len(fields) != 5:
        raise _cron_error(expression, f"berisi {len(fields)} kolom, seharusnya 5")
    try:
        upcoming = CronSim(expression, datetime.now(WIB))
    except CronSimError as exc:
        text = str(exc)
        field = text.removeprefix("Bad ")
        reason = f"kolom {_FIELD_NAMES[field]} salah" if field in _FIELD_NAMES else text
        raise _cron_error(expression, reason) from exc
    if next(upcoming, None) is None:
        raise _cron_error(expression, "tidak pernah jatuh dalam 50 tahun ke depan")


def _require_aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetime refused: pass an aware datetime")
    return moment


@dataclass(frozen=True)
class Schedule:
    """A validated cron expression (read in WIB) and the scopes each firing covers."""

    expression: str
    scopes: tuple[ScopeKey, ...] = ()

    def __post_init__(self) -> None:
        _check_expression(self.expression)

    @classmethod
    def from_text(cls, expression: str, scopes_text: str) -> Schedule:
        """From the raw settings; a :class:`ScheduleError` names the bad variable."""
        return cls(" ".join(expression.split()), tuple(parse_scopes(scopes_text)))

    def next_after(self, moment: datetime) -> datetime:
        """The next firing strictly after ``moment``, as an aware WIB datetime."""
        start = _require_aware(moment).astimezone(WIB)
        fire = next(CronSim(self.expression, start), None)
        if fire is None:  # pragma: no cover - refused by _check_expression
            raise _cron_error(self.expression, "tidak ada jadwal berikutnya")
        return fire.astimezone(WIB)

    def latest_at_or_before(self, moment: datetime) -> datetime | None:
        """The most recent firing at or before ``moment`` (aware WIB), or None when
        there is none in the 50 years before it.

        cronsim walks backwards field by field, so this is cheap for any
        expression, including ones that fire once every four years.
        """
        # cronsim's reverse iterator yields times strictly before a whole-second
        # start; firings fall on whole minutes, so start one second after `moment`.
        start = _require_aware(moment).astimezone(WIB).replace(microsecond=0)
        fire = next(CronSim(self.expression, start + timedelta(seconds=1), reverse=True), None)
        return None if fire is None else fire.astimezone(WIB)


# -- queries ----------------------------------------------------------------


def last_scheduled_for(session: Session) -> datetime | None:
    """The latest cron time the schedule fired for (any scope), or None."""
    return session.scalar(select(func.max(SyncRun.scheduled_for)).where(SyncRun.trigger == TRIGGER))


def scopes_scheduled_at(session: Session, moment: datetime) -> set[ScopeKey]:
    """The scopes that already have a run for the cron time ``moment``."""
    rows = session.execute(
        select(SyncRun.tahun_anggaran, SyncRun.tahap).where(SyncRun.scheduled_for == moment)
    )
    return {(tahun, tahap) for tahun, tahap in rows}


def create_scheduled_run(session: Session, scope: ScopeKey, *, scheduled_for: datetime) -> SyncRun:
    """A pending full run of ``scope`` for the cron time ``scheduled_for``.

    Full, because an incremental run reads nothing of E-Planning once the mirror
    is filled: only a full comparison sees what planners did there since (an
    edit, a record only there, a record deleted there) with no admin action
    (docs/design.md, promise 10). A full run cut short is continued by the next
    one at its checkpoint (promise 3).

    Raises IntegrityError (at flush) when that run already exists: the unique
    (tahun_anggaran, tahap, scheduled_for) makes two replicas create it once.
    """
    tahun_anggaran, tahap = scope
    return runs.create(
        session,
        tahun_anggaran=tahun_anggaran,
        tahap=tahap,
        full=True,
        trigger=TRIGGER,
        triggered_by=TRIGGERED_BY,
        scheduled_for=scheduled_for,
    )


# -- the scheduler ------------------------------------------------------------


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Scheduler:
    """Turns cron times into pending runs, once, however many processes tick.

    The service loop calls :meth:`tick` every few seconds (and at least by
    :meth:`seconds_until_next`); tests call it with a fake clock. Each tick looks
    at the latest cron time at or before now (``due``) and the latest cron time
    any process ever fired for (``last``, from ``sync_run.scheduled_for``):

    - ``last`` is None (a brand-new install): ``due`` becomes an in-memory
      baseline and nothing fires; the first cron time after the baseline fires.
      A new install does not run a job for a time before it existed.
    - ``due`` is after ``last``: fire ``due``, one pending run per scope. This
      is also the catch-up after downtime: when the service was down at 01:00
      WIB, its first tick after coming back fires that 01:00 once. Several
      missed times collapse into the latest one; there is never a backlog.
    - ``due`` equals ``last``: only scopes still missing a run for ``due`` are
      created (a process that died between two scopes' transactions, or a scope
      added to the configuration since); normally there are none.

    Every run is inserted in its own transaction. The unique (tahun_anggaran,
    tahap, scheduled_for) decides between processes and replicas firing the
    same time: the loser's insert fails and is skipped silently.
    """

    def __init__(
        self,
        *,
        schedule: Schedule,
        session_factory: sessionmaker[Session],
        clock: Callable[[], datetime] = _utcnow,
        on_created: Callable[[list[int]], None] | None = None,
    ) -> None:
        self.schedule = schedule
        self._session_factory = session_factory
        self._clock = clock
        self._on_created = on_created
        self._baseline: datetime | None = None

    def _now(self) -> datetime:
        return _require_aware(self._clock())

    def tick(self) -> list[int]:
        """Create the runs that are due; return the ids this call created.

        ``on_created`` is called with them when there are any (after they are
        committed; an exception it raises reaches the caller).
        """
        if not self.schedule.scopes:
            return []
        due = self.schedule.latest_at_or_before(self._now())
        if due is None:
            return []
        with session_scope(self._session_factory) as session:
            last = last_scheduled_for(session)
            existing = scopes_scheduled_at(session, due)
        if last is None:
            if self._baseline is None:
                self._baseline = due
            if due <= self._baseline:
                return []
        elif due < last:
            return []
        created = [
            run_id
            for scope in self._missing(existing)
            if (run_id := self._create(scope, due)) is not None
        ]
        if created and self._on_created is not None:
            self._on_created(created)
        return created

    def _missing(self, existing: set[ScopeKey]) -> Sequence[ScopeKey]:
        return [scope for scope in self.schedule.scopes if scope not in existing]

    def _create(self, scope: ScopeKey, due: datetime) -> int | None:
        try:
            with session_scope(self._session_factory) as session:
                return create_scheduled_run(session, scope, scheduled_for=due).id
        except IntegrityError:
            with session_scope(self._session_factory) as session:
                if scope in scopes_scheduled_at(session, due):
                    return None  # another process created it first
            raise

    def next_fire(self) -> datetime:
        """The next cron time after now, in WIB (shown by ``/status``)."""
        return self.schedule.next_after(self._now())

    def seconds_until_next(self) -> float:
        """How long the service loop may sleep before the next cron time."""
        now = self._now()
        return max(0.0, (self.schedule.next_after(now) - now).total_seconds())
