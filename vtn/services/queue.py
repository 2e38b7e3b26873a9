"""Per-VEN queues of VTN-initiated messages, kept in the storage outbox (nothing in memory).

Every message is queued the same way, at the end of its VEN's queue (``outbox.enqueue``).
How it leaves depends on the VEN's registration when it leaves, not when it was queued:
push workers claim only the items of push VENs (``outbox.claim``); a pull VEN's oadrPoll takes
its oldest waiting item (``outbox.take_next``, atomic: two concurrent polls cannot both take
it). So a VEN that re-registers from pull to push has the messages queued while it polled
pushed to it, and one that turns to pull gets its undelivered pushes at its next polls.

Payloads are stored unsigned (``encode(message)``): a signature's ReplayProtect timestamp must
be fresh when the message leaves, so the boundary signs at delivery time.
"""

from __future__ import annotations

from common.messages.types import Message
from common.xml import encode, from_element, parse
from vtn.domain import PushOutboxItem, Ven
from vtn.storage import Store

__all__ = ["POLL_WORKER", "MessageQueue", "decode_item", "payload_marker"]

POLL_WORKER = "oadrPoll"
"""The worker name recorded on items delivered by a poll."""


class MessageQueue:
    """Queue messages for VENs; take the next one when a VEN polls."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def put(self, ven: Ven, message: Message) -> PushOutboxItem:
        """Queue `message` for `ven`: pushed while it is a push VEN, else held for its poll."""
        return await self._store.outbox.enqueue(ven.ven_id, encode(message))

    async def take(self, ven_id: str) -> Message | None:
        """The oldest undelivered message for `ven_id`, now marked delivered; ``None`` if none."""
        item = await self._store.outbox.take_next(ven_id, worker=POLL_WORKER)
        return None if item is None else decode_item(item)

    async def has_pending(self, ven_id: str, payload_type: str) -> bool:
        """True if an undelivered message whose payload is `payload_type` waits for `ven_id`."""
        marker = payload_marker(payload_type)
        return any(
            marker in item.payload for item in await self._store.outbox.pending(ven_id=ven_id)
        )


def payload_marker(payload_type: str) -> bytes:
    """Bytes found in a queued payload of `payload_type` (e.g. ``oadrRegisterReport``), and in
    no other: its root element's tag, as ``encode`` writes it."""
    return f":{payload_type} ".encode()


def decode_item(item: PushOutboxItem) -> Message:
    """The message an outbox item holds (the VTN wrote it, so it parses)."""
    return from_element(parse(item.payload))
