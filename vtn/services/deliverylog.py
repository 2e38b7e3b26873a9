"""How far each event has reached, in the log: every delivery at DEBUG, progress at INFO.

An event sent to 10,000 VENs must not write 10,000 INFO lines, nor count its deliveries in
the database 10,000 times. INFO says "k of N VENs have it" at the first delivery of each
modification and then at most once per ``PROGRESS_INTERVAL`` (per process), from two
``COUNT`` queries; each single delivery is a DEBUG line.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from logging import DEBUG, INFO

from vtn.domain import Event, Ven
from vtn.logs import PROTOCOL, ven_label
from vtn.storage import StorageError, Store

__all__ = ["PROGRESS_INTERVAL", "DeliveryLog"]

PROGRESS_INTERVAL = timedelta(seconds=10)
"""The least time between two INFO progress lines of one event modification."""


class DeliveryLog:
    """When each event modification's progress was last said, per process."""

    def __init__(self) -> None:
        self._said: dict[tuple[str, int], datetime] = {}

    async def delivered(
        self, store: Store, now: datetime, ven: Ven, events: Sequence[Event]
    ) -> None:
        """`ven` now has `events` (their current modifications), as of `now`; `store` counts who
        has them."""
        if PROTOCOL.isEnabledFor(DEBUG):
            for event in events:
                PROTOCOL.debug("Event %s (modification %d) delivered to VEN %s", event.event_id,
                               event.modification_number, ven_label(ven))
        if not PROTOCOL.isEnabledFor(INFO):
            return
        for event in events:
            key = (event.event_id, event.modification_number)
            said = self._said.get(key)
            if said is not None and now - said < PROGRESS_INTERVAL:
                continue
            self._said[key] = now
            try:
                have, targeted = await store.invitations.delivery_counts(*key)
            except (StorageError, OSError) as exc:  # the log line is not worth the delivery
                PROTOCOL.warning("Could not count who has event %s: %s", event.event_id, exc)
                continue
            PROTOCOL.info("Event %s (modification %d) delivered to VEN %s: %d of %d VENs have it",
                          event.event_id, event.modification_number, ven_label(ven), have,
                          max(targeted, have))
        if len(self._said) > 10_000:  # old modifications: forget the oldest half
            for key in sorted(self._said, key=self._said.__getitem__)[: len(self._said) // 2]:
                del self._said[key]
