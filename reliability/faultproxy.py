"""A small asyncio TCP proxy in front of a stand-in, with network faults switchable at run time.

What it injects (the HTTP-level faults, 5xx and 429 with Retry-After, come
from the stand-ins themselves: standins/faults.py):

- ``latency_ms`` ± ``jitter_ms`` before the first byte of every answer;
- ``bandwidth`` (bytes/s, each direction of each connection);
- ``reset_rate``: the request is not forwarded and the connection is reset (RST);
- ``blackhole_rate``: the request is swallowed, no answer ever comes (a timeout);
- ``close_after_rate``: the request is forwarded, the answer is cut after
  ``close_after_bytes`` bytes and the connection closed (an ambiguous failure
  when the request was a write);
- ``down``: ``"refuse"`` stops listening (connection refused), ``"blackhole"``
  accepts and never answers, for every connection, until set back to None.

The rates are drawn per request (``per="request"``, the default) or per new
connection (``per="connection"``). TCP carries no request boundaries; HTTP/1.1
without pipelining (httpx, uvicorn) does: a new request is the first bytes
the client sends after the proxy forwarded answer bytes. A client that keeps
its connections alive would otherwise meet a per-connection fault rarely.

Control: ``FaultProxy.set(...)`` from the same process (any thread), or, for
a proxy in a process of its own (``python -m reliability.faultproxy``), a
JSON file of the settings that the proxy reads again when it changes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import socket
import struct
import threading
from collections import Counter
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Literal

from standins.server import stop_on_signals

CHUNK = 65536


@dataclass(frozen=True)
class ProxyFaults:
    latency_ms: int = 0
    jitter_ms: int = 0
    bandwidth: int = 0  # bytes per second; 0: unlimited
    reset_rate: float = 0.0
    blackhole_rate: float = 0.0
    close_after_rate: float = 0.0
    close_after_bytes: int = 0
    per: Literal["request", "connection"] = "request"
    down: Literal["refuse", "blackhole"] | None = None
    seed: int = 0

    def draw(self, rng: random.Random) -> str | None:
        """The fault for one request or connection, or None."""
        point = rng.random()
        for kind, rate in (
            ("reset", self.reset_rate),
            ("blackhole", self.blackhole_rate),
            ("close_after", self.close_after_rate),
        ):
            if point < rate:
                return kind
            point -= rate
        return None


class FaultProxy:
    """Listens on 127.0.0.1:``port`` (0: a free one) and forwards to ``upstream`` host:port.

    Runs its own event loop in a daemon thread: ``start()``, ``set(...)``, ``stop()``,
    or use it as a context manager.
    """

    def __init__(
        self, upstream: tuple[str, int], *, port: int = 0, faults: ProxyFaults | None = None
    ) -> None:
        self.upstream = upstream
        self.faults = faults or ProxyFaults()
        self.rng = random.Random(self.faults.seed)
        self.injected: Counter[str] = Counter()
        self.connections = 0
        self.requests = 0
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", port))
        self.port: int = self._sock.getsockname()[1]
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._thread = threading.Thread(
            target=self._loop.run_forever, name=f"faultproxy-{self.port}", daemon=True
        )
        self._open: set[asyncio.StreamWriter] = set()

    @classmethod
    def to(cls, url: str, **kwargs: Any) -> FaultProxy:
        """A proxy in front of ``http://host:port``."""
        host, _, port = url.removeprefix("http://").rstrip("/").rpartition(":")
        return cls((host, int(port)), **kwargs)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- control ------------------------------------------------------------------
    def start(self) -> FaultProxy:
        self._thread.start()
        self._call(self._listen())
        if self.faults.down == "refuse":
            self._call(self._refuse())
        return self

    def set(self, faults: ProxyFaults | None = None, **changes: Any) -> None:
        """New settings (``faults``, or the current ones with ``changes``); rates draw anew
        from their seed; ``down`` takes effect at once."""
        new = replace(faults or self.faults, **changes)
        self._call(self._apply(new))

    def stats(self) -> dict[str, Any]:
        return {
            "connections": self.connections,
            "requests": self.requests,
            "injected": dict(self.injected),
        }

    def stop(self) -> None:
        if self._thread.is_alive():
            self._call(self._close_all())
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
        self._loop.close()
        self._sock.close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    # -- inside the loop ----------------------------------------------------------------
    async def _listen(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(self._handle, sock=self._sock.dup())

    async def _refuse(self) -> None:
        """Stop listening: new connections are refused by the kernel."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        # a closed listener frees the port; a bound, non-listening socket keeps it ours
        # and answers connections with RST (connection refused)
        self._sock.close()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", self.port))

    async def _apply(self, new: ProxyFaults) -> None:
        old, self.faults = self.faults, new
        self.rng = random.Random(new.seed)
        if new.down == "refuse" and old.down != "refuse":
            await self._refuse()
            for writer in list(self._open):
                _abort(writer)
        elif new.down != "refuse" and old.down == "refuse":
            await self._listen()

    async def _close_all(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._open):
            _abort(writer)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._open.add(writer)
        try:
            if self.faults.down == "blackhole":
                self.injected["down_blackhole"] += 1
                await _swallow(reader)
                return
            try:
                up_reader, up_writer = await asyncio.open_connection(*self.upstream)
            except OSError:
                _abort(writer)
                return
            self._open.add(up_writer)
            await Connection(self, reader, writer, up_reader, up_writer).run()
        finally:
            self._open.discard(writer)
            with contextlib.suppress(Exception):
                writer.close()


class Connection:
    """One client connection and its upstream connection, pumped both ways."""

    def __init__(
        self,
        proxy: FaultProxy,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        up_reader: asyncio.StreamReader,
        up_writer: asyncio.StreamWriter,
    ) -> None:
        self.proxy = proxy
        self.reader, self.writer = reader, writer
        self.up_reader, self.up_writer = up_reader, up_writer
        faults = proxy.faults
        self.fault = faults.draw(proxy.rng) if faults.per == "connection" else None
        self.answered = True  # the next client bytes start a new request
        self.first_answer_byte = False
        self.sent = 0  # answer bytes forwarded since the fault was drawn
        self.done = asyncio.Event()

    async def run(self) -> None:
        pumps = [
            asyncio.create_task(self._requests()),
            asyncio.create_task(self._answers()),
        ]
        await self.done.wait()
        for task in pumps:
            task.cancel()
        await asyncio.gather(*pumps, return_exceptions=True)
        self.proxy._open.discard(self.up_writer)
        with contextlib.suppress(Exception):
            self.up_writer.close()

    def _end(self, *, reset: bool = False) -> None:
        if reset:
            _abort(self.writer)
            _abort(self.up_writer)
        self.done.set()

    async def _requests(self) -> None:
        try:
            while data := await self.reader.read(CHUNK):
                if self.proxy.faults.down == "blackhole":
                    self.proxy.injected["down_blackhole"] += 1
                    await _swallow(self.reader)
                    break
                if self.answered:
                    self._new_request()
                if self.fault == "reset":
                    self.proxy.injected["reset"] += 1
                    self._end(reset=True)
                    return
                if self.fault == "blackhole":
                    self.proxy.injected["blackhole"] += 1
                    await _swallow(self.reader)
                    break
                await self._throttle(len(data))
                self.up_writer.write(data)
                await self.up_writer.drain()
        except (ConnectionError, OSError):
            pass
        self._end()

    def _new_request(self) -> None:
        self.answered = False
        self.first_answer_byte = True
        self.proxy.requests += 1
        if self.proxy.faults.per == "request":
            self.fault = self.proxy.faults.draw(self.proxy.rng)
            self.sent = 0

    async def _answers(self) -> None:
        faults = self.proxy.faults
        try:
            while data := await self.up_reader.read(CHUNK):
                if self.fault == "blackhole":
                    continue
                if self.first_answer_byte:
                    self.first_answer_byte = False
                    await self._delay()
                if self.fault == "close_after":
                    room = max(faults.close_after_bytes - self.sent, 0)
                    if len(data) >= room:
                        self.writer.write(data[:room])
                        await self.writer.drain()
                        self.proxy.injected["close_after"] += 1
                        self._end(reset=False)
                        return
                await self._throttle(len(data))
                self.sent += len(data)
                self.answered = True
                self.writer.write(data)
                await self.writer.drain()
        except (ConnectionError, OSError):
            pass
        self._end()

    async def _delay(self) -> None:
        faults = self.proxy.faults
        if faults.latency_ms or faults.jitter_ms:
            jitter = self.proxy.rng.uniform(-faults.jitter_ms, faults.jitter_ms)
            await asyncio.sleep(max(faults.latency_ms + jitter, 0) / 1000)

    async def _throttle(self, size: int) -> None:
        if self.proxy.faults.bandwidth:
            await asyncio.sleep(size / self.proxy.faults.bandwidth)


def _abort(writer: asyncio.StreamWriter) -> None:
    """Close with RST, not FIN: what a crashed peer or a middlebox reset looks like."""
    sock = writer.get_extra_info("socket")
    with contextlib.suppress(Exception):
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()


async def _swallow(reader: asyncio.StreamReader) -> None:
    """Read and drop everything until the client gives up."""
    with contextlib.suppress(ConnectionError, OSError):
        while await reader.read(CHUNK):
            pass


# -- a proxy in a process of its own, steered by a JSON file -------------------------
def read_faults(path: Path) -> ProxyFaults:
    return ProxyFaults(**json.loads(path.read_text() or "{}"))


def write_faults(path: Path, faults: ProxyFaults) -> None:
    """Write the settings for a proxy that watches ``path`` (atomically: it never reads half)."""
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(asdict(faults)))
    partial.replace(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reliability.faultproxy")
    parser.add_argument("upstream", help="http://host:port of the stand-in")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--control", type=Path, help="JSON file of ProxyFaults, read on change")
    args = parser.parse_args(argv)
    proxy = FaultProxy.to(args.upstream, port=args.port).start()
    print(proxy.url, flush=True)
    seen = 0.0
    stop = stop_on_signals()
    try:
        while not stop.wait(0.2):
            if args.control is not None and args.control.exists():
                changed = args.control.stat().st_mtime
                if changed != seen:
                    seen = changed
                    proxy.set(read_faults(args.control))
        return 0
    finally:
        proxy.stop()


if __name__ == "__main__":
    raise SystemExit(main())
