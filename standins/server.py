"""Serve a stand-in app over real HTTP on 127.0.0.1 from a background thread."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn
from starlette.types import ASGIApp

STARTUP_TIMEOUT = 10.0


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
        self.server = uvicorn.Server(config)
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
