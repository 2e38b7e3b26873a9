"""Codecs of the EiEvent service: oadrRequestEvent, oadrDistributeEvent, oadrCreatedEvent."""

from __future__ import annotations

from copy import deepcopy
from functools import partial
from typing import Any, Final

from lxml import etree

from common.errors import NotRecognized
from common.messages.enums import (
    EventStatus,
    OptType,
    ResponseRequired,
    SignalName,
    SignalType,
    parse_response_code,
)
from common.messages.event import (
    CreatedEvent,
    DistributeEvent,
    EiEvent,
    EventBaseline,
    EventDescriptor,
    EventResponse,
    EventSignal,
    OadrEvent,
    RequestEvent,
)
from common.messages.types import Interval, Target
from common.xml import prototypes
from common.xml.codec import Codec
from common.xml.construct import maker
from common.xml.lexical import (
    read_datetime,
    read_duration,
    read_float,
    write_datetime,
    write_duration,
    write_float,
)
from common.xml.names import (
    BASIC_NSMAP,
    COMPONENTS,
    CREATED_DATE_TIME,
    CURRENT_VALUE,
    DATE_TIME,
    DTSTART,
    DURATION,
    EI_RESPONSE,
    EI_TARGET,
    EVENT_ID,
    INTERVAL,
    INTERVALS,
    MARKET_CONTEXT,
    MODIFICATION_NUMBER,
    PAYLOAD_FLOAT,
    PROPERTIES,
    QUALIFIED_EVENT_ID,
    REQUEST_ID,
    RESOURCE_ID,
    RESPONSE_CODE,
    RESPONSE_DESCRIPTION,
    SIGNAL_PAYLOAD,
    STARTAFTER,
    TEXT,
    TOLERANCE,
    TOLERATE,
    UID,
    VALUE,
    VEN_ID,
    VTN_ID,
    X_EI_NOTIFICATION,
    X_EI_RAMP_UP,
    X_EI_RECOVERY,
    ei,
    oadr,
    pyld,
)
from common.xml.prototypes import holder
from common.xml.responses import (
    read_ei_response,
    read_qualified_event_id,
    write_ei_response,
    write_qualified_event_id,
    write_response_fields,
)
from common.xml.targets import fill_target, read_target, write_target
from common.xml.timing import (
    read_dtstart,
    read_duration_prop,
    read_properties,
    write_dtstart,
    write_duration_prop,
    write_intervals_into,
)
from common.xml.units import is_item_base, read_item_base, write_item_base

__all__ = ["CODECS"]

SubElement = etree.SubElement

OADR_REQUEST_EVENT: Final = oadr("oadrRequestEvent")
OADR_DISTRIBUTE_EVENT: Final = oadr("oadrDistributeEvent")
OADR_CREATED_EVENT: Final = oadr("oadrCreatedEvent")
EI_REQUEST_EVENT: Final = pyld("eiRequestEvent")
EI_CREATED_EVENT: Final = pyld("eiCreatedEvent")
REPLY_LIMIT: Final = pyld("replyLimit")
OADR_EVENT: Final = oadr("oadrEvent")
OADR_RESPONSE_REQUIRED: Final = oadr("oadrResponseRequired")
EI_EVENT: Final = ei("eiEvent")
EVENT_DESCRIPTOR: Final = ei("eventDescriptor")
MODIFICATION_DATE_TIME: Final = ei("modificationDateTime")
MODIFICATION_REASON: Final = ei("modificationReason")
PRIORITY: Final = ei("priority")
EI_MARKET_CONTEXT: Final = ei("eiMarketContext")
EVENT_STATUS: Final = ei("eventStatus")
TEST_EVENT: Final = ei("testEvent")
VTN_COMMENT: Final = ei("vtnComment")
EI_ACTIVE_PERIOD: Final = ei("eiActivePeriod")
EI_EVENT_SIGNALS: Final = ei("eiEventSignals")
EI_EVENT_SIGNAL: Final = ei("eiEventSignal")
EI_EVENT_BASELINE: Final = ei("eiEventBaseline")
SIGNAL_NAME: Final = ei("signalName")
SIGNAL_TYPE: Final = ei("signalType")
SIGNAL_ID: Final = ei("signalID")
BASELINE_ID: Final = ei("baselineID")
BASELINE_NAME: Final = ei("baselineName")
EVENT_RESPONSES: Final = ei("eventResponses")
EVENT_RESPONSE: Final = ei("eventResponse")
OPT_TYPE: Final = ei("optType")


