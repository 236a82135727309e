"""The report files as answers, for the API and the pages alike.

A report of 100,000 rows keeps a core busy for tens of seconds, so it is made
in a worker thread while the answer listens for its reader: when the client
disconnects, the writing stops within a row (app.laporan.export.Watch) and the
thread is free again. Each export is one audit row, written as it starts and
concluded as it ends: who, from where, the filter, the rows written and how it
ended (``selesai``, ``dibatalkan`` when the reader left, ``gagal``). A key or
an address has at most SINKRON_EXPORT_CONCURRENT exports going at once; one
more answers 429 with Retry-After.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal, Protocol

import anyio
from fastapi import Request
from sqlalchemy.orm import Session, sessionmaker
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from app.access import audit
from app.access.keys import Principal
from app.access.slots import Held, NoSlot, Slots
from app.db import session_scope
from app.http.deps import client_address, parts
from app.laporan import csv_file, export, rencana_xlsx
from app.laporan.export import ExportCancelled, Watch
from app.mismatches.daftar import MismatchFilter
from app.models import utcnow
from app.repositories import runs

log = logging.getLogger(__name__)

ACTION = "laporan.ekspor"
# An export takes seconds to a minute; a client told to wait this long finds a
# slot free more often than not, and does not poll the service busy.
RETRY_AFTER = 10
_FILE_CHUNK = 64 * 1024
Format = Literal["xlsx", "csv"]
MEDIA_TYPES: dict[str, str] = {
    "xlsx": export.XLSX_MEDIA_TYPE,
    "csv": "text/csv; charset=utf-8",
}


@dataclass(frozen=True)
class Ekspor:
    """One export asked for: which file, for whom, from where."""

    format: Format
    filter: MismatchFilter
    principal: Principal
    client: str | None
    target: str
    pemda: str
    # The run schedule: how old the figures may be before the file warns.
    schedule: str
    sessions: sessionmaker[Session]

    @classmethod
    def of(cls, request: Request, f: MismatchFilter, fmt: Format) -> Ekspor:
        return cls(
            format=fmt,
            filter=f,
            principal=request.state.principal,
            client=client_address(request),
            target=request.url.path,
            pemda=parts(request).settings.pemda,
            schedule=parts(request).settings.schedule,
            sessions=parts(request).session_factory,
        )

    def detail(self) -> dict[str, object]:
        f = self.filter
        return {
            "format": self.format,
            "tahun_anggaran": f.tahun_anggaran,
            "tahap": f.tahap,
            "filter": export.describe(f),
        }

    def nama(self, session: Session, made_at: datetime) -> str:
        return export.nama_berkas(session, self.filter, self.format, made_at=made_at)

    def xlsx(self, session: Session, watch: Watch) -> Path:
        return export.xlsx_file(
            session, self.filter, pemda=self.pemda, schedule=self.schedule, made_at=utcnow(),
            watch=watch,
        )  # fmt: skip

    def csv(self, session: Session, watch: Watch) -> Iterator[bytes]:
        return csv_file.csv_chunks(session, self.filter, watch=watch)


@dataclass(frozen=True)
class EksporRencana:
    """A run's plan as an XLSX (app.laporan.rencana_xlsx), for the API and the page."""

    pilihan: rencana_xlsx.Pilihan
    principal: Principal
    client: str | None
    target: str
    pemda: str
    berlaku_jam: float
    sessions: sessionmaker[Session]
    format: Format = "xlsx"

    @classmethod
    def of(cls, request: Request, pilihan: rencana_xlsx.Pilihan) -> EksporRencana:
        settings = parts(request).settings
        return cls(
            pilihan=pilihan,
            principal=request.state.principal,
            client=client_address(request),
            target=request.url.path,
            pemda=settings.pemda,
            berlaku_jam=settings.pratinjau_berlaku_jam,
            sessions=parts(request).session_factory,
        )

    def detail(self) -> dict[str, object]:
        return {
            "format": self.format,
            "run_id": self.pilihan.run_id,
            "filter": self.pilihan.describe(),
        }

    def nama(self, session: Session, made_at: datetime) -> str:
        run = runs.get(session, self.pilihan.run_id)
        if run is None:
            raise LookupError(f"run {self.pilihan.run_id} tidak ada")
        return rencana_xlsx.filename(run, made_at)

    def xlsx(self, session: Session, watch: Watch) -> Path:
        return rencana_xlsx.xlsx_file(
            session, self.pilihan, pemda=self.pemda, made_at=utcnow(),
            berlaku_jam=self.berlaku_jam, watch=watch,
        )  # fmt: skip

    def csv(self, session: Session, watch: Watch) -> Iterator[bytes]:
        raise NotImplementedError("rencana hanya diekspor sebagai XLSX")


class Berkas(Protocol):
    """What :class:`EksporAnswer` sends: a file made in a worker thread, one audit row."""

    @property
    def format(self) -> Format: ...
    @property
    def principal(self) -> Principal: ...
    @property
    def client(self) -> str | None: ...
    @property
    def target(self) -> str: ...
    @property
    def sessions(self) -> sessionmaker[Session]: ...

    def detail(self) -> dict[str, object]: ...
    def nama(self, session: Session, made_at: datetime) -> str: ...
    def xlsx(self, session: Session, watch: Watch) -> Path: ...
    def csv(self, session: Session, watch: Watch) -> Iterator[bytes]: ...


