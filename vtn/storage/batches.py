"""Group commit: concurrent calls' rows written together, each caller released at the commit."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

__all__ = ["GroupCommit"]

T = TypeVar("T")


class GroupCommit(Generic[T]):
    """Collects items from concurrent callers and writes them with one call of `write`.

    The first caller writes at once; callers that arrive while a write is under way wait for
    the next one, which takes everything that arrived meanwhile. ``submit`` returns when the
    write holding its item succeeded, and raises what that write raised.
    """

    def __init__(self, write: Callable[[list[T]], Awaitable[None]]) -> None:
        self._write = write
        self._waiting: list[tuple[T, asyncio.Future[None]]] = []
        self._writing = False
        self._task: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> None:
        """Write `item` (with whatever else is waiting); returns once it is committed."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, done))
        if not self._writing:
            self._writing = True
            self._task = asyncio.get_running_loop().create_task(self._drain())
        await done

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                try:
                    await self._write([item for item, _ in batch])
                except BaseException as exc:  # every caller of the batch learns of it
                    for _, done in batch:
                        if not done.done():
                            done.set_exception(exc)
                    if not isinstance(exc, Exception):
                        raise
                else:
                    for _, done in batch:
                        if not done.done():
                            done.set_result(None)
        finally:
            self._writing = False
            for _, done in self._waiting:  # only left behind when cancelled mid-way
                done.cancel()
            self._waiting = []
