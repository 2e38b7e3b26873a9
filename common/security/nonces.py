"""Nonce stores for ReplayProtect: remember each nonce until its message can no longer be valid."""

from __future__ import annotations

import heapq
from datetime import datetime
from typing import Protocol

from common.clock import Clock
from common.errors import OtherError

__all__ = ["InMemoryNonceStore", "NonceStore"]


class NonceStore(Protocol):
    """Where verifiers record the nonces they accepted; may be shared by several processes."""

    async def remember(self, nonce: str, timestamp: datetime, expires_at: datetime) -> bool:
        """Atomically record `nonce` unless it is already known.

        `timestamp` is the signer's ReplayProtect time; after `expires_at` the entry may be
        forgotten (a message that old is refused by its timestamp anyway). Returns ``True``
        when the nonce was new and is now recorded, ``False`` when it had been seen before.
        Implementations that cannot record a nonce must raise, never return ``True``.
        """
        ...


class InMemoryNonceStore:
    """A bounded nonce store for one process; entries expire on the injected clock.

    Check-and-add runs without an ``await`` in between, so it is atomic within one event loop.
    When `max_entries` unexpired nonces are held, new ones are refused with ``OtherError``
    (the store fails closed rather than forgetting a nonce that could still be replayed).
    """

    def __init__(self, *, clock: Clock, max_entries: int = 200_000) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._clock = clock
        self._max_entries = max_entries
        self._expiry: dict[str, datetime] = {}
        self._queue: list[tuple[datetime, str]] = []  # min-heap of (expires_at, nonce)

    def __len__(self) -> int:
        return len(self._expiry)

    def __repr__(self) -> str:
        return f"InMemoryNonceStore({len(self)}/{self._max_entries} entries, clock={self._clock!r})"

    def purge(self) -> int:
        """Forget every entry whose expiry has passed; returns how many were dropped."""
        now = self._clock.now()
        dropped = 0
        while self._queue and self._queue[0][0] <= now:
            expires_at, nonce = heapq.heappop(self._queue)
            if self._expiry.get(nonce) == expires_at:
                del self._expiry[nonce]
                dropped += 1
        return dropped

    async def remember(self, nonce: str, timestamp: datetime, expires_at: datetime) -> bool:
        """Record `nonce` until `expires_at`; ``False`` if it is already held."""
        self.purge()
        if nonce in self._expiry:
            return False
        if len(self._expiry) >= self._max_entries:
            raise OtherError("replay protection is at capacity; try again later")
        self._expiry[nonce] = expires_at
        heapq.heappush(self._queue, (expires_at, nonce))
        return True