make_interval: Final = maker(Interval)
_make_descriptor: Final = maker(EventDescriptor)
_make_signal: Final = maker(EventSignal)
_make_ei_event: Final = maker(EiEvent)
_make_oadr_event: Final = maker(OadrEvent)
_make_distribute_event: Final = maker(DistributeEvent)
_EVENT_STATUSES: Final = EventStatus._value2member_map_
_SIGNAL_TYPES: Final = SignalType._value2member_map_
_SIGNAL_NAMES: Final = SignalName._value2member_map_
_RESPONSES_REQUIRED: Final = ResponseRequired._value2member_map_
"""Wire token -> member, for the exact tokens; ``parse`` handles the rest (spaces, x- names)."""


# ---- signal payloads --------------------------------------------------------------------------


def read_signal_payload(element: etree._Element) -> float:
    """ei:signalPayload/ei:payloadFloat/ei:value -> float."""
    base = element[0]
    if base.tag != PAYLOAD_FLOAT or element.tag != SIGNAL_PAYLOAD:
        raise NotRecognized(f"unsupported event signal payload {element.tag!r}/{base.tag!r}")
    return read_float(base[0].text)


def read_signal_intervals(element: etree._Element) -> tuple[Interval[float], ...]:
    """strm:intervals of an event signal or baseline -> intervals of float payloads.

    The same result as ``read_intervals(element, read_signal_payload)``, inlined because event
    signals are the bulk of what a VEN decodes.
    """
    intervals: list[Interval[float]] = []
    append = intervals.append
    for interval in element:
        dtstart = duration = uid = None
        payloads = []
        for child in interval:
            tag = child.tag
            if tag == SIGNAL_PAYLOAD:
                base = child[0]
                if base.tag != PAYLOAD_FLOAT:
                    raise NotRecognized(f"unsupported event signal payload {tag!r}/{base.tag!r}")
                payloads.append(float(base[0].text))  # (schema-valid xs:float)
            elif tag == DURATION:
                duration = read_duration(child[0].text)
            elif tag == UID:
                uid = child[0].text or ""
            elif tag == DTSTART:
                dtstart = read_datetime(child[0].text)
            else:
                raise NotRecognized(f"unsupported event signal payload {tag!r}")
        append(make_interval(tuple(payloads), dtstart, duration, uid))
    return tuple(intervals)


def write_signal_payload(parent: etree._Element, value: float) -> None:
    """Append ei:signalPayload/ei:payloadFloat/ei:value to `parent`."""
    payload_float = SubElement(SubElement(parent, SIGNAL_PAYLOAD), PAYLOAD_FLOAT)
    SubElement(payload_float, VALUE).text = write_float(value)


def _build_interval(has_dtstart: bool, has_duration: bool, has_uid: bool) -> etree._Element:
    """Prototype of a single-value signal interval of this shape (texts empty)."""
    prototype = SubElement(holder(), INTERVAL)
    if has_dtstart:
        SubElement(SubElement(prototype, DTSTART), DATE_TIME)
    if has_duration:
        SubElement(SubElement(prototype, DURATION), DURATION)
    if has_uid:
        SubElement(SubElement(prototype, UID), TEXT)
    SubElement(SubElement(SubElement(prototype, SIGNAL_PAYLOAD), PAYLOAD_FLOAT), VALUE)
    return prototype


def fill_signal_intervals(element: etree._Element, intervals: tuple[Interval[float], ...]) -> None:
    """Fill an empty strm:intervals `element` with signal intervals (the XML that
    ``write_intervals`` with ``write_signal_payload`` makes, built from per-shape prototypes)."""
    append = element.append
    for interval in intervals:
        if len(interval.payloads) != 1:
            write_intervals_into(element, (interval,), write_signal_payload)
            continue
        dtstart, duration, uid = interval.dtstart, interval.duration, interval.uid
        shape = (dtstart is not None, duration is not None, uid is not None)
        clone = prototypes.clone(("signal-interval", *shape), partial(_build_interval, *shape))
        append(clone)
        index = 0
        if dtstart is not None:
            clone[0][0].text = write_datetime(dtstart)
            index = 1
        if duration is not None:
            clone[index][0].text = write_duration(duration)
            index += 1
        if uid is not None:
            clone[index][0].text = uid
            index += 1
        clone[index][0][0].text = write_float(interval.payloads[0])


