"""The header timeout of ``GuardedConnection`` on a loop whose clock the test moves: one timer per
connection, re-armed lazily, closes a connection whose request head is late, never one whose
heads keep arriving in time."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from vtn.connections import ConnectionLimits, GuardedConnection

TIMEOUT_S = 10.0


class _Loop(asyncio.SelectorEventLoop):
    """An event loop whose ``time()`` is set by the test."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 1000.0

    def time(self) -> float:
        return self.now


class _Transport:
    def __init__(self) -> None:
        self.aborted = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 50000) if name == "peername" else default

    def abort(self) -> None:
        self.aborted = True


class _Inner(asyncio.Protocol):
    def data_received(self, data: bytes) -> None:
        pass


@pytest.fixture
def loop() -> Iterator[_Loop]:
    made = _Loop()
    try:
        yield made
    finally:
        made.close()


def _in(loop: _Loop, *calls: Callable[[], object]) -> None:
    """Make `calls` on the running loop (as its protocol callbacks are)."""

    async def run() -> None:
        for call in calls:
            call()

    loop.run_until_complete(run())


def _at(loop: _Loop, when: float) -> None:
    """Move the clock to `when` (seconds after the start) and run what is due."""
    loop.now = 1000.0 + when
    loop.run_until_complete(asyncio.sleep(0))


def test_heads_in_time_keep_the_connection_and_a_late_one_closes_it(loop: _Loop) -> None:
    transport = _Transport()
    guard = GuardedConnection(_Inner(), ConnectionLimits(header_timeout=TIMEOUT_S,
                                                         max_per_client=0))
    _in(loop, lambda: guard.connection_made(transport))  # the first head is due at 10
    for begin in (1.0, 8.0, 17.0):  # each request's first byte, its head complete 0.5 s later
        _at(loop, begin)
        _in(loop, lambda: guard.data_received(b"POST /"))
        _at(loop, begin + 0.5)
        _in(loop, guard.request_started, guard.request_finished)
    _at(loop, 17.6)
    _in(loop, lambda: guard.data_received(b"POST /"))  # never completed: due at 27.6
    for when in (10.5, 18.1, 27.0):  # the timers set earlier fire and find it not due yet
        _at(loop, when)
        assert not transport.aborted
    _at(loop, 27.7)
    assert transport.aborted


def test_a_connection_that_sends_nothing_is_closed_after_the_timeout(loop: _Loop) -> None:
    transport = _Transport()
    guard = GuardedConnection(_Inner(), ConnectionLimits(header_timeout=TIMEOUT_S,
                                                         max_per_client=0))
    _in(loop, lambda: guard.connection_made(transport))
    _at(loop, 9.9)
    assert not transport.aborted
    _at(loop, 10.1)
    assert transport.aborted
