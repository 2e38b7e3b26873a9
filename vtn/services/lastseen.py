"""When each VEN was last heard from: recorded in memory per request, written in batches.

A VEN's ``last_seen_at`` has a resolution of ``RESOLUTION``: a VEN heard from again within it
is not written again. The VENs due are written together, one transaction per ``flush`` (the
server flushes every ``FLUSH_SECONDS`` and when it stops), instead of one write per poll: on
SQLite every write transaction takes the one write lock.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from common.clock import Clock, clock_sleep
from vtn.domain import Ven
from vtn.storage import StorageError, Store

__all__ = ["FLUSH_SECONDS", "RESOLUTION", "LastSeen"]

LOG = logging.getLogger("oadr.vtn.protocol")

RESOLUTION = timedelta(minutes=1)
"""A VEN's ``last_seen_at`` is rewritten only when it is older than this."""
FLUSH_SECONDS = 5.0
"""How often the VENs heard from are written [s]."""


class LastSeen:
    """VENs heard from since the last flush."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self._written: dict[str, datetime] = {}
        self._due: set[str] = set()

    def heard(self, ven: Ven) -> None:
        """`ven` just sent a request the VTN handled."""
        now = self._clock.now()
        last = self._written.get(ven.ven_id) or ven.last_seen_at
        if last is not None and now - last < RESOLUTION:
            return
        self._written[ven.ven_id] = now
        self._due.add(ven.ven_id)

    @property
    def due(self) -> int:
        """How many VENs wait to be written."""
        return len(self._due)

    async def flush(self) -> None:
        """Write the VENs due (a failure is logged; they are tried again at the next flush)."""
        if not self._due:
            return
        due, self._due = self._due, set()
        try:
            await self._store.vens.touch_many(due)
        except (StorageError, OSError) as exc:
            self._due |= due
            LOG.warning("Could not record that %d VEN(s) were seen: %s", len(due), exc)

    async def run(self, stop: asyncio.Event, every: float = FLUSH_SECONDS) -> None:
        """Flush every `every` seconds of the clock's time (simulated time: scaled) until
        `stop`, then once more."""
        while not stop.is_set():
            await clock_sleep(self._clock, every, stop)
            try:
                await self.flush()
            except Exception:  # a bug here must not end the flushing for good
                LOG.exception("Recording when VENs were last seen failed; trying again")