# ---- oadrRequestEvent ------------------------------------------------------------------------


def read_request_event(element: etree._Element) -> RequestEvent:
    """oadrRequestEvent -> RequestEvent."""
    inner = element[0]
    reply_limit = int(inner[2].text or "") if len(inner) > 2 else None
    return RequestEvent(
        request_id=inner[0].text or "", ven_id=inner[1].text or "", reply_limit=reply_limit
    )


def write_request_event(element: etree._Element, message: RequestEvent) -> None:
    """Fill oadrRequestEvent."""
    inner = SubElement(element, EI_REQUEST_EVENT)
    SubElement(inner, REQUEST_ID).text = message.request_id
    SubElement(inner, VEN_ID).text = message.ven_id
    if message.reply_limit is not None:
        SubElement(inner, REPLY_LIMIT).text = str(message.reply_limit)


# ---- oadrDistributeEvent ---------------------------------------------------------------------


def _read_descriptor(element: etree._Element) -> EventDescriptor:
    market_context = ""
    created = modified = reason = priority = status = test_event = comment = None
    children = iter(element)
    event_id = next(children).text or ""  # (the schema puts eventID, modificationNumber first)
    modification_number = int(next(children).text or "")
    for child in children:
        tag = child.tag
        if tag == CREATED_DATE_TIME:
            created = read_datetime(child.text)
        elif tag == EVENT_STATUS:
            text = child.text or ""
            status = _EVENT_STATUSES.get(text) or EventStatus.parse(text)
        elif tag == EI_MARKET_CONTEXT:
            market_context = (child[0].text or "").strip()
        elif tag == MODIFICATION_DATE_TIME:
            modified = read_datetime(child.text)
        elif tag == MODIFICATION_REASON:
            reason = child.text or ""
        elif tag == PRIORITY:
            priority = int(child.text or "")
        elif tag == TEST_EVENT:
            test_event = child.text or ""
        elif tag == VTN_COMMENT:
            comment = child.text or ""
    return _make_descriptor(
        event_id, modification_number, market_context, created, status, modified, reason,
        priority, test_event, comment,
    )  # fmt: skip


def _descriptor_texts(value: EventDescriptor) -> list[str | None]:
    """The descriptor's child texts in schema order (None stands for eiMarketContext)."""
    texts: list[str | None] = [value.event_id, str(value.modification_number)]
    if value.modification_date_time is not None:
        texts.append(write_datetime(value.modification_date_time))
    if value.modification_reason is not None:
        texts.append(value.modification_reason)
    if value.priority is not None:
        texts.append(str(value.priority))
    texts.append(None)
    texts.append(write_datetime(value.created_date_time))
    texts.append(value.event_status.value)
    if value.test_event is not None:
        texts.append(value.test_event)
    if value.vtn_comment is not None:
        texts.append(value.vtn_comment)
    return texts


def _read_signal(element: etree._Element) -> EventSignal:
    target: Target | None = None
    name = signal_type = item_base = current = None
    signal_id = ""
    children = iter(element)
    intervals = read_signal_intervals(next(children))  # (the schema puts strm:intervals first)
    for child in children:
        tag = child.tag
        if tag == SIGNAL_NAME:
            text = child.text or ""
            name = _SIGNAL_NAMES.get(text) or SignalName.parse(text)
        elif tag == SIGNAL_TYPE:
            text = child.text or ""
            signal_type = _SIGNAL_TYPES.get(text) or SignalType.parse(text)
        elif tag == SIGNAL_ID:
            signal_id = child.text or ""
        elif tag == EI_TARGET:
            target = read_target(child)
        elif tag == CURRENT_VALUE:
            current = read_float(child[0][0].text)
        elif is_item_base(tag):
            item_base = read_item_base(child)
    return _make_signal(intervals, name, signal_type, signal_id, target, item_base, current)


