"""The outbox: each VEN's queue of VTN-initiated messages, pushed or polled, shared by all
VTN workers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from vtn.domain.checks import require_aware

__all__ = ["PushOutboxItem"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PushOutboxItem:
    """One payload for one VEN, with its delivery bookkeeping.

    ``seq`` orders the queue: strictly increasing in the order items were queued. Whether the
    item is pushed or taken by a poll follows its VEN's current registration (pull or push).
    A worker that claims the item holds it until ``claimed_until`` (a lease; after it another
    worker may claim it again). ``attempts`` counts claims. ``next_attempt_at`` is the earliest
    time a worker may try (again). Exactly one of ``delivered_at`` / ``given_up_at`` ends it.
    """

    item_id: str
    ven_id: str
    payload: bytes
    created_at: datetime
    next_attempt_at: datetime
    seq: int = 0
    attempts: int = 0
    claimed_by: str | None = None
    claimed_until: datetime | None = None
    delivered_at: datetime | None = None
    given_up_at: datetime | None = None
    last_error: str | None = None

    def __post_init__(self) -> None:
        for name in ("created_at", "next_attempt_at", "claimed_until", "delivered_at"):
            require_aware(name, getattr(self, name))
        require_aware("given_up_at", self.given_up_at)
