"""Invitations: per event and VEN, what was delivered and how the VEN answered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from common.messages.enums import OptType
from vtn.domain.checks import require_aware

__all__ = ["Invitation"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Invitation:
    """One VEN's view of one event, as far as the VTN knows.

    ``delivered_modification_number`` is the latest modification the VEN received (by poll,
    oadrRequestEvent or push), first at ``first_delivered_at`` and last (a re-delivery) at
    ``delivered_at``. ``opt_type`` is its latest answer
    (oadrCreatedEvent or an event opt) at ``opted_at``, referring to
    ``opt_modification_number``, with the ``response_code`` the VEN sent.
    """

    event_id: str
    ven_id: str
    first_delivered_at: datetime | None = None
    delivered_at: datetime | None = None
    delivered_modification_number: int | None = None
    opt_type: OptType | None = None
    opted_at: datetime | None = None
    opt_modification_number: int | None = None
    response_code: int | None = None

    def __post_init__(self) -> None:
        require_aware("first_delivered_at", self.first_delivered_at)
        require_aware("delivered_at", self.delivered_at)
        require_aware("opted_at", self.opted_at)

    def is_current(self, modification_number: int) -> bool:
        """True when the VEN has received modification `modification_number` (or a later one)."""
        delivered = self.delivered_modification_number
        return delivered is not None and delivered >= modification_number
