"""The events in force, in memory: what a poll with work sends, without a query per VEN.

The set of events changes only with a change notice for every VEN (an event created, modified
or cancelled: ``vtn.storage.changes``); as time passes events only leave it. So the events not
ended when the set was loaded, filtered at each use with the same rules as
``EventStore.for_ven`` (not ended, a cancelled one for ``CANCELLED_VISIBLE_FOR``, targeted at
the VEN) and sorted by ``distribution_order``, are the VEN's current events until the next such
notice. While change notices cannot be heard (PostgreSQL listener down), every call asks the
database instead.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from common.clock import Clock
from vtn.domain import Event, Ven
from vtn.domain.event import distribution_order
from vtn.services.event import targets_ven
from vtn.storage import ALL_VENS, CANCELLED_VISIBLE_FOR, Store

__all__ = ["EventsInForce"]


def _in_force(event: Event, now: datetime) -> bool:
    end = event.request.end
    if end is not None and end <= now:
        return False
    return event.cancelled_at is None or event.cancelled_at > now - CANCELLED_VISIBLE_FOR


class EventsInForce:
    """The events not ended, loaded once per change of the event set."""

    def __init__(self, store: Store, clock: Clock, *, live: bool) -> None:
        self._store = store
        self._clock = clock
        self._live = live
        self._generation = 0
        self._events: tuple[Event, ...] | None = None
        self._loading: asyncio.Future[tuple[Event, ...]] | None = None
        self._loading_generation = -1
        self.loads = 0
        """How many times the set was read from the database (for the tests)."""

    def changed(self, ven_id: str) -> None:
        """A change notice; one for every VEN means the event set changed."""
        if ven_id == ALL_VENS:
            self._generation += 1
            self._events = None

    def set_live(self, live: bool) -> None:
        """Whether change notices are heard; either way the set is read again."""
        self.changed(ALL_VENS)
        self._live = live

    async def for_ven(self, ven: Ven) -> list[Event]:
        """`ven`'s current events in the oadrDistributeEvent order (none for report-only or
        cancelled VENs)."""
        if ven.report_only or ven.cancelled:
            return []
        now = self._clock.now()
        if not self._live:
            return list(await self._store.events.for_ven(ven.ven_id, now))
        events = self._events if self._events is not None else await self._load()
        mine = [e for e in events if _in_force(e, now) and targets_ven(e.request.targets, ven)]
        mine.sort(key=lambda e: distribution_order(e, now))
        return mine

    async def _load(self) -> tuple[Event, ...]:
        """The event set, read once for all the polls that ask while it is being read."""
        if self._loading is None or self._loading_generation != self._generation:
            self._loading_generation = self._generation
            self._loading = asyncio.ensure_future(self._read(self._generation))
        return await asyncio.shield(self._loading)

    async def _read(self, generation: int) -> tuple[Event, ...]:
        try:
            events = await self._store.events.list(ending_after=self._clock.now())
        except BaseException:
            self._loading = None
            raise
        self.loads += 1
        if generation == self._generation:  # no notice arrived while reading
            self._events = events
        return events
