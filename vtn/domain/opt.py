"""Opts: a VEN's opt-in/opt-out of one event, or an availability schedule (vavailability)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from common.messages.enums import ExtensionValue, OptReason, OptType
from vtn.domain.checks import require_aware, require_non_negative

__all__ = ["AvailabilityPeriod", "Opt"]


@dataclass(frozen=True, slots=True, kw_only=True)
class AvailabilityPeriod:
    """One xcal:available window of an opt schedule: ``start`` for ``duration`` [duration]."""

    start: datetime
    duration: timedelta

    def __post_init__(self) -> None:
        require_aware("start", self.start)
        require_non_negative("duration", self.duration)


@dataclass(frozen=True, slots=True, kw_only=True)
class Opt:
    """An opt as received from a VEN (oadrCreateOpt).

    Either an event opt (``event_id`` and ``modification_number``) or a schedule
    (``availability`` non-empty). ``created_at`` is the VEN's createdDateTime; ``received_at``
    when the VTN stored it. ``resource_ids`` limits the opt to some resources (empty = the whole
    VEN). ``opt_id`` is the VEN's id: unique per VEN.
    """

    opt_id: str
    ven_id: str
    opt_type: OptType
    opt_reason: OptReason | ExtensionValue
    created_at: datetime
    received_at: datetime
    market_context: str | None = None
    event_id: str | None = None
    modification_number: int | None = None
    availability: tuple[AvailabilityPeriod, ...] = ()
    resource_ids: tuple[str, ...] = ()
    cancelled_at: datetime | None = None

    def __post_init__(self) -> None:
        for name in ("created_at", "received_at", "cancelled_at"):
            require_aware(name, getattr(self, name))
        if self.event_id is None and not self.availability:
            raise ValueError("an opt names an event or carries an availability schedule")
        if (self.event_id is None) != (self.modification_number is None):
            raise ValueError("an event opt needs both event_id and modification_number")

    @property
    def cancelled(self) -> bool:
        """True once the VEN cancelled the opt (oadrCancelOpt)."""
        return self.cancelled_at is not None
