"""strm:intervals of an oadrReport, the hot path: intervals copied from per-shape prototypes."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Final, cast

from lxml import etree

from common.errors import NotRecognized
from common.messages.report import ReportPayload
from common.messages.types import Interval
from common.xml import prototypes
from common.xml.construct import maker
from common.xml.lexical import (
    read_datetime,
    read_duration,
    write_datetime,
    write_duration,
    write_float,
)
from common.xml.names import (
    DATE_TIME,
    DTSTART,
    DURATION,
    INTERVAL,
    INTERVALS,
    PAYLOAD_FLOAT,
    TEXT,
    UID,
    VALUE,
)
from common.xml.report.names import (
    ACCURACY,
    CONFIDENCE,
    OADR_DATA_QUALITY,
    OADR_REPORT_PAYLOAD,
    R_ID,
)
from common.xml.report.payloads import read_report_payload, write_report_payload
from common.xml.timing import write_dtstart, write_duration_prop

SubElement = etree.SubElement

make_interval: Final = maker(Interval)


# A day of 15-minute data is ~100 intervals of ~10 elements.
#
# Reading and writing follow common.xml.timing's interval codec, specialised for reports: the
# repeated xcal:duration text is parsed and formatted once per message, and an ei:interval with
# dtstart, duration (uid) and payloadFloat payloads is copied from a prototype of its shape
# (common.xml.prototypes: one C-level copy instead of ten-odd SubElement calls) before its texts
# are set. Other intervals, and new shapes once a thread has met _MAX_SHAPES of them, are built
# element by element; both ways give the same tree. (An oadrUpdateReport whose shape this thread
# has met before does not come here: it is a copy of a whole-message skeleton, see
# common.xml.report.update.flatten_update_report.)

_LOCAL = threading.local()
_MISSING: Final = object()
_MAX_CLONED_PAYLOADS: Final = 8
_MAX_SHAPES: Final = 64

Shape = tuple[bool, tuple[tuple[bool, bool], ...]]
"""An interval's prototype key: whether it has a uid and, per payload, whether it has a
confidence and an accuracy."""


def _shape(interval: Interval[ReportPayload]) -> Shape | None:
    """The prototype key of `interval`, or None when it is built element by element."""
    payloads = interval.payloads
    if (
        interval.dtstart is None
        or interval.duration is None
        or len(payloads) > _MAX_CLONED_PAYLOADS
    ):
        return None
    shape = []
    for payload in payloads:
        if payload.value.__class__ is not float:
            return None
        shape.append((payload.confidence is not None, payload.accuracy is not None))
    return interval.uid is not None, tuple(shape)


def _admit(shape: Shape) -> bool:
    """Whether `shape` may have a prototype (this thread keeps at most _MAX_SHAPES of them)."""
    shapes: set[Shape] | None = getattr(_LOCAL, "shapes", None)
    if shapes is None:
        shapes = _LOCAL.shapes = set()
    if shape in shapes:
        return True
    if len(shapes) >= _MAX_SHAPES:
        return False
    shapes.add(shape)
    return True


def _build_interval(shape: Shape) -> etree._Element:
    """Prototype of an ei:interval with dtstart, duration, the uid and payloads of `shape`."""
    has_uid, payloads = shape
    interval = SubElement(prototypes.holder(), INTERVAL)
    SubElement(SubElement(interval, DTSTART), DATE_TIME)
    SubElement(SubElement(interval, DURATION), DURATION)
    if has_uid:
        SubElement(SubElement(interval, UID), TEXT)
    for has_confidence, has_accuracy in payloads:
        payload = SubElement(interval, OADR_REPORT_PAYLOAD)
        SubElement(payload, R_ID)
        if has_confidence:
            SubElement(payload, CONFIDENCE)
        if has_accuracy:
            SubElement(payload, ACCURACY)
        SubElement(SubElement(payload, PAYLOAD_FLOAT), VALUE)
    return interval


def read_report_intervals(element: etree._Element) -> tuple[Interval[ReportPayload], ...]:
    """strm:intervals of an oadrReport -> tuple of Interval[ReportPayload]."""
    durations: dict[str | None, timedelta] = {}
    intervals: list[Interval[ReportPayload]] = []
    append = intervals.append
    for interval in element:
        dtstart = duration = uid = None
        payloads = []
        for child in interval:
            tag = child.tag
            if tag == OADR_REPORT_PAYLOAD:
                payloads.append(read_report_payload(child))
            elif tag == DTSTART:
                dtstart = read_datetime(child[0].text)
            elif tag == DURATION:
                text = child[0].text
                duration = durations.get(text)
                if duration is None:
                    duration = durations[text] = read_duration(text)
            elif tag == UID:
                uid = child[0].text or ""
            else:
                raise NotRecognized(f"unsupported report interval payload {tag!r}")
        append(make_interval(tuple(payloads), dtstart, duration, uid))
    return tuple(intervals)


def write_report_intervals(
    parent: etree._Element, intervals: tuple[Interval[ReportPayload], ...]
) -> None:
    """Append strm:intervals for a report's `intervals` to `parent`."""
    element = SubElement(parent, INTERVALS)
    append = element.append
    durations: dict[timedelta, str] = {}
    # per shape met in this call: (prototype key, builder), or None to build element by element
    recipes: dict[Shape, tuple[tuple[str, Shape], partial[etree._Element]] | None] = {}
    clone = prototypes.clone
    for interval in intervals:
        shape = _shape(interval)
        if shape is None:
            _write_interval(element, interval)
            continue
        recipe = recipes.get(shape, _MISSING)
        if recipe is _MISSING:
            recipe = recipes[shape] = (
                ((INTERVAL, shape), partial(_build_interval, shape)) if _admit(shape) else None
            )
        if recipe is None:
            _write_interval(element, interval)
            continue
        child = clone(*recipe)  # type: ignore[misc]  # a tuple here: _MISSING, None handled
        append(child)
        # _shape() is None for an interval without dtstart or duration, so both are set here
        dtstart = cast(datetime, interval.dtstart)
        duration = cast(timedelta, interval.duration)
        child[0][0].text = (  # write_datetime, with a fast path for UTC (the usual case)
            dtstart.isoformat()[:-6] + "Z" if dtstart.tzinfo is UTC else write_datetime(dtstart)
        )
        text = durations.get(duration)
        if text is None:
            text = durations[duration] = write_duration(duration)
        child[1][0].text = text
        index = 2
        if interval.uid is not None:
            child[2][0].text = interval.uid
            index = 3
        for payload in interval.payloads:
            node = child[index]
            index += 1
            node[0].text = payload.r_id
            position = 1
            if payload.confidence is not None:
                node[1].text = str(payload.confidence)
                position = 2
            if payload.accuracy is not None:
                node[position].text = write_float(payload.accuracy)
                position += 1
            node[position][0].text = write_float(payload.value)  # type: ignore[arg-type]
            if payload.data_quality is not None:
                SubElement(node, OADR_DATA_QUALITY).text = payload.data_quality.value


def _write_interval(parent: etree._Element, interval: Interval[ReportPayload]) -> None:
    """Append one ei:interval of any shape, element by element."""
    child = SubElement(parent, INTERVAL)
    if interval.dtstart is not None:
        write_dtstart(child, interval.dtstart)
    if interval.duration is not None:
        write_duration_prop(child, interval.duration)
    if interval.uid is not None:
        SubElement(SubElement(child, UID), TEXT).text = interval.uid
    for payload in interval.payloads:
        write_report_payload(child, payload)
