"""oadrReportPayload: one data point's value in a report interval (a float or a resource status)."""

from __future__ import annotations

from typing import Final

from lxml import etree

from common.errors import NotRecognized
from common.messages.enums import DataQuality
from common.messages.report import (
    LoadControlState,
    LoadControlStateValue,
    ReportPayload,
    ResourceStatus,
)
from common.xml.construct import maker
from common.xml.lexical import read_bool, read_float, write_bool, write_float
from common.xml.names import PAYLOAD_FLOAT, VALUE
from common.xml.report.names import (
    ACCURACY,
    CONFIDENCE,
    OADR_CAPACITY,
    OADR_CURRENT,
    OADR_DATA_QUALITY,
    OADR_LEVEL_OFFSET,
    OADR_LOAD_CONTROL_STATE,
    OADR_MANUAL_OVERRIDE,
    OADR_MAX,
    OADR_MIN,
    OADR_NORMAL,
    OADR_ONLINE,
    OADR_PAYLOAD_RESOURCE_STATUS,
    OADR_PERCENT_OFFSET,
    OADR_REPORT_PAYLOAD,
    OADR_SET_POINT,
    R_ID,
)

SubElement = etree.SubElement

make_report_payload: Final = maker(ReportPayload)


def _read_control_value(element: etree._Element) -> LoadControlStateValue:
    current = 0.0
    low = high = normal = None
    for child in element:
        tag = child.tag
        if tag == OADR_CURRENT:
            current = read_float(child.text)
        elif tag == OADR_MIN:
            low = read_float(child.text)
        elif tag == OADR_MAX:
            high = read_float(child.text)
        elif tag == OADR_NORMAL:
            normal = read_float(child.text)
    return LoadControlStateValue(current=current, min=low, max=high, normal=normal)


def _write_control_value(parent: etree._Element, tag: str, value: LoadControlStateValue) -> None:
    element = SubElement(parent, tag)
    if value.min is not None:
        SubElement(element, OADR_MIN).text = write_float(value.min)
    if value.max is not None:
        SubElement(element, OADR_MAX).text = write_float(value.max)
    SubElement(element, OADR_CURRENT).text = write_float(value.current)
    if value.normal is not None:
        SubElement(element, OADR_NORMAL).text = write_float(value.normal)


# (tag, LoadControlState field) in schema order
CONTROL_KINDS: Final = (
    (OADR_CAPACITY, "capacity"),
    (OADR_LEVEL_OFFSET, "level_offset"),
    (OADR_PERCENT_OFFSET, "percent_offset"),
    (OADR_SET_POINT, "set_point"),
)
_CONTROL_FIELDS: Final = dict(CONTROL_KINDS)


def _read_resource_status(element: etree._Element) -> ResourceStatus:
    online = override = False
    state = None
    for child in element:
        tag = child.tag
        if tag == OADR_ONLINE:
            online = read_bool(child.text)
        elif tag == OADR_MANUAL_OVERRIDE:
            override = read_bool(child.text)
        elif tag == OADR_LOAD_CONTROL_STATE:
            state = LoadControlState(
                **{_CONTROL_FIELDS[c.tag]: _read_control_value(c) for c in child}
            )
    return ResourceStatus(online=online, manual_override=override, load_control_state=state)


def _write_resource_status(parent: etree._Element, status: ResourceStatus) -> None:
    element = SubElement(parent, OADR_PAYLOAD_RESOURCE_STATUS)
    SubElement(element, OADR_ONLINE).text = write_bool(status.online)
    SubElement(element, OADR_MANUAL_OVERRIDE).text = write_bool(status.manual_override)
    state = status.load_control_state
    if state is not None:
        state_element = SubElement(element, OADR_LOAD_CONTROL_STATE)
        for tag, field in CONTROL_KINDS:
            value = getattr(state, field)
            if value is not None:
                _write_control_value(state_element, tag, value)


def read_report_payload(element: etree._Element) -> ReportPayload:
    """oadr:oadrReportPayload -> ReportPayload (the caller has checked the element's tag)."""
    value: float | ResourceStatus = 0.0
    confidence = accuracy = quality = None
    children = iter(element)
    r_id = next(children).text or ""  # (the schema puts ei:rID first)
    for child in children:
        tag = child.tag
        if tag == PAYLOAD_FLOAT:
            value = read_float(child[0].text)
        elif tag == CONFIDENCE:
            confidence = int(child.text or "")
        elif tag == ACCURACY:
            accuracy = read_float(child.text)
        elif tag == OADR_DATA_QUALITY:
            quality = DataQuality.parse(child.text or "")
        elif tag == OADR_PAYLOAD_RESOURCE_STATUS:
            value = _read_resource_status(child)
        else:
            raise NotRecognized(f"unsupported report payload value {child.tag!r}")
    return make_report_payload(r_id, value, confidence, accuracy, quality)


def write_report_payload(parent: etree._Element, payload: ReportPayload) -> None:
    """Append oadr:oadrReportPayload for `payload` to `parent` (an ei:interval)."""
    element = SubElement(parent, OADR_REPORT_PAYLOAD)
    SubElement(element, R_ID).text = payload.r_id
    if payload.confidence is not None:
        SubElement(element, CONFIDENCE).text = str(payload.confidence)
    if payload.accuracy is not None:
        SubElement(element, ACCURACY).text = write_float(payload.accuracy)
    value = payload.value
    if isinstance(value, ResourceStatus):
        _write_resource_status(element, value)
    else:
        SubElement(SubElement(element, PAYLOAD_FLOAT), VALUE).text = write_float(value)
    if payload.data_quality is not None:
        SubElement(element, OADR_DATA_QUALITY).text = payload.data_quality.value
