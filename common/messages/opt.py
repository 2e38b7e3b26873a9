"""EiOpt service messages: oadrCreateOpt, oadrCreatedOpt, oadrCancelOpt, oadrCanceledOpt."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from common.messages.enums import ExtensionValue, OptReason, OptType
from common.messages.types import (
    EMPTY_TARGET,
    EiResponse,
    Message,
    Period,
    QualifiedEventId,
    Target,
)

__all__ = ["CancelOpt", "CanceledOpt", "CreateOpt", "CreatedOpt"]


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateOpt(Message):
    """oadrCreateOpt: a VEN opts in or out, of one event or of a schedule.

    ``vavailability`` is the opt schedule: the xcal:available windows (``None`` when the element
    is absent; an empty tuple writes an empty schedule). ``qualified_event_id`` names the event
    for an event opt. ``target`` says which resources opt (an empty Target = the whole VEN);
    ``device_class`` (oadrDeviceClass) limits the opt to a class of devices.
    """

    opt_id: str
    opt_type: OptType
    opt_reason: OptReason | ExtensionValue
    ven_id: str
    created_date_time: datetime
    request_id: str
    market_context: str | None = None
    vavailability: tuple[Period, ...] | None = None
    qualified_event_id: QualifiedEventId | None = None
    target: Target = EMPTY_TARGET
    device_class: Target | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CreatedOpt(Message):
    """oadrCreatedOpt: the VTN's acknowledgement of an oadrCreateOpt."""

    response: EiResponse
    opt_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelOpt(Message):
    """oadrCancelOpt: a VEN withdraws an opt schedule."""

    request_id: str
    opt_id: str
    ven_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CanceledOpt(Message):
    """oadrCanceledOpt: the VTN's acknowledgement of an oadrCancelOpt."""

    response: EiResponse
    opt_id: str | None = None
