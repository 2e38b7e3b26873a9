"""What waits for a VEN when it polls: the one interface (``WaitingWork``) and its answer."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from vtn.domain import Event, Ven
from vtn.domain.event import awaits_acknowledgement
from vtn.storage import Store

__all__ = ["Waiting", "WaitingWork", "unseen"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Waiting:
    """Who polls, and whether anything waits for it.

    ``events_changed``: one of the VEN's current events is new or modified since its last
    delivery (never for a cancelled or report-only VEN). ``queued``: its queue holds an item
    neither delivered nor given up.
    """

    ven: Ven
    events_changed: bool
    queued: bool


class WaitingWork(Protocol):
    """What each VEN has waiting: read from the database, or known to the VTN already."""

    async def waiting(
        self, now: datetime, *, ven_id: str | None = None, fingerprint: str | None = None
    ) -> Waiting | None:
        """The VEN of certificate `fingerprint` (else of `ven_id`) and what waits for it at
        `now`; ``None`` when there is no such VEN."""
        ...

    async def events(self, ven: Ven) -> list[Event]:
        """`ven`'s current events in the oadrDistributeEvent order (none for report-only or
        cancelled VENs)."""
        ...

    async def new_events(self, ven: Ven, *, waiting: Waiting | None = None) -> list[Event] | None:
        """`ven`'s current events if one of them is new or modified since its last delivery,
        else ``None``; `waiting` is what its poll was told (``waiting``), if it polls."""
        ...

    def delivered(self, waiting: Waiting) -> None:
        """The poll told `waiting` delivered all the VEN's current events."""
        ...

    async def run(self, stop: asyncio.Event) -> None:
        """Background work (hearing what other processes change) until `stop` is set."""
        ...


async def unseen(
    store: Store, ven: Ven, events: Sequence[Event], now: datetime
) -> list[Event] | None:
    """`events` (all of them) if, at `now`, one that has not ended is new or modified since its
    delivery to `ven`, or is a cancellation it has not acknowledged yet
    (``awaits_acknowledgement``: sent again); else ``None``. An ended event (listed a while,
    completed) makes no distribution by itself."""
    if not events:
        return None
    delivered = await store.invitations.delivered_numbers(ven.ven_id)
    for event in events:
        if _ended(event, now):
            continue
        number = delivered.get(event.event_id)
        if number is None or number < event.modification_number:
            return list(events)
    for event in events:
        if awaits_acknowledgement(event, None, now):
            invitation = await store.invitations.get(event.event_id, ven.ven_id)
            if invitation is not None and awaits_acknowledgement(
                event, invitation.opt_modification_number, now
            ):
                return list(events)
    return None


def _ended(event: Event, now: datetime) -> bool:
    end = event.request.end
    return end is not None and end <= now
