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
    call). ``submit`` returns its item's result when the call holding it returned, and raises
    what that call raised.
    """

    def __init__(
        self, handle: Callable[[list[T]], Awaitable[Sequence[R]]], *, limit: int = 1000
    ) -> None:
        self._handle = handle
        self._limit = limit
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._busy = False
        self._task: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        """Handle `item` (with whatever else is waiting); its result."""
        done: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, done))
        if not self._busy:
            self._busy = True
            self._task = asyncio.get_running_loop().create_task(self._drain())
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
            self._busy = False
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
