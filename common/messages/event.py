"""EiEvent service messages: oadrRequestEvent, oadrDistributeEvent, oadrCreatedEvent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from common.messages.enums import (
    EventStatus,
    ExtensionValue,
    OptType,
    ResponseCode,
    ResponseRequired,
    SignalName,
    SignalType,
)
from common.messages.types import (
    EMPTY_TARGET,
    EiResponse,
    Interval,
    ItemBase,
    Message,
    Period,
    QualifiedEventId,
    Target,
)

__all__ = [
    "CreatedEvent",
    "DistributeEvent",
    "EiEvent",
    "EventBaseline",
    "EventDescriptor",
    "EventResponse",
    "EventSignal",
    "OadrEvent",
    "RequestEvent",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class EventDescriptor:
    """ei:eventDescriptor: identity, status and bookkeeping of an event.

    ``market_context`` is the program's URI (ei:eiMarketContext/emix:marketContext);
    ``priority`` 0 is the highest, 1 the next…; ``test_event`` is the raw xs:string the spec
    carries (``"false"``, ``"true"``, or a free-form description).
    """

    event_id: str
    modification_number: int
    market_context: str
    created_date_time: datetime
    event_status: EventStatus
    modification_date_time: datetime | None = None
    modification_reason: str | None = None
    priority: int | None = None
    test_event: str | None = None
    vtn_comment: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EventSignal:
    """ei:eiEventSignal: what to do, interval by interval.

    Each interval's payloads are the payloadFloat values (one per interval in practice) in the
    signal's unit: a SIMPLE level 0-3, a price [currency per ``item_base``], a setpoint or delta
    [``item_base``, e.g. kW]. ``current_value`` is the value in force now, if the VTN sends it.
    ``target`` narrows the signal to some of the event's resources.
    """

    intervals: tuple[Interval[float], ...]
    signal_name: SignalName | ExtensionValue
    signal_type: SignalType
    signal_id: str
    target: Target | None = None
    item_base: ItemBase | None = None
    current_value: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EventBaseline:
    """ei:eiEventBaseline: the VTN's baseline for the event [``item_base``, e.g. kW]."""

    dtstart: datetime
    duration: timedelta
    intervals: tuple[Interval[float], ...]
    baseline_id: str
    baseline_name: str
    resource_ids: tuple[str, ...] = ()
    item_base: ItemBase | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EiEvent:
    """ei:eiEvent: descriptor, active period, signals (+ optional baseline) and target."""

    event_descriptor: EventDescriptor
    active_period: Period
    event_signals: tuple[EventSignal, ...]
    target: Target = EMPTY_TARGET
    event_baseline: EventBaseline | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OadrEvent:
    """oadr:oadrEvent: an event and whether the VEN must answer it with oadrCreatedEvent."""

    event: EiEvent
    response_required: ResponseRequired = ResponseRequired.ALWAYS


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestEvent(Message):
    """oadrRequestEvent: a VEN asks for its events (``reply_limit`` caps how many)."""

    request_id: str
    ven_id: str
    reply_limit: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DistributeEvent(Message):
    """oadrDistributeEvent: the VTN's full list of events for the VEN.

    ``response`` is present when it answers an oadrRequestEvent (and optional even then).
    """

    request_id: str
    vtn_id: str
    events: tuple[OadrEvent, ...] = ()
    response: EiResponse | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EventResponse:
    """ei:eventResponse: a VEN's answer (opt in or out) to one event modification."""

    response_code: ResponseCode | int
    request_id: str
    qualified_event_id: QualifiedEventId
    opt_type: OptType
    response_description: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CreatedEvent(Message):
    """oadrCreatedEvent (pyld:eiCreatedEvent): the VEN's answers to distributed events.

    An empty ``event_responses`` is written without the ei:eventResponses element. (The 2.0b
    schema has no oadrPendingReports in this payload.)
    """

    response: EiResponse
    ven_id: str
    event_responses: tuple[EventResponse, ...] = ()
