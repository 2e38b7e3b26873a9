"""Per-VEN queues of VTN-initiated messages, kept in the storage outbox (nothing in memory).

Both delivery modes share the outbox table. A message for a push VEN is due at once and push
workers claim it (``FOR UPDATE SKIP LOCKED``). A message for a pull VEN is stored as due at
``PULL_ONLY`` (far in the future), so push workers never claim it; the VEN's oadrPoll takes the
oldest one and marks it delivered, which is an atomic ``UPDATE ... WHERE delivered_at IS NULL``,
so two concurrent polls cannot both take it.

Payloads are stored unsigned (``encode(message)``): a signature's ReplayProtect timestamp must
be fresh when the message leaves, so the boundary signs at delivery time.
"""

from __future__ import annotations

from datetime import UTC, datetime

from common.messages.types import Message
from common.xml import encode, from_element, parse
from vtn.domain import PushOutboxItem, Ven
from vtn.storage import Store

__all__ = ["POLL_WORKER", "PULL_ONLY", "MessageQueue"]

PULL_ONLY = datetime(9000, 1, 1, tzinfo=UTC)
"""``next_attempt_at`` of outbox items that wait for the VEN's poll (never due for a push)."""

POLL_WORKER = "oadrPoll"
"""The worker name recorded on items delivered by a poll."""


class MessageQueue:
    """Queue messages for VENs; take the next one when a pull VEN polls."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def put(self, ven: Ven, message: Message) -> PushOutboxItem:
        """Queue `message` for `ven`: pushed if it is a push VEN, else held for its poll."""
        not_before = None if ven.push else PULL_ONLY
        return await self._store.outbox.enqueue(ven.ven_id, encode(message), not_before=not_before)

    async def take(self, ven_id: str) -> Message | None:
        """The oldest undelivered message for `ven_id`, now marked delivered; ``None`` if none."""
        for item in await self._store.outbox.pending(ven_id=ven_id):
            if item.claimed_by is not None and item.next_attempt_at < PULL_ONLY:
                continue  # a push worker holds it
            if await self._store.outbox.mark_delivered(item.item_id, worker=POLL_WORKER):
                return decode_item(item)
        return None

    async def has_pending(self, ven_id: str, payload_type: str) -> bool:
        """True if an undelivered message whose payload is `payload_type` waits for `ven_id`."""
        marker = f":{payload_type} ".encode()
        return any(
            marker in item.payload for item in await self._store.outbox.pending(ven_id=ven_id)
        )


def decode_item(item: PushOutboxItem) -> Message:
    """The message an outbox item holds (the VTN wrote it, so it parses)."""
    return from_element(parse(item.payload))
