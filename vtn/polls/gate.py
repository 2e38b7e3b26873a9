"""The poll gate: oadrPolls answered from memory for VENs whose state the VTN already knows.

Most polls find nothing waiting. After the database has said so for a VEN (``PollState`` with
both flags false), or after a poll delivered all of a VEN's current events and its queue was
empty, the gate remembers the VEN as "queue empty, has every event of event-set generation
*g*" (``EventsInForce.generation``). Its next polls are answered without a query:

- same generation: nothing waits (time alone never gives a VEN work: events only leave the
  current set as time passes);
- a newer generation (an event was created, modified or cancelled): the VEN's current events
  are compared, in memory, with what it had at *g* (``EventsInForce.set_at``); equal (the
  change was for other VENs): nothing waits; else the poll delivers them, from memory too.

A change notice (``vtn.storage.changes``) naming the VEN (a message queued for it, its
registration changed) or ``ALL_VENS`` makes the gate forget it; its next poll reads the
database, which stays the authority.

Safe by construction:

- a VEN not remembered, or whose generation *g* is no longer kept, takes the database path;
- the gate remembers only what was read or delivered under a ``token`` taken before: a notice
  for the VEN (or a change of the event set) since then cancels it, so a change that committed
  meanwhile is never papered over;
- the gate answers only while it is *live*: while it hears the change notices of every
  process using the database (``Store.listen``); losing them forgets everything;
- each entry lives at most ``ttl``, a bound on anything written behind the VTN's back (by SQL,
  not through ``vtn.storage``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from vtn.domain import Ven
from vtn.polls.in_force import EventsInForce, mine
from vtn.storage import ALL_VENS, EVENTS, PollState

__all__ = ["DEFAULT_TTL_SECONDS", "PollGate", "Token", "Verdict"]

DEFAULT_TTL_SECONDS = 60.0
"""How long a remembered VEN is answered from memory before the database is asked again [s]."""


class Verdict(Enum):
    """What the gate knows about a VEN that polls."""

    UNKNOWN = "unknown"
    """Ask the database."""
    NOTHING = "nothing"
    """Nothing waits for it."""
    EVENTS = "events"
    """Its queue is empty and it must receive its current events (from memory)."""


@dataclass(frozen=True, slots=True)
class Token:
    """Taken before reading or delivering; given back to ``remember``/``delivered``."""

    changes: int
    events: int
    set_read: bool
    """The event set of generation ``events`` had been read when the token was taken: it
    shows no change later than what a read after the token sees."""


@dataclass(slots=True)
class _Entry:
    ven: Ven
    expires: float
    has_all_at: int
    """The event-set generation whose events (for this VEN) it has received."""


class PollGate:
    """Remembered VENs, by ven_id and by certificate fingerprint."""

    def __init__(
        self,
        in_force: EventsInForce,
        *,
        live: bool,
        ttl: float = DEFAULT_TTL_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._in_force = in_force
        self._live = live
        self._ttl = ttl
        self._monotonic = monotonic
        self._entries: dict[str, _Entry] = {}
        self._fingerprints: dict[str, str] = {}
        self._generation = 0
        self._all_changed_at = 0
        self._changed_at: dict[str, int] = {}
        self.hits = 0
        """Polls answered from memory (for the log and the tests)."""

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def live(self) -> bool:
        """True while the gate may answer (it hears every change notice)."""
        return self._live

    def set_live(self, live: bool) -> None:
        """Start or stop answering; either way everything remembered so far is forgotten (a
        listener that (re)connects may have missed notices)."""
        self.changed(ALL_VENS)
        self._live = live

    def token(self) -> Token:
        """Take before reading a ``PollState`` (after ``EventsInForce.current()``, so that the
        set it will be compared with was read before the state) or delivering events."""
        generation = self._in_force.generation
        return Token(self._generation, generation, self._in_force.set_at(generation) is not None)

    async def verdict(
        self, now: datetime, *, ven_id: str | None = None, fingerprint: str | None = None
    ) -> tuple[Ven | None, Verdict]:
        """The remembered VEN (by `ven_id` or certificate `fingerprint`) and what waits for it
        at `now`; ``(None, UNKNOWN)`` when the database must be asked."""
        entry = self._entry(ven_id, fingerprint)
        if entry is None:
            return None, Verdict.UNKNOWN
        generation = self._in_force.generation
        if entry.has_all_at == generation:
            self.hits += 1
            return entry.ven, Verdict.NOTHING
        had = self._in_force.set_at(entry.has_all_at)
        if had is None:
            self._forget(entry.ven.ven_id)
            return None, Verdict.UNKNOWN
        loaded_at, events = await self._in_force.current()
        if loaded_at is None or self._entries.get(entry.ven.ven_id) is not entry:
            return None, Verdict.UNKNOWN  # the set or the VEN changed while reading
        ven = entry.ven
        received = {e.event_id: e.modification_number for e in mine(had, ven, now)}
        now_due = [e for e in mine(events, ven, now)  # an ended event is no work
                   if e.request.end is None or e.request.end > now]
        self.hits += 1
        if all(received.get(e.event_id, -1) >= e.modification_number for e in now_due):
            entry.has_all_at = loaded_at  # the change concerned other VENs
            return ven, Verdict.NOTHING
        return ven, Verdict.EVENTS

    def remember(self, state: PollState, token: Token) -> None:
        """Remember `state`'s VEN if the database said nothing waits for it, nothing changed
        for it since `token`, and the event set of the token's generation was read before the
        state (a set read after it could show a change of another process that the VEN does
        not have, and would vouch for it)."""
        if state.events_changed or state.queued or not token.set_read:
            return
        self._keep(state.ven, token)

    def delivered(self, ven: Ven, token: Token) -> None:
        """A poll of `ven` whose queue was empty delivered all its current events (from the
        set of the token's generation, compared with delivery records read after it):
        remember that it has them."""
        self._keep(ven, token)

    def changed(self, ven_id: str) -> None:
        """A change notice: `ven_id`, ``EVENTS`` (nothing to forget: compared at the next
        poll) or ``ALL_VENS``."""
        if ven_id == EVENTS:
            return
        self._generation += 1
        if ven_id == ALL_VENS:
            self._all_changed_at = self._generation
            self._changed_at.clear()
            self._entries.clear()
            self._fingerprints.clear()
            return
        self._changed_at[ven_id] = self._generation
        self._forget(ven_id)

    def _keep(self, ven: Ven, token: Token) -> None:
        if not self._live or self._in_force.generation != token.events:
            return
        if self._in_force.set_at(token.events) is None:
            return  # the set of that generation was not read: nothing to compare with later
        since = token.changes
        if self._all_changed_at > since or self._changed_at.get(ven.ven_id, -1) > since:
            return
        self._forget(ven.ven_id)
        self._entries[ven.ven_id] = _Entry(ven, self._monotonic() + self._ttl, token.events)
        self._fingerprints[ven.fingerprint] = ven.ven_id

    def _entry(self, ven_id: str | None, fingerprint: str | None) -> _Entry | None:
        if not self._live:
            return None
        if fingerprint is not None:
            ven_id = self._fingerprints.get(fingerprint)
        entry = self._entries.get(ven_id) if ven_id is not None else None
        if entry is None:
            return None
        if self._monotonic() >= entry.expires:
            self._forget(entry.ven.ven_id)
            return None
        return entry

    def _forget(self, ven_id: str) -> None:
        entry = self._entries.pop(ven_id, None)
        if entry is not None and self._fingerprints.get(entry.ven.fingerprint) == ven_id:
            del self._fingerprints[entry.ven.fingerprint]
