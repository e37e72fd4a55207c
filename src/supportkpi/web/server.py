"""Running the app under uvicorn with bounds on what a connection may hold.

uvicorn closes an idle keep-alive connection after ``timeout_keep_alive``, but a connection
that sends part of a request head (the request line and headers) and then nothing, or
nothing at all, is held for ever: a few hundred of them exhaust the server (slowloris).
:class:`HeadTimeoutProtocol` closes a connection whose request head has not arrived within
``HEAD_TIMEOUT_SECONDS`` of its opening or of the previous response. The body has its own
limit (web/limits.py), and the first SIGTERM stops the server (``timeout_graceful_shutdown``
here, then the app cancels the queries still running).
"""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from supportkpi.web.limits import seconds_from_env

HEAD_TIMEOUT_SECONDS = 10.0
#: Seconds requests in flight get after a SIGTERM before their queries are cancelled.
SHUTDOWN_GRACE_SECONDS = 5
#: Connections served at once; past it new ones get 503 at once instead of queueing.
MAX_CONNECTIONS = 200


class HeadTimeoutProtocol(H11Protocol):
    """uvicorn's h11 protocol, closing connections whose request head stalls
    (``SUPPORTKPI_HEAD_TIMEOUT`` seconds, 10 by default)."""

    head_timeout_s = seconds_from_env("SUPPORTKPI_HEAD_TIMEOUT", HEAD_TIMEOUT_SECONDS)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._served_cycle: Any = None
        self._head_timer: asyncio.TimerHandle | None = None
        self._wait_for_head()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.cycle is not None and self.cycle is not self._served_cycle:
            self._stop_waiting()  # the head arrived: the body's own limit takes over

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._served_cycle = self.cycle
        self._wait_for_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_waiting()
        super().connection_lost(exc)

    def _wait_for_head(self) -> None:
        self._stop_waiting()
        self._head_timer = self.loop.call_later(self.head_timeout_s, self._head_timed_out)

    def _stop_waiting(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        if not self.transport.is_closing():
            self.transport.close()


def run_server(app: Any, host: str, port: int) -> None:
    """Serve ``app`` on ``host:port`` until SIGTERM or Ctrl-C."""
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="info",
        http=HeadTimeoutProtocol,
        timeout_keep_alive=5,
        timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
        limit_concurrency=MAX_CONNECTIONS,
    )
