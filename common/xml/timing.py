"""Codec for the time pieces: dtstart, duration properties, xcal:properties, ei:intervals.

Intervals are generic over their payload: the caller passes a reader (or writer) for one
strm:streamPayloadBase element, so event signals (payloadFloat) and reports (oadrReportPayload)
share the same interval code.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from lxml import etree

from common.messages.types import Interval, Period
from common.xml.construct import maker
from common.xml.lexical import read_datetime, read_duration, write_datetime, write_duration
from common.xml.names import (
    DATE_TIME,
    DTSTART,
    DURATION,
    INTERVAL,
    INTERVALS,
    PROPERTIES,
    STARTAFTER,
    TEXT,
    TOLERANCE,
    TOLERATE,
    UID,
    X_EI_NOTIFICATION,
    X_EI_RAMP_UP,
    X_EI_RECOVERY,
)

P = TypeVar("P")
SubElement = etree.SubElement
_make_period = maker(Period)
_make_interval = maker(Interval)


def read_dtstart(element: etree._Element) -> datetime:
    """xcal:dtstart (date-time inside) -> UTC datetime."""
    return read_datetime(element[0].text)


def write_dtstart(parent: etree._Element, value: datetime) -> None:
    """Append xcal:dtstart/xcal:date-time to `parent`."""
    SubElement(SubElement(parent, DTSTART), DATE_TIME).text = write_datetime(value)


def read_duration_prop(element: etree._Element) -> timedelta:
    """An element of xcal:DurationPropType (xcal:duration inside) -> timedelta."""
    return read_duration(element[0].text)


def write_duration_prop(parent: etree._Element, value: timedelta, tag: str = DURATION) -> None:
    """Append an element of xcal:DurationPropType named `tag` (default xcal:duration)."""
    SubElement(SubElement(parent, tag), DURATION).text = write_duration(value)


def read_properties(element: etree._Element) -> Period:
    """xcal:properties -> Period."""
    startafter = notification = ramp_up = recovery = None
    children = iter(element)  # (the schema puts dtstart, duration first)
    dtstart = read_datetime(next(children)[0].text)
    duration = read_duration(next(children)[0].text)
    for child in children:
        tag = child.tag
        if tag == TOLERANCE:
            tolerate = child[0]
            if len(tolerate):
                startafter = read_duration(tolerate[0].text)
        elif tag == X_EI_NOTIFICATION:
            notification = read_duration(child[0].text)
        elif tag == X_EI_RAMP_UP:
            ramp_up = read_duration(child[0].text)
        elif tag == X_EI_RECOVERY:
            recovery = read_duration(child[0].text)
    return _make_period(dtstart, duration, startafter, notification, ramp_up, recovery)


def write_properties(parent: etree._Element, period: Period) -> None:
    """Append xcal:properties for `period` to `parent`."""
    element = SubElement(parent, PROPERTIES)
    write_dtstart(element, period.dtstart)
    write_duration_prop(element, period.duration)
    if period.tolerance_startafter is not None:
        tolerate = SubElement(SubElement(element, TOLERANCE), TOLERATE)
        SubElement(tolerate, STARTAFTER).text = write_duration(period.tolerance_startafter)
    if period.notification is not None:
        write_duration_prop(element, period.notification, X_EI_NOTIFICATION)
    if period.ramp_up is not None:
        write_duration_prop(element, period.ramp_up, X_EI_RAMP_UP)
    if period.recovery is not None:
        write_duration_prop(element, period.recovery, X_EI_RECOVERY)


def read_intervals(
    element: etree._Element, read_payload: Callable[[etree._Element], P]
) -> tuple[Interval[P], ...]:
    """strm:intervals -> tuple of Interval; `read_payload` reads one streamPayloadBase."""
    intervals = []
    for interval in element:
        dtstart = duration = uid = None
        payloads = []
        for child in interval:
            tag = child.tag
            if tag == DURATION:
                duration = read_duration(child[0].text)
            elif tag == UID:
                uid = child[0].text or ""
            elif tag == DTSTART:
                dtstart = read_datetime(child[0].text)
            else:
                payloads.append(read_payload(child))
        intervals.append(_make_interval(tuple(payloads), dtstart, duration, uid))
    return tuple(intervals)


def write_intervals(
    parent: etree._Element,
    intervals: tuple[Interval[P], ...],
    write_payload: Callable[[etree._Element, P], None],
) -> None:
    """Append strm:intervals to `parent`; `write_payload(interval_element, payload)` appends
    one streamPayloadBase element."""
    write_intervals_into(SubElement(parent, INTERVALS), intervals, write_payload)


def write_intervals_into(
    element: etree._Element,
    intervals: tuple[Interval[P], ...],
    write_payload: Callable[[etree._Element, P], None],
) -> None:
    """Append ei:interval elements for `intervals` to an existing strm:intervals `element`."""
    for interval in intervals:
        child = SubElement(element, INTERVAL)
        if interval.dtstart is not None:
            write_dtstart(child, interval.dtstart)
        if interval.duration is not None:
            SubElement(SubElement(child, DURATION), DURATION).text = write_duration(
                interval.duration
            )
        if interval.uid is not None:
            SubElement(SubElement(child, UID), TEXT).text = interval.uid
        for payload in interval.payloads:
            write_payload(child, payload)
