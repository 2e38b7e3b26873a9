"""Batches: concurrent callers' items handled by one database call, each caller released with
its own result when that call returns (group commit for writes, grouped lookups for reads)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

__all__ = ["Batches", "GroupCommit"]

T = TypeVar("T")
R = TypeVar("R")


class Batches(Generic[T, R]):
    """Collects items from concurrent callers and handles them with one call of `handle`,
    which returns one result per item, in order.

    The first caller is handled at once; callers that arrive while a call is under way wait
    for the next one, which takes everything that arrived meanwhile (up to `limit` items per
    call). Up to `parallel` calls may be under way at once (a database with many connections
    and a round trip per statement, PostgreSQL: one batch is sent while another waits).
    ``submit`` returns its item's result when the call holding it returned, and raises what
    that call raised.
    """

    def __init__(
        self,
        handle: Callable[[list[T]], Awaitable[Sequence[R]]],
        *,
        limit: int = 1000,
        parallel: int = 1,
    ) -> None:
        if parallel < 1:
            raise ValueError("parallel must be at least 1")
        self._handle = handle
        self._limit = limit
        self._parallel = parallel
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._running = 0
        self._tasks: set[asyncio.Task[None]] = set()

    async def submit(self, item: T) -> R:
        """Handle `item` (with whatever else is waiting); its result."""
        done: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, done))
        if self._running < self._parallel:
            self._running += 1
            task = asyncio.get_running_loop().create_task(self._drain())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await done

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[: self._limit], self._waiting[self._limit :]
                try:
                    results = await self._handle([item for item, _ in batch])
                    if len(results) != len(batch):
                        raise ValueError(f"{len(results)} results for {len(batch)} items")
                except BaseException as exc:  # every caller of the batch learns of it
                    for _, done in batch:
                        if not done.done():
                            done.set_exception(exc)
                    if not isinstance(exc, Exception):
                        raise
                else:
                    for (_, done), result in zip(batch, results, strict=False):
                        if not done.done():
                            done.set_result(result)
        finally:
            self._running -= 1
            if self._running == 0:
                for _, done in self._waiting:  # only left behind when cancelled mid-way
                    done.cancel()
                self._waiting = []


class GroupCommit(Batches[T, None]):
    """``Batches`` for writes: `write` stores all the items in one transaction."""

    def __init__(self, write: Callable[[list[T]], Awaitable[None]], *, limit: int = 1000) -> None:
        async def handle(items: list[T]) -> list[None]:
            await write(items)
            return [None] * len(items)

        super().__init__(handle, limit=limit)
