"""A stand-in mail server: SMTP (aiosmtpd) in this process, on a port the OS picks.

Every message it accepts is kept (``surat``) and, when a folder is given, written
there as an ``.eml`` file. It can start *down*: its socket is bound but not
listening, so a connection is refused on the very port it will serve once
:meth:`KotakSurat.hidupkan` is called (an SMTP outage, then its end, with no
other process able to take the port meanwhile).

    with KotakSurat() as kotak:
        settings.smtp_host, settings.smtp_port = kotak.host, kotak.port
        ...
        [message] = kotak.tunggu(1)
"""

from __future__ import annotations

import asyncio
import socket
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

TIMEOUT = 10.0


class KotakSurat:
    def __init__(
        self, folder: Path | None = None, *, host: str = "127.0.0.1", hidup: bool = True
    ) -> None:
        self.folder = folder
        self.host = host
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind((host, 0))
        self.port: int = self.socket.getsockname()[1]
        self.surat: list[EmailMessage] = []
        self.berkas: list[Path] = []
        self._changed = threading.Condition()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._server: asyncio.Server | None = None
        if hidup:
            self.hidupkan()

    def hidupkan(self) -> None:
        """Start answering on the port (after starting down: the outage ends)."""
        if self._server is None:
            future = asyncio.run_coroutine_threadsafe(self._serve(), self._loop)
            self._server = future.result(TIMEOUT)

    async def _serve(self) -> asyncio.Server:
        return await self._loop.create_server(
            lambda: SMTP(_Handler(self), hostname="kotak-surat", loop=self._loop),
            sock=self.socket,
        )

    def _accept(self, content: bytes) -> None:
        message = message_from_bytes(content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self._changed:
            self.surat.append(message)
            if self.folder is not None:
                self.folder.mkdir(parents=True, exist_ok=True)
                path = self.folder / f"{len(self.surat):03d}.eml"
                path.write_bytes(content)
                self.berkas.append(path)
            self._changed.notify_all()

    def tunggu(self, jumlah: int, timeout: float = TIMEOUT) -> list[EmailMessage]:
        """The messages once at least ``jumlah`` have come (AssertionError after ``timeout``)."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.surat) >= jumlah, timeout):
                raise AssertionError(f"{len(self.surat)} surel diterima, ditunggu {jumlah}")
            return list(self.surat)

    def close(self) -> None:
        if self._server is not None:
            server = self._server

            async def _close() -> None:
                server.close()
                await server.wait_closed()

            asyncio.run_coroutine_threadsafe(_close(), self._loop).result(TIMEOUT)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(TIMEOUT)
        self._loop.close()
        self.socket.close()

    def __enter__(self) -> KotakSurat:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class _Handler:
    """aiosmtpd calls ``handle_DATA`` with each message it accepted."""

    def __init__(self, kotak: KotakSurat) -> None:
        self.kotak = kotak

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content: Any = envelope.original_content or envelope.content
        self.kotak._accept(content if isinstance(content, bytes) else str(content).encode())
        return "250 OK"