def _build_signal(has_current_value: bool) -> etree._Element:
    """Prototype of an eiEventSignal without target and unit (texts empty)."""
    prototype = SubElement(holder(), EI_EVENT_SIGNAL)
    for tag in (INTERVALS, SIGNAL_NAME, SIGNAL_TYPE, SIGNAL_ID):
        SubElement(prototype, tag)
    if has_current_value:
        SubElement(SubElement(SubElement(prototype, CURRENT_VALUE), PAYLOAD_FLOAT), VALUE)
    return prototype


def _write_signal(parent: etree._Element, signal: EventSignal) -> None:
    has_current = signal.current_value is not None
    element = prototypes.clone(("eiEventSignal", has_current), lambda: _build_signal(has_current))
    parent.append(element)
    children = list(element)
    fill_signal_intervals(children[0], signal.intervals)
    children[1].text = signal.signal_name.value
    children[2].text = signal.signal_type.value
    children[3].text = signal.signal_id
    if signal.current_value is not None:
        children[4][0][0].text = write_float(signal.current_value)
    if signal.item_base is not None:
        unit = write_item_base(element, signal.item_base)
        if has_current:
            element.insert(4, unit)  # before ei:currentValue
    if signal.target is not None:
        element.insert(1, write_target(element, EI_TARGET, signal.target))  # after intervals


def _read_baseline(element: etree._Element) -> EventBaseline:
    dtstart = duration = item_base = None
    intervals: tuple[Interval[float], ...] = ()
    baseline_id = baseline_name = ""
    resource_ids: list[str] = []
    for child in element:
        tag = child.tag
        if tag == DTSTART:
            dtstart = read_dtstart(child)
        elif tag == DURATION:
            duration = read_duration_prop(child)
        elif tag == INTERVALS:
            intervals = read_signal_intervals(child)
        elif tag == BASELINE_ID:
            baseline_id = child.text or ""
        elif tag == RESOURCE_ID:
            resource_ids.append(child.text or "")
        elif tag == BASELINE_NAME:
            baseline_name = child.text or ""
        elif is_item_base(tag):
            item_base = read_item_base(child)
    return EventBaseline(
        dtstart=dtstart,  # type: ignore[arg-type]
        duration=duration,  # type: ignore[arg-type]
        intervals=intervals,
        baseline_id=baseline_id,
        baseline_name=baseline_name,
        resource_ids=tuple(resource_ids),
        item_base=item_base,
    )


def _write_baseline(parent: etree._Element, baseline: EventBaseline) -> None:
    element = SubElement(parent, EI_EVENT_BASELINE)
    write_dtstart(element, baseline.dtstart)
    write_duration_prop(element, baseline.duration)
    fill_signal_intervals(SubElement(element, INTERVALS), baseline.intervals)
    SubElement(element, BASELINE_ID).text = baseline.baseline_id
    for resource_id in baseline.resource_ids:
        SubElement(element, RESOURCE_ID).text = resource_id
    SubElement(element, BASELINE_NAME).text = baseline.baseline_name
    if baseline.item_base is not None:
        write_item_base(element, baseline.item_base)


def _read_event(element: etree._Element) -> OadrEvent:
    # oadrEvent is (eiEvent, oadrResponseRequired) and eiEvent is (eventDescriptor,
    # eiActivePeriod, eiEventSignals, eiTarget): positions, not tags (a fresh element's tag costs
    # more than the element itself).
    ei_event, required = element
    descriptor, period, signals_element, target_element = ei_event
    # eiEventSignals is eiEventSignal+ then eiEventBaseline?: only the last one can be a baseline
    children = list(signals_element)
    baseline = None
    if children[-1].tag == EI_EVENT_BASELINE:
        baseline = _read_baseline(children.pop())
    event = _make_ei_event(
        _read_descriptor(descriptor),
        read_properties(period[0]),
        tuple([_read_signal(signal) for signal in children]),
        read_target(target_element),
        baseline,
    )
    text = required.text or ""
    return _make_oadr_event(event, _RESPONSES_REQUIRED.get(text) or ResponseRequired.parse(text))


