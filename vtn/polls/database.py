"""What waits for each VEN, read from the database at every poll (the poll cache off)."""

from __future__ import annotations

import asyncio
from datetime import datetime

from common.clock import Clock
from vtn.domain import Event, Ven
from vtn.polls.waiting import Waiting, unseen
from vtn.storage import Store

__all__ = ["DatabaseWork"]


class DatabaseWork:
    """``WaitingWork`` straight from the database: one query per poll, nothing kept."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def waiting(
        self, now: datetime, *, ven_id: str | None = None, fingerprint: str | None = None
    ) -> Waiting | None:
        """The VEN and what waits for it, read with the VEN in one query."""
        if fingerprint is not None:
            state = await self._store.polls.state(fingerprint=fingerprint, now=now)
        else:
            state = await self._store.polls.state(ven_id=ven_id, now=now)
        if state is None:
            return None
        return Waiting(ven=state.ven, events_changed=state.events_changed, queued=state.queued)

    async def events(self, ven: Ven) -> list[Event]:
        """`ven`'s current events, read from the database."""
        if ven.report_only or ven.cancelled:
            return []
        return list(await self._store.events.for_ven(ven.ven_id, self._clock.now()))

    async def new_events(self, ven: Ven, *, waiting: Waiting | None = None) -> list[Event] | None:
        """`ven`'s current events if one of them is new to it."""
        return await unseen(self._store, ven, await self.events(ven), self._clock.now())

    def delivered(self, waiting: Waiting) -> None:
        """Nothing to remember: the next poll reads the database again."""

    async def run(self, stop: asyncio.Event) -> None:
        """No background work: nothing is kept that other processes could change."""
