"""What waits for each VEN, answered from memory where the VTN already knows (the poll cache).

``CachedWork`` puts together the events in force (``vtn.polls.in_force``), the poll gate
(``vtn.polls.gate``), the change notices of every process using the database that keep both
true (``Store.listen``), and the warm-up that remembers, in one query, every VEN with nothing
waiting whenever the notices start being heard. The database stays the authority: whatever
the gate does not know is read from it, as ``DatabaseWork`` does.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from datetime import datetime

from common.clock import Clock
from vtn.domain import Event, Ven
from vtn.logs import SERVER
from vtn.polls.gate import PollGate, Token, Verdict
from vtn.polls.in_force import EventsInForce
from vtn.polls.waiting import Waiting, unseen
from vtn.storage import StorageError, Store

__all__ = ["CachedWork"]


@dataclass(frozen=True, slots=True, kw_only=True)
class _Answer(Waiting):
    """A ``Waiting`` with what the gate needs when the poll has delivered."""

    token: Token
    """The gate's token, taken before the answer was read."""
    read: bool
    """Read from the database (not known to the gate)."""


class CachedWork:
    """``WaitingWork`` from memory where possible: the gate, the events in force, and the
    listener and warm-up that keep them true."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        # live once the change notices of every process are heard (``run``)
        self.in_force = EventsInForce(store, clock, live=False)
        """The events in force, in memory."""
        self.gate = PollGate(self.in_force, live=False)
        """The VENs whose state is known."""
        store.subscribe(self.in_force.changed)
        store.subscribe(self.gate.changed)
        self._warming: asyncio.Task[None] | None = None

    async def waiting(
        self, now: datetime, *, ven_id: str | None = None, fingerprint: str | None = None
    ) -> Waiting | None:
        """From the gate when it knows the VEN; else read with the VEN in one query, and
        remembered when nothing waits."""
        gate = self.gate
        token = gate.token()
        ven, verdict = await gate.verdict(now, ven_id=ven_id, fingerprint=fingerprint)
        if ven is not None and verdict is not Verdict.UNKNOWN:
            return _Answer(ven=ven, events_changed=verdict is Verdict.EVENTS, queued=False,
                           token=token, read=False)
        if gate.live and self.in_force.live:
            await self.in_force.current()  # read before the state, to remember it against
        token = gate.token()
        if fingerprint is not None:
            state = await self._store.polls.state(fingerprint=fingerprint, now=now)
        else:
            state = await self._store.polls.state(ven_id=ven_id, now=now)
        if state is None:
            return None
        gate.remember(state, token)
        return _Answer(ven=state.ven, events_changed=state.events_changed, queued=state.queued,
                       token=token, read=True)

    async def events(self, ven: Ven) -> list[Event]:
        """`ven`'s current events, from the events in force."""
        return await self.in_force.for_ven(ven)

    async def new_events(self, ven: Ven, *, waiting: Waiting | None = None) -> list[Event] | None:
        """`ven`'s current events if one of them is new to it (its deliveries are read again:
        another worker may have delivered them since)."""
        events = await unseen(self._store, ven, await self.events(ven), self._clock.now())
        if events is None and isinstance(waiting, _Answer) and waiting.read:
            # The database says an event is new for it, the events in memory do not: they
            # missed a change (a notice lost, SQL by hand). Read them again, once.
            self.in_force.refresh()
            events = await unseen(self._store, ven, await self.events(ven), self._clock.now())
        return events

    def delivered(self, waiting: Waiting) -> None:
        """Remember that the VEN has all its current events, when its queue was empty."""
        if isinstance(waiting, _Answer) and not waiting.queued:
            self.gate.delivered(waiting.ven, waiting.token)

    async def run(self, stop: asyncio.Event) -> None:
        """Hear the change notices of every process using the database until `stop`; warm the
        gate whenever they start being heard."""

        def changed(ven_id: str) -> None:
            self.gate.changed(ven_id)
            self.in_force.changed(ven_id)

        def set_live(live: bool) -> None:
            self.gate.set_live(live)
            self.in_force.set_live(live)
            if live and not stop.is_set():
                self._warming = asyncio.create_task(self._warm(), name="oadr-vtn-poll-cache")

        try:
            await self._store.listen(changed, set_live, stop)
        finally:
            if self._warming is not None:
                self._warming.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._warming

    async def _warm(self) -> None:
        """Remember every VEN with nothing waiting, read in one query: without this, after a
        start (or a lost listener) each VEN's first poll would read the database."""
        started = time.perf_counter()
        try:
            await self.in_force.current()  # read before the states (``Token.set_read``)
            token = self.gate.token()
            states = await self._store.polls.every_state(self._clock.now())
        except StorageError as exc:
            SERVER.warning("Could not warm the poll cache (%s); each VEN's first poll reads "
                           "the database", exc)
            return
        for state in states:
            self.gate.remember(state, token)
        SERVER.info("Poll cache warm: %d of %d VENs have nothing waiting (%.2f s)",
                    len(self.gate), len(states), time.perf_counter() - started)