def _build_event(key: tuple[object, ...]) -> etree._Element:
    """Prototype of an oadrEvent skeleton: descriptor, active period, empty signals and target.

    `key` is ("oadrEvent", then 5 flags for the descriptor's optional elements, then 4 for the
    active period's) as made by ``_write_event``.
    """
    flags = key[1:]
    prototype = SubElement(holder(), OADR_EVENT)
    ei_event = SubElement(prototype, EI_EVENT)
    descriptor = SubElement(ei_event, EVENT_DESCRIPTOR)
    SubElement(descriptor, EVENT_ID)
    SubElement(descriptor, MODIFICATION_NUMBER)
    for present, tag in zip(
        flags[0:3], (MODIFICATION_DATE_TIME, MODIFICATION_REASON, PRIORITY), strict=True
    ):
        if present:
            SubElement(descriptor, tag)
    SubElement(SubElement(descriptor, EI_MARKET_CONTEXT), MARKET_CONTEXT)
    SubElement(descriptor, CREATED_DATE_TIME)
    SubElement(descriptor, EVENT_STATUS)
    for present, tag in zip(flags[3:5], (TEST_EVENT, VTN_COMMENT), strict=True):
        if present:
            SubElement(descriptor, tag)
    period = SubElement(ei_event, EI_ACTIVE_PERIOD)
    properties = SubElement(period, PROPERTIES)
    SubElement(SubElement(properties, DTSTART), DATE_TIME)
    SubElement(SubElement(properties, DURATION), DURATION)
    if flags[5]:
        SubElement(SubElement(SubElement(properties, TOLERANCE), TOLERATE), STARTAFTER)
    for present, tag in zip(
        flags[6:9], (X_EI_NOTIFICATION, X_EI_RAMP_UP, X_EI_RECOVERY), strict=True
    ):
        if present:
            SubElement(SubElement(properties, tag), DURATION)
    SubElement(period, COMPONENTS)
    SubElement(ei_event, EI_EVENT_SIGNALS)
    SubElement(ei_event, EI_TARGET)
    SubElement(prototype, OADR_RESPONSE_REQUIRED)
    return prototype


FILLED_KEEP: Final = 64
"""oadrEvent elements kept filled, by the identity of the ``OadrEvent`` they were written from."""
_filled: dict[int, tuple[OadrEvent, etree._Element]] = {}


def _write_event(parent: etree._Element, value: OadrEvent) -> None:
    """Append `value` as oadrEvent. The same ``OadrEvent`` object written again (a VTN sending
    one event's form to many VENs: ``vtn.services.eventforms``) is appended as a copy of the
    element filled the first time, kept for the last ``FILLED_KEEP`` objects (each entry holds
    its object, so an id is never reused while kept)."""
    kept = _filled.get(id(value))
    if kept is not None and kept[0] is value:
        parent.append(deepcopy(kept[1]))
        return
    _fill_event(parent, value)
    if len(_filled) >= FILLED_KEEP:
        del _filled[next(iter(_filled))]  # the oldest
    _filled[id(value)] = (value, deepcopy(parent[-1]))


def _fill_event(parent: etree._Element, value: OadrEvent) -> None:
    event = value.event
    descriptor_value = event.event_descriptor
    period_value = event.active_period
    optional_durations = (period_value.notification, period_value.ramp_up, period_value.recovery)
    key = (
        "oadrEvent",
        descriptor_value.modification_date_time is not None,
        descriptor_value.modification_reason is not None,
        descriptor_value.priority is not None,
        descriptor_value.test_event is not None,
        descriptor_value.vtn_comment is not None,
        period_value.tolerance_startafter is not None,
        *(duration is not None for duration in optional_durations),
    )
    element = prototypes.clone(key, lambda: _build_event(key))
    parent.append(element)
    ei_event, required = element
    descriptor, period, signals, target = ei_event
    for child, text in zip(descriptor, _descriptor_texts(descriptor_value), strict=True):
        if text is None:
            child[0].text = descriptor_value.market_context
        else:
            child.text = text
    properties = period[0]
    properties[0][0].text = write_datetime(period_value.dtstart)
    properties[1][0].text = write_duration(period_value.duration)
    index = 2
    if period_value.tolerance_startafter is not None:
        properties[2][0][0].text = write_duration(period_value.tolerance_startafter)
        index = 3
    for duration in optional_durations:
        if duration is not None:
            properties[index][0].text = write_duration(duration)
            index += 1
    for signal in event.event_signals:
        _write_signal(signals, signal)
    if event.event_baseline is not None:
        _write_baseline(signals, event.event_baseline)
    fill_target(target, event.target)
    required.text = value.response_required.value


