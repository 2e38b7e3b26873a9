"""The 2.0b listener's connections: how long a request head may take, how many connections one
client address may hold, how long a TLS handshake may take.

Every connection's protocol is aiohttp's, wrapped in a ``GuardedConnection`` that
- closes the connection when a request head is not complete within ``limits.header_timeout``
  of the connection's opening, or of the first byte of a later request on a kept-alive
  connection (slowloris: nothing sent, half a head, a header line now and then);
- with ``limits.max_connections_per_client``, closes a connection at once when its address
  holds that many already, before aiohttp sees it.

A request's head is complete when the application starts handling it: ``vtn.app`` calls
``request_started`` and ``request_finished`` on the wrapper (``guard_of(request.transport)``).
The other limits are aiohttp's own: ``limits.idle_timeout`` is the runner's keep-alive timeout,
``limits.body_timeout`` is enforced where the body is read (``vtn.app``), request lines and
header fields over 8 KiB are refused with 400.
"""

from __future__ import annotations

import asyncio
import collections
import socket
import ssl
import time
from typing import Any

from aiohttp import web

from vtn.logs import PROTOCOL

__all__ = ["LOG_EVERY_S", "ConnectionLimits", "GuardedConnection", "ListenerSite", "guard_of"]

LOG_EVERY_S = 10.0
"""Connections closed by a limit are logged at most this often, with their count [s]."""
_EARLY_S = 0.005
"""A header timer that fires this much before its deadline counts as on time [s] (event
loops round timers)."""


class _Tally:
    """Counts closings of one kind; logs the first, then at most once per ``LOG_EVERY_S``."""

    def __init__(self, message: str) -> None:
        self._message = message
        self.count = 0
        self._logged_at = -LOG_EVERY_S

    def add(self, address: str, *args: object) -> None:
        self.count += 1
        now = time.monotonic()
        if now >= self._logged_at + LOG_EVERY_S:
            self._logged_at = now
            PROTOCOL.warning(self._message, address, *args, self.count)


class ConnectionLimits:
    """The limits of one listener process, and the connections open per client address."""

    def __init__(self, *, header_timeout: float, max_per_client: int) -> None:
        self.header_timeout = header_timeout
        self.max_per_client = max_per_client
        self._open: collections.Counter[str] = collections.Counter()
        self._refused = _Tally("Closed a connection from %s: it holds %d open already "
                               "(limits.max_connections_per_client; %d refused so far)")
        self._slow = _Tally("Closed a connection from %s: no complete request head within "
                            "%g s (limits.header_timeout; %d closed so far)")

    def factory(self, server: web.Server) -> Any:
        """The protocol factory of a listening socket served by `server`."""
        return lambda: GuardedConnection(server(), self)

    def admit(self, address: str) -> bool:
        """Count one more connection from `address`; False (not counted) past the limit."""
        if self.max_per_client and self._open[address] >= self.max_per_client:
            self._refused.add(address, self._open[address])
            return False
        self._open[address] += 1
        return True

    def release(self, address: str) -> None:
        """One connection from `address` is closed."""
        self._open[address] -= 1
        if self._open[address] <= 0:
            del self._open[address]

    def too_slow(self, address: str) -> None:
        """Log (at most every ``LOG_EVERY_S``) a connection closed for a slow head."""
        self._slow.add(address, self.header_timeout)


class GuardedConnection(asyncio.Protocol):
    """aiohttp's protocol for one connection, behind the header timeout and the per-client
    limit of ``ConnectionLimits``."""

    def __init__(self, inner: Any, limits: ConnectionLimits) -> None:
        self._inner = inner
        self._limits = limits
        self._address: str | None = None
        self._transport: Any = None
        self._due: float | None = None
        """The loop time by which the request head must be complete; None: not waiting."""
        self._timer: asyncio.TimerHandle | None = None
        """The timer that checks `_due`: set once per ``header_timeout`` at most, not per
        request (a new timer per request, and its cancel, cost more than the rest of the
        guard); when it fires it closes the connection, or waits for a later `_due`."""
        self._busy = False

    def connection_made(self, transport: Any) -> None:  # asyncio's or uvloop's transport
        peer = transport.get_extra_info("peername")
        address = str(peer[0]) if isinstance(peer, tuple) and peer else "an unknown address"
        if not self._limits.admit(address):
            transport.abort()
            return
        self._address = address
        self._transport = transport
        self._arm()  # the first request head is due now
        self._inner.connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._address is None:  # refused: aiohttp never saw it
            return
        self._disarm()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._limits.release(self._address)
        self._address = None
        self._transport = None
        self._inner.connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if not self._busy and self._due is None:  # the first byte of a new request
            self._arm()
        self._inner.data_received(data)

    def eof_received(self) -> Any:
        return self._inner.eof_received()

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()

    def request_started(self) -> None:
        """The application handles a request: its head is complete."""
        self._busy = True
        self._disarm()

    def request_finished(self) -> None:
        """The application answered; a next request's first byte starts the clock again."""
        self._busy = False

    def _arm(self) -> None:
        loop = asyncio.get_running_loop()
        self._due = loop.time() + self._limits.header_timeout
        if self._timer is None:
            self._timer = loop.call_at(self._due, self._check)

    def _disarm(self) -> None:
        self._due = None  # a timer set meanwhile finds nothing due when it fires

    def _check(self) -> None:
        self._timer = None
        due = self._due
        if due is None:
            return
        loop = asyncio.get_running_loop()
        if loop.time() < due - _EARLY_S:  # armed again since this timer was set
            self._timer = loop.call_at(due, self._check)
            return
        self._too_slow()

    def _too_slow(self) -> None:
        self._due = None
        if self._busy or self._transport is None or self._address is None:
            return
        self._limits.too_slow(self._address)
        self._transport.abort()  # nothing to answer: the head never came


def guard_of(transport: asyncio.BaseTransport | None) -> GuardedConnection | None:
    """The ``GuardedConnection`` of a request's transport (None for one that is not guarded:
    test servers)."""
    protocol = transport.get_protocol() if transport is not None else None
    return protocol if isinstance(protocol, GuardedConnection) else None


class ListenerSite(web.SockSite):
    """A ``SockSite`` whose connections are guarded by `limits` and whose TLS handshakes are
    bounded by its header timeout."""

    __slots__ = ("_limits",)

    def __init__(self, runner: web.BaseRunner, sock: socket.socket, *,
                 ssl_context: ssl.SSLContext | None, limits: ConnectionLimits) -> None:
        super().__init__(runner, sock, ssl_context=ssl_context)
        self._limits = limits

    async def start(self) -> None:
        await web.BaseSite.start(self)  # registers the site with its runner
        server = self._runner.server
        assert isinstance(server, web.Server)
        self._server = await asyncio.get_running_loop().create_server(
            self._limits.factory(server), sock=self._sock, ssl=self._ssl_context,
            backlog=self._backlog,
            ssl_handshake_timeout=self._limits.header_timeout if self._ssl_context else None,
        )
