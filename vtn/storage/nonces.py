"""ReplayProtect nonces in the database: one store shared by every VTN worker."""

from __future__ import annotations

from datetime import datetime
from hashlib import sha256

from sqlalchemy import delete

from vtn.domain.checks import require_aware
from vtn.storage.database import Database
from vtn.storage.tables import NonceRow, rowcount, table_of

__all__ = ["NonceStore"]

_NONCES = table_of(NonceRow)
_MAX_STORED_LENGTH = 256


def _key(nonce: str) -> str:
    """The stored key: the nonce itself, or a digest of an overlong one (keys stay bounded)."""
    if len(nonce) <= _MAX_STORED_LENGTH:
        return nonce
    return "sha256:" + sha256(nonce.encode("utf-8")).hexdigest()


class NonceStore:
    """Satisfies ``common.security.NonceStore``: remember is one atomic INSERT per nonce."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def remember(self, nonce: str, timestamp: datetime, expires_at: datetime) -> bool:
        """Record `nonce` until `expires_at`; ``False`` if it is already held (a replay).

        One statement decides: INSERT, or on a key conflict overwrite the entry only when it
        has expired by the store's clock. A row comes back exactly when the nonce was taken,
        so two workers remembering the same nonce at once get one ``True`` and one ``False``.
        Database failures raise; this never answers ``True`` without having recorded.
        """
        require_aware("timestamp", timestamp)
        require_aware("expires_at", expires_at)
        now = self._db.clock.now()
        insert = self._db.insert(_NONCES).values(
            nonce=_key(nonce), signed_at=timestamp, expires_at=expires_at
        )
        statement = insert.on_conflict_do_update(
            index_elements=[_NONCES.c.nonce],
            set_={"signed_at": insert.excluded.signed_at, "expires_at": insert.excluded.expires_at},
            where=_NONCES.c.expires_at <= now,
        ).returning(_NONCES.c.nonce)
        async with self._db.write("remember a nonce") as session:
            return (await session.execute(statement)).first() is not None

    async def purge(self) -> int:
        """Forget the nonces that expired by the store's clock; returns how many."""
        statement = delete(NonceRow).where(NonceRow.expires_at <= self._db.clock.now())
        async with self._db.write("purge expired nonces") as session:
            return rowcount(await session.execute(statement))
