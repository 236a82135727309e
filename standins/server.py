"""Serve a stand-in app over real HTTP on 127.0.0.1 from a background thread."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import threading
import time
from types import FrameType, TracebackType

import uvicorn
from starlette.types import ASGIApp

STARTUP_TIMEOUT = 10.0
# How often the stopping server looks whether its connections have closed.
STOP_POLL_SECONDS = 0.005


class _Server(uvicorn.Server):
    """uvicorn that stops as soon as it is told to.

    uvicorn looks at `should_exit` every 0.1 s and, on its way out, sleeps 0.1 s
    per step however soon its connections have closed: 0.2-0.3 s a server, which
    suites that start two servers per test pay hundreds of times. Here `stop()`
    wakes the loop at once, and the shutdown polls instead of sleeping. The
    order of uvicorn's shutdown is kept: stop accepting, close idle connections,
    let running answers finish, then the app's lifespan shutdown.
    """

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def main_loop(self) -> None:
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.1)

    def wake(self) -> None:
        """From another thread: look at `should_exit` now."""
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already closed
                loop.call_soon_threadsafe(wake.set)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        # uvicorn's own wait (connections, then background tasks), polled finer
        polls = int((self.config.timeout_graceful_shutdown or 30.0) / STOP_POLL_SECONDS)
        for _ in range(polls):
            if self.force_exit or not (self.server_state.connections or self.server_state.tasks):
                break
            await asyncio.sleep(STOP_POLL_SECONDS)
        else:
            for task in self.server_state.tasks:
                task.cancel(msg="Task cancelled, timeout graceful shutdown exceeded")
        for server in self.servers:
            await server.wait_closed()
        if not self.force_exit:
            await self.lifespan.shutdown()


class ServerThread:
    """uvicorn in a daemon thread, on a socket bound here (port 0 picks a free port).

    Use as a context manager, or call `start()` and `stop()`:

        with ServerThread(create_app(dataset)) as server:
            httpx.get(f"{server.url}/api/v1/perangkat-daerah", ...)
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        log_level: str = "warning",
    ) -> None:
        self.app = app
        self.host = host
        # proto must say TCP: asyncio only sets TCP_NODELAY on such sockets, and without it
        # every answer waits ~40 ms for a delayed ACK
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind((host, port))
        self.port: int = self.socket.getsockname()[1]
        # No X-Forwarded-For rewriting here: the Sinkron service decides itself
        # whom to believe (SINKRON_TRUSTED_PROXIES), as under `sinkron serve`.
        config = uvicorn.Config(
            app, log_level=log_level, lifespan="auto", access_log=False, proxy_headers=False
        )
        self.server = _Server(config)
        self.thread = threading.Thread(
            target=self.server.run,
            kwargs={"sockets": [self.socket]},
            name=f"standin-{self.port}",
            daemon=True,
        )

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> ServerThread:
        """Start serving; returns once the server accepts connections."""
        self.thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"stand-in server on {self.url} did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        """Ask uvicorn to finish (open connections are closed) and wait for the thread."""
        self.server.should_exit = True
        self.server.wake()
        if self.thread.is_alive():
            self.thread.join(timeout=STARTUP_TIMEOUT)
        self.socket.close()

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def stop_on_signals() -> threading.Event:
    """An event set by SIGINT (Ctrl-C) or SIGTERM; call from the main thread.

    The handlers only set the event. A handler that raises KeyboardInterrupt
    can have it raised inside a finalizer the main thread happens to run, where
    Python prints it as ignored and goes on: the process would not stop (the
    signal module's documentation advises a handler of one's own for this).
    """
    stop = threading.Event()

    def _handler(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _handler)
    signal.signal(signal.SIGTERM, _handler)
    return stop