class EksporAnswer(Response):
    """The file of an :class:`Ekspor` (or any :class:`Berkas`), made and sent
    while its reader is there."""

    def __init__(self, ekspor: Berkas, slot: Held) -> None:
        self.ekspor = ekspor
        self.slot = slot
        self.status_code = 200
        self.background = None
        self.media_type = MEDIA_TYPES[ekspor.format]
        # Made where the route runs, in a worker thread: one short query.
        with session_scope(ekspor.sessions) as session:
            name = ekspor.nama(session, utcnow())
        self.init_headers(
            {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        watch = Watch()
        failure: Exception | None = None
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(_until_gone, receive, watch)
            try:
                await self._answer(send, watch)
            except Exception as exc:  # raised below, outside the task group's wrapping
                failure = exc
            finally:
                tasks.cancel_scope.cancel()
        if failure is not None:
            raise failure

    async def _answer(self, send: Send, watch: Watch) -> None:
        event_id = await anyio.to_thread.run_sync(self._begin)
        outcome = "gagal"
        try:
            if self.ekspor.format == "xlsx":
                sent = await self._xlsx(send, watch)
            else:
                sent = await self._csv(send, watch)
            outcome = "selesai" if sent else "dibatalkan"
        except ExportCancelled:
            outcome = "dibatalkan"
        finally:
            # The slot is free and the audit row says how it ended before the
            # last byte leaves: whoever saw the whole file may ask for the next.
            self.slot.give_back()
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(self._conclude, event_id, outcome, watch.rows)
        if outcome == "selesai":
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _xlsx(self, send: Send, watch: Watch) -> bool:
        path = await anyio.to_thread.run_sync(self._write_xlsx, watch)
        try:
            size = path.stat().st_size
            await self._start(send, [(b"content-length", str(size).encode())])
            async with await anyio.open_file(path, "rb") as file:
                while chunk := await file.read(_FILE_CHUNK):
                    if watch.left.is_set():
                        return False
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            return True
        finally:
            path.unlink(missing_ok=True)

    async def _csv(self, send: Send, watch: Watch) -> bool:
        chunks = self._csv_chunks(watch)
        try:
            # The first chunk before the headers: a database that is down is
            # still a 503 of its own, not a truncated file.
            chunk = await anyio.to_thread.run_sync(_next, chunks)
            await self._start(send, [])
            while chunk is not None:
                if watch.left.is_set():
                    return False
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                chunk = await anyio.to_thread.run_sync(_next, chunks)
            return True
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(chunks.close)

    async def _start(self, send: Send, extra: list[tuple[bytes, bytes]]) -> None:
        await send(
            {"type": "http.response.start", "status": 200, "headers": self.raw_headers + extra}
        )

    # -- in worker threads ------------------------------------------------------

    def _write_xlsx(self, watch: Watch) -> Path:
        with session_scope(self.ekspor.sessions) as session:
            return self.ekspor.xlsx(session, watch)

    def _csv_chunks(self, watch: Watch) -> Generator[bytes]:
        with session_scope(self.ekspor.sessions) as session:
            yield from self.ekspor.csv(session, watch)

    def _begin(self) -> int:
        e = self.ekspor
        with session_scope(e.sessions) as session:
            return audit.record(
                session,
                principal=e.principal,
                action=ACTION,
                target=e.target,
                client=e.client,
                detail={**e.detail(), "hasil": "berjalan"},
            ).id

    def _conclude(self, event_id: int, outcome: str, rows: int) -> None:
        detail = {**self.ekspor.detail(), "baris": rows, "hasil": outcome}
        try:
            with session_scope(self.ekspor.sessions) as session:
                audit.conclude(
                    session,
                    event_id,
                    status_code=200 if outcome == "selesai" else None,
                    detail=detail,
                )
        except Exception:
            # The export's own failure (a database gone) is what the caller hears of.
            log.exception("akhir ekspor tidak tercatat di jejak audit: %s", detail)


def _next(chunks: Generator[bytes]) -> bytes | None:
    return next(chunks, None)


async def _until_gone(receive: Receive, watch: Watch) -> None:
    """Wait for the client to disconnect, then tell the writing thread."""
    while (await receive())["type"] != "http.disconnect":
        pass
    watch.left.set()


@contextmanager
def export_slot(
    request: Request,
    slots: Slots,
    principal: Principal,
    refuse: Callable[[str, float], Exception],
) -> Iterator[Held]:
    """One of the caller's export slots (per key and per address) for the
    answer to give back when it ends (and here, should it never run);
    ``refuse(message, retry_after)`` when none is free."""
    callers = [f"kunci:{principal.name}", f"alamat:{client_address(request) or '?'}"]
    try:
        held = slots.take(callers)
    except NoSlot as full:
        whose = "kunci ini" if full.caller.startswith("kunci:") else "alamat ini"
        raise refuse(
            f"sudah ada {slots.limit} ekspor yang sedang dibuat untuk {whose}; tunggu sampai "
            f"selesai lalu coba lagi setelah {RETRY_AFTER} detik",
            RETRY_AFTER,
        ) from None
    try:
        yield held
    finally:
        held.give_back()
