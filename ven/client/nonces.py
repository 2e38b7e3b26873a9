"""The VEN's ReplayProtect nonces in its state file, so replay protection survives a restart."""

from __future__ import annotations

from datetime import datetime, timedelta
from hashlib import sha256

from common.clock import Clock
from ven.client.store import Store

__all__ = ["PURGE_EVERY", "StoredNonceStore"]

PURGE_EVERY = timedelta(minutes=10)
"""How often (by the injected clock) expired nonces are deleted from the state file."""
_MAX_STORED_LENGTH = 256


def _key(nonce: str) -> str:
    """The stored key: the nonce itself, or a digest of an overlong one (keys stay bounded)."""
    if len(nonce) <= _MAX_STORED_LENGTH:
        return nonce
    return "sha256:" + sha256(nonce.encode("utf-8")).hexdigest()


class StoredNonceStore:
    """Satisfies ``common.security.NonceStore`` with the ``nonces`` table of the VEN's ``Store``.

    A nonce is held until its ``expires_at`` (the signer's timestamp plus the verifier's replay
    window) by `clock`; a message signed earlier than that is refused by its timestamp anyway.
    Entries are kept across restarts of the VEN: a signed VTN message replayed to a restarted
    VEN is refused. Expired entries are deleted at most every ``PURGE_EVERY``.
    """

    def __init__(self, store: Store, *, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self._last_purge: datetime | None = None

    def __repr__(self) -> str:
        return f"StoredNonceStore({self._store!r}, clock={self._clock!r})"

    async def remember(self, nonce: str, timestamp: datetime, expires_at: datetime) -> bool:
        """Record `nonce` until `expires_at`; ``False`` if it is already held (a replay).

        Check-and-record is one committed SQLite statement; failures raise, never ``True``.
        """
        for name, value in (("timestamp", timestamp), ("expires_at", expires_at)):
            if value.tzinfo is None:
                raise ValueError(f"{name} must carry a time zone, got {value!r}")
        now = self._clock.now()
        if self._last_purge is None or now - self._last_purge >= PURGE_EVERY:
            await self._store.purge_nonces(now)
            self._last_purge = now
        return await self._store.remember_nonce(_key(nonce), timestamp, expires_at, now=now)
