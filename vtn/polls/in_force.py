"""The events in force, in memory: what a poll with work sends, without a query per VEN.

The set of events changes only with an ``EVENTS`` change notice (an event created, modified or
cancelled: ``vtn.storage.changes``); as time passes events only leave it. So the events
still listed when the set was loaded (ended no more than ``ENDED_LOOKBACK`` ago), filtered at
each use with the same rules as ``EventStore.for_ven`` (before ``listed_until``, a cancelled
one for ``CANCELLED_VISIBLE_FOR``, targeted at the VEN) and sorted by
``distribution_order``, are the VEN's current events until the next such notice. While
change notices cannot be heard (PostgreSQL listener down), every call asks the database
instead.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime

from common.clock import Clock
from vtn.domain import Event, Ven
from vtn.domain.event import (
    ENDED_LOOKBACK,
    distribution_order,
    listed_until,
    targets_ven,
)
from vtn.storage import ALL_VENS, CANCELLED_VISIBLE_FOR, EVENTS, Store

__all__ = ["REREAD_SECONDS", "EventsInForce", "mine"]

REREAD_SECONDS = 60.0
"""How long a set read from the database is used without a notice [s]: a bound on changes
that reach the database without one (SQL typed by hand, a notice lost with its connection)."""


def _in_force(event: Event, now: datetime) -> bool:
    until = listed_until(event)
    if until is not None and until <= now:
        return False
    return event.cancelled_at is None or event.cancelled_at > now - CANCELLED_VISIBLE_FOR


class EventsInForce:
    """The events not ended, read once per change of the event set.

    ``generation`` counts the changes heard; the set read during a generation (with no notice
    arriving while it was read) is kept under that number, the last ``KEEP_SETS`` of them, so
    the poll gate can tell what a VEN had at an older generation (``set_at``).
    """

    KEEP_SETS = 16

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        live: bool,
        ttl: float = REREAD_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._clock = clock
        self._live = live
        self._ttl = ttl
        self._monotonic = monotonic
        self._generation = 0
        self._sets: dict[int, tuple[Event, ...]] = {}
        self._read_at: dict[int, float] = {}
        self._loading: asyncio.Future[tuple[int | None, tuple[Event, ...]]] | None = None
        self._loading_generation = -1
        self.loads = 0
        """How many times the set was read from the database (for the tests)."""

    @property
    def generation(self) -> int:
        """How many changes of the event set were heard."""
        return self._generation

    @property
    def live(self) -> bool:
        """True while change notices are heard (else every call reads the database)."""
        return self._live

    def changed(self, ven_id: str) -> None:
        """A change notice: the set changed for ``EVENTS`` (and ``ALL_VENS``)."""
        if ven_id in (EVENTS, ALL_VENS):
            self._generation += 1

    def refresh(self) -> None:
        """Read the set again at the next use (as after a notice): the database showed a
        change this process did not hear of."""
        self._generation += 1

    def set_live(self, live: bool) -> None:
        """Whether change notices are heard; either way the set is read again."""
        self.changed(ALL_VENS)
        self._live = live

    def set_at(self, generation: int) -> tuple[Event, ...] | None:
        """The set as read during `generation`, if it was read then and is still kept."""
        return self._sets.get(generation)

    async def current(self) -> tuple[int | None, tuple[Event, ...]]:
        """The set now, and its generation (``None`` when a notice arrived while it was read:
        then it is not known which generation it shows)."""
        generation = self._generation
        events = self._sets.get(generation)
        if events is not None:
            if self._monotonic() - self._read_at[generation] < self._ttl:
                return generation, events
            self.refresh()  # a bound on anything written behind the VTN's back
            generation = self._generation
        if self._loading is None or self._loading_generation != generation:
            self._loading_generation = generation
            self._loading = asyncio.ensure_future(self._read(generation))
        return await asyncio.shield(self._loading)

    async def for_ven(self, ven: Ven) -> list[Event]:
        """`ven`'s current events in the oadrDistributeEvent order (none for report-only or
        cancelled VENs)."""
        if ven.report_only or ven.cancelled:
            return []
        now = self._clock.now()
        if not self._live:
            return list(await self._store.events.for_ven(ven.ven_id, now))
        _, events = await self.current()
        return mine(events, ven, now)

    async def _read(self, generation: int) -> tuple[int | None, tuple[Event, ...]]:
        try:
            events = await self._store.events.list(
                ending_after=self._clock.now() - ENDED_LOOKBACK)
        except BaseException:
            self._loading = None
            raise
        self.loads += 1
        if generation != self._generation:  # a notice arrived while reading
            return None, events
        self._sets[generation] = events
        self._read_at[generation] = self._monotonic()
        for old in sorted(self._sets)[: -self.KEEP_SETS]:
            del self._sets[old]
            del self._read_at[old]
        return generation, events


def mine(events: tuple[Event, ...], ven: Ven, now: datetime) -> list[Event]:
    """The events of `events` that `ven` must hear about at `now`, in the 2.0b order (none for
    report-only or cancelled VENs)."""
    if ven.report_only or ven.cancelled:
        return []
    chosen = [e for e in events if _in_force(e, now) and targets_ven(e.request.targets, ven)]
    chosen.sort(key=lambda e: distribution_order(e, now))
    return chosen