def read_distribute_event(element: etree._Element) -> DistributeEvent:
    """oadrDistributeEvent -> DistributeEvent."""
    response = None
    request_id = vtn_id = ""
    events = []
    for child in element:
        tag = child.tag
        if tag == OADR_EVENT:
            events.append(_read_event(child))
        elif tag == REQUEST_ID:
            request_id = child.text or ""
        elif tag == VTN_ID:
            vtn_id = child.text or ""
        elif tag == EI_RESPONSE:
            response = read_ei_response(child)
    return _make_distribute_event(request_id, vtn_id, tuple(events), response)


def write_distribute_event(element: etree._Element, message: DistributeEvent) -> None:
    """Fill oadrDistributeEvent."""
    if message.response is not None:
        write_ei_response(element, message.response)
    SubElement(element, REQUEST_ID).text = message.request_id
    SubElement(element, VTN_ID).text = message.vtn_id
    for event in message.events:
        _write_event(element, event)


# ---- oadrCreatedEvent ------------------------------------------------------------------------


def _read_event_response(element: etree._Element) -> EventResponse:
    code = description = qualified = opt_type = None
    request_id = ""
    for child in element:
        tag = child.tag
        if tag == RESPONSE_CODE:
            code = parse_response_code(child.text or "")
        elif tag == RESPONSE_DESCRIPTION:
            description = child.text or ""
        elif tag == REQUEST_ID:
            request_id = child.text or ""
        elif tag == QUALIFIED_EVENT_ID:
            qualified = read_qualified_event_id(child)
        elif tag == OPT_TYPE:
            opt_type = OptType.parse(child.text or "")
    return EventResponse(
        response_code=code,  # type: ignore[arg-type]
        request_id=request_id,
        qualified_event_id=qualified,  # type: ignore[arg-type]
        opt_type=opt_type,  # type: ignore[arg-type]
        response_description=description,
    )


def read_created_event(element: etree._Element) -> CreatedEvent:
    """oadrCreatedEvent -> CreatedEvent."""
    response = None
    ven_id = ""
    responses: list[EventResponse] = []
    for child in element[0]:
        tag = child.tag
        if tag == EI_RESPONSE:
            response = read_ei_response(child)
        elif tag == EVENT_RESPONSES:
            responses.extend(_read_event_response(r) for r in child)
        elif tag == VEN_ID:
            ven_id = child.text or ""
    return CreatedEvent(
        response=response,  # type: ignore[arg-type]
        ven_id=ven_id,
        event_responses=tuple(responses),
    )


def write_created_event(element: etree._Element, message: CreatedEvent) -> None:
    """Fill oadrCreatedEvent."""
    inner = SubElement(element, EI_CREATED_EVENT)
    write_ei_response(inner, message.response)
    if message.event_responses:
        responses = SubElement(inner, EVENT_RESPONSES)
        for value in message.event_responses:
            response = SubElement(responses, EVENT_RESPONSE)
            write_response_fields(response, value.response_code, value.response_description)
            SubElement(response, REQUEST_ID).text = value.request_id
            write_qualified_event_id(response, value.qualified_event_id)
            SubElement(response, OPT_TYPE).text = value.opt_type.value
    SubElement(inner, VEN_ID).text = message.ven_id


CODECS: Final[tuple[Codec[Any], ...]] = (
    Codec(OADR_REQUEST_EVENT, RequestEvent, read_request_event, write_request_event, BASIC_NSMAP),
    Codec(OADR_DISTRIBUTE_EVENT, DistributeEvent, read_distribute_event, write_distribute_event),
    Codec(OADR_CREATED_EVENT, CreatedEvent, read_created_event, write_created_event, BASIC_NSMAP),
)
