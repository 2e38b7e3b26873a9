"""The poll gate: an empty oadrPoll answered from memory, for VENs the database said have nothing.

Most polls find nothing waiting. After the database has said so for a VEN (``PollState`` with
both flags false), the gate remembers the VEN, and its next polls are answered without a query
until a change notice (``vtn.storage.changes``) names it or every VEN: an event created,
modified or cancelled; a message queued for it; its registration created, changed or
cancelled. Time alone never gives a VEN new work (an event only leaves the current set as time
passes), so a remembered "nothing" stays true until such a notice.

Safe by construction:

- a poll that finds the VEN missing (or stale) takes the database path, which is the authority;
- a poll remembers its answer only if no notice for its VEN arrived since it started reading
  (``token``/``remember``): a change that committed while it read is never papered over;
- the gate answers only while it is *live*: while it hears the change notices of every
  process using the database (``Store.listen``: NOTIFY on PostgreSQL, the notice table on
  SQLite); losing them forgets everything, as notices may have been missed;
- each entry lives at most ``ttl``, a bound on anything written behind the VTN's back (by
  SQL, not through ``vtn.storage``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from vtn.domain import Ven
from vtn.storage import ALL_VENS, PollState

__all__ = ["DEFAULT_TTL_SECONDS", "PollGate"]

DEFAULT_TTL_SECONDS = 60.0
"""How long a remembered "nothing waits" is used before the database is asked again [s]."""


@dataclass(frozen=True, slots=True)
class _Entry:
    ven: Ven
    expires: float


class PollGate:
    """VENs with nothing waiting, by ven_id and by certificate fingerprint."""

    def __init__(
        self,
        *,
        live: bool,
        ttl: float = DEFAULT_TTL_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
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

    def lookup(self, *, ven_id: str | None = None, fingerprint: str | None = None) -> Ven | None:
        """The VEN (by `ven_id` or certificate `fingerprint`) if nothing waits for it, else
        ``None`` (ask the database)."""
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
        self.hits += 1
        return entry.ven

    def token(self) -> int:
        """Take before reading a ``PollState``; give it to ``remember``."""
        return self._generation

    def remember(self, state: PollState, token: int) -> None:
        """Remember `state`'s VEN if nothing waits for it and no notice for it arrived since
        `token` was taken."""
        ven = state.ven
        if not self._live or state.events_changed or state.queued:
            return
        if self._all_changed_at > token or self._changed_at.get(ven.ven_id, -1) > token:
            return
        self._forget(ven.ven_id)
        self._entries[ven.ven_id] = _Entry(ven, self._monotonic() + self._ttl)
        self._fingerprints[ven.fingerprint] = ven.ven_id

    def changed(self, ven_id: str) -> None:
        """A change notice: `ven_id` (or every VEN, for ``ALL_VENS``) may have new work."""
        self._generation += 1
        if ven_id == ALL_VENS:
            self._all_changed_at = self._generation
            self._changed_at.clear()
            self._entries.clear()
            self._fingerprints.clear()
            return
        self._changed_at[ven_id] = self._generation
        self._forget(ven_id)

    def _forget(self, ven_id: str) -> None:
        entry = self._entries.pop(ven_id, None)
        if entry is not None and self._fingerprints.get(entry.ven.fingerprint) == ven_id:
            del self._fingerprints[entry.ven.fingerprint]
