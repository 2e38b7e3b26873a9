"""Codecs of the EiReport service: oadr(Register|Create|Update|Cancel)(ed)Report."""

from __future__ import annotations

import threading
from collections.abc import Hashable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Final

from lxml import etree

from common.errors import NotRecognized
from common.messages.enums import DataQuality, ReadingType, ReportName, ReportType
from common.messages.report import (
    CanceledReport,
    CancelReport,
    CreatedReport,
    CreateReport,
    LoadControlState,
    LoadControlStateValue,
    RegisteredReport,
    RegisterReport,
    Report,
    ReportDescription,
    ReportPayload,
    ReportRequest,
    ReportSpecifier,
    ResourceStatus,
    SamplingRate,
    SpecifierPayload,
    UpdatedReport,
    UpdateReport,
)
from common.messages.types import EiResponse, Interval, ItemBase, Period
from common.xml import prototypes
from common.xml.codec import Codec
from common.xml.construct import maker
from common.xml.lexical import (
    read_bool,
    read_datetime,
    read_duration,
    read_float,
    write_bool,
    write_datetime,
    write_duration,
    write_float,
)
from common.xml.names import (
    BASIC_NSMAP,
    CREATED_DATE_TIME,
    DATE_TIME,
    DTSTART,
    DURATION,
    EI_RESPONSE,
    GRANULARITY,
    INTERVAL,
    INTERVALS,
    MARKET_CONTEXT,
    PAYLOAD_FLOAT,
    REQUEST_ID,
    TEXT,
    UID,
    VALUE,
    VEN_ID,
    ei,
    oadr,
    pyld,
)
from common.xml.responses import read_ei_response, write_ei_response
from common.xml.targets import read_target, write_target
from common.xml.timing import (
    read_properties,
    write_dtstart,
    write_duration_prop,
    write_properties,
)
from common.xml.units import is_item_base, read_item_base, write_item_base

__all__ = ["CODECS"]

SubElement = etree.SubElement

# payload roots
OADR_REGISTER_REPORT: Final = oadr("oadrRegisterReport")
OADR_REGISTERED_REPORT: Final = oadr("oadrRegisteredReport")
OADR_CREATE_REPORT: Final = oadr("oadrCreateReport")
OADR_CREATED_REPORT: Final = oadr("oadrCreatedReport")
OADR_UPDATE_REPORT: Final = oadr("oadrUpdateReport")
OADR_UPDATED_REPORT: Final = oadr("oadrUpdatedReport")
OADR_CANCEL_REPORT: Final = oadr("oadrCancelReport")
OADR_CANCELED_REPORT: Final = oadr("oadrCanceledReport")

# report parts
OADR_REPORT: Final = oadr("oadrReport")
OADR_REPORT_DESCRIPTION: Final = oadr("oadrReportDescription")
OADR_REPORT_REQUEST: Final = oadr("oadrReportRequest")
OADR_PENDING_REPORTS: Final = oadr("oadrPendingReports")
OADR_SAMPLING_RATE: Final = oadr("oadrSamplingRate")
OADR_MIN_PERIOD: Final = oadr("oadrMinPeriod")
OADR_MAX_PERIOD: Final = oadr("oadrMaxPeriod")
OADR_ON_CHANGE: Final = oadr("oadrOnChange")
OADR_REPORT_PAYLOAD: Final = oadr("oadrReportPayload")
OADR_DATA_QUALITY: Final = oadr("oadrDataQuality")
OADR_PAYLOAD_RESOURCE_STATUS: Final = oadr("oadrPayloadResourceStatus")
OADR_ONLINE: Final = oadr("oadrOnline")
OADR_MANUAL_OVERRIDE: Final = oadr("oadrManualOverride")
OADR_LOAD_CONTROL_STATE: Final = oadr("oadrLoadControlState")
OADR_CAPACITY: Final = oadr("oadrCapacity")
OADR_LEVEL_OFFSET: Final = oadr("oadrLevelOffset")
OADR_PERCENT_OFFSET: Final = oadr("oadrPercentOffset")
OADR_SET_POINT: Final = oadr("oadrSetPoint")
OADR_MIN: Final = oadr("oadrMin")
OADR_MAX: Final = oadr("oadrMax")
OADR_CURRENT: Final = oadr("oadrCurrent")
OADR_NORMAL: Final = oadr("oadrNormal")
EI_REPORT_ID: Final = ei("eiReportID")
REPORT_REQUEST_ID: Final = ei("reportRequestID")
REPORT_SPECIFIER_ID: Final = ei("reportSpecifierID")
REPORT_NAME: Final = ei("reportName")
REPORT_SPECIFIER: Final = ei("reportSpecifier")
REPORT_BACK_DURATION: Final = ei("reportBackDuration")
REPORT_INTERVAL: Final = ei("reportInterval")
SPECIFIER_PAYLOAD: Final = ei("specifierPayload")
R_ID: Final = ei("rID")
REPORT_SUBJECT: Final = ei("reportSubject")
REPORT_DATA_SOURCE: Final = ei("reportDataSource")
REPORT_TYPE: Final = ei("reportType")
READING_TYPE: Final = ei("readingType")
CONFIDENCE: Final = ei("confidence")
ACCURACY: Final = ei("accuracy")
REPORT_TO_FOLLOW: Final = pyld("reportToFollow")


make_interval: Final = maker(Interval)
make_report_payload: Final = maker(ReportPayload)


# ---- interval payloads ----------------------------------------------------------------------


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
_CONTROL_KINDS: Final = (
    (OADR_CAPACITY, "capacity"),
    (OADR_LEVEL_OFFSET, "level_offset"),
    (OADR_PERCENT_OFFSET, "percent_offset"),
    (OADR_SET_POINT, "set_point"),
)
_CONTROL_FIELDS: Final = dict(_CONTROL_KINDS)


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
        for tag, field in _CONTROL_KINDS:
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


# ---- intervals: the hot path (a day of 15-minute data is ~100 intervals of ~10 elements) ------
#
# Reading and writing follow common.xml.timing's interval codec, specialised for reports: the
# repeated xcal:duration text is parsed and formatted once per message, and an ei:interval with
# dtstart, duration (uid) and payloadFloat payloads is copied from a prototype of its shape
# (common.xml.prototypes: one C-level copy instead of ten-odd SubElement calls) before its texts
# are set. Other intervals, and new shapes once a thread has met _MAX_SHAPES of them, are built
# element by element; both ways give the same tree. (An oadrUpdateReport whose shape this thread
# has met before does not come here: it is a copy of a whole-message skeleton, see
# flatten_update_report below.)

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
    intervals = []
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
        child = clone(*recipe)  # type: ignore[misc]
        append(child)
        dtstart = interval.dtstart
        child[0][0].text = (  # write_datetime, with a fast path for UTC (the usual case)
            dtstart.isoformat()[:-6] + "Z"  # type: ignore[union-attr]
            if dtstart.tzinfo is UTC  # type: ignore[union-attr]
            else write_datetime(dtstart)  # type: ignore[arg-type]
        )
        text = durations.get(interval.duration)  # type: ignore[arg-type]
        if text is None:
            text = write_duration(interval.duration)  # type: ignore[arg-type]
            durations[interval.duration] = text  # type: ignore[index]
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


# ---- oadrReport -----------------------------------------------------------------------------


def _read_description(element: etree._Element) -> ReportDescription:
    r_id = ""
    report_type = reading_type = None
    subject = source = item_base = market_context = sampling = None
    for child in element:
        tag = child.tag
        if tag == R_ID:
            r_id = child.text or ""
        elif tag == REPORT_TYPE:
            report_type = ReportType.parse(child.text or "")
        elif tag == READING_TYPE:
            reading_type = ReadingType.parse(child.text or "")
        elif tag == REPORT_DATA_SOURCE:
            source = read_target(child)
        elif tag == REPORT_SUBJECT:
            subject = read_target(child)
        elif tag == MARKET_CONTEXT:
            market_context = (child.text or "").strip()
        elif tag == OADR_SAMPLING_RATE:
            sampling = SamplingRate(
                min_period=read_duration(child[0].text),
                max_period=read_duration(child[1].text),
                on_change=read_bool(child[2].text),
            )
        elif is_item_base(tag):
            item_base = read_item_base(child)
    return ReportDescription(
        r_id=r_id,
        report_type=report_type,  # type: ignore[arg-type]
        reading_type=reading_type,  # type: ignore[arg-type]
        report_subject=subject,
        report_data_source=source,
        item_base=item_base,
        market_context=market_context,
        sampling_rate=sampling,
    )


def _write_description(parent: etree._Element, value: ReportDescription) -> None:
    element = SubElement(parent, OADR_REPORT_DESCRIPTION)
    SubElement(element, R_ID).text = value.r_id
    if value.report_subject is not None:
        write_target(element, REPORT_SUBJECT, value.report_subject)
    if value.report_data_source is not None:
        write_target(element, REPORT_DATA_SOURCE, value.report_data_source)
    SubElement(element, REPORT_TYPE).text = value.report_type.value
    if value.item_base is not None:
        write_item_base(element, value.item_base)
    SubElement(element, READING_TYPE).text = value.reading_type.value
    if value.market_context is not None:
        SubElement(element, MARKET_CONTEXT).text = value.market_context
    rate = value.sampling_rate
    if rate is not None:
        rate_element = SubElement(element, OADR_SAMPLING_RATE)
        SubElement(rate_element, OADR_MIN_PERIOD).text = write_duration(rate.min_period)
        SubElement(rate_element, OADR_MAX_PERIOD).text = write_duration(rate.max_period)
        SubElement(rate_element, OADR_ON_CHANGE).text = write_bool(rate.on_change)


def _read_report(element: etree._Element) -> Report:
    report_request_id = report_specifier_id = ""
    created: datetime | None = None
    report_id = name = dtstart = None
    duration: timedelta | None = None
    descriptions: list[ReportDescription] = []
    intervals: tuple[Interval[ReportPayload], ...] = ()
    for child in element:
        tag = child.tag
        if tag == INTERVALS:
            intervals = read_report_intervals(child)
        elif tag == OADR_REPORT_DESCRIPTION:
            descriptions.append(_read_description(child))
        elif tag == REPORT_REQUEST_ID:
            report_request_id = child.text or ""
        elif tag == REPORT_SPECIFIER_ID:
            report_specifier_id = child.text or ""
        elif tag == CREATED_DATE_TIME:
            created = read_datetime(child.text)
        elif tag == EI_REPORT_ID:
            report_id = child.text or ""
        elif tag == REPORT_NAME:
            name = ReportName.parse(child.text or "")
        elif tag == DTSTART:
            dtstart = read_datetime(child[0].text)
        elif tag == DURATION:
            duration = read_duration(child[0].text)
    return Report(
        report_request_id=report_request_id,
        report_specifier_id=report_specifier_id,
        created_date_time=created,  # type: ignore[arg-type]
        report_id=report_id,
        report_name=name,
        report_descriptions=tuple(descriptions),
        dtstart=dtstart,
        duration=duration,
        intervals=intervals,
    )


def _write_report(parent: etree._Element, report: Report) -> None:
    element = SubElement(parent, OADR_REPORT)
    if report.dtstart is not None:
        write_dtstart(element, report.dtstart)
    if report.duration is not None:
        write_duration_prop(element, report.duration)
    if report.intervals:
        write_report_intervals(element, report.intervals)
    if report.report_id is not None:
        SubElement(element, EI_REPORT_ID).text = report.report_id
    for description in report.report_descriptions:
        _write_description(element, description)
    SubElement(element, REPORT_REQUEST_ID).text = report.report_request_id
    SubElement(element, REPORT_SPECIFIER_ID).text = report.report_specifier_id
    if report.report_name is not None:
        SubElement(element, REPORT_NAME).text = report.report_name.value
    SubElement(element, CREATED_DATE_TIME).text = write_datetime(report.created_date_time)


# ---- oadrReportRequest ----------------------------------------------------------------------


def _read_specifier_payload(element: etree._Element) -> SpecifierPayload:
    r_id = ""
    reading_type = None
    item_base: ItemBase | None = None
    for child in element:
        tag = child.tag
        if tag == R_ID:
            r_id = child.text or ""
        elif tag == READING_TYPE:
            reading_type = ReadingType.parse(child.text or "")
        elif is_item_base(tag):
            item_base = read_item_base(child)
    return SpecifierPayload(
        r_id=r_id,
        reading_type=reading_type,  # type: ignore[arg-type]
        item_base=item_base,
    )


def _read_report_request(element: etree._Element) -> ReportRequest:
    specifier = element[1]
    specifier_id = ""
    granularity = back_duration = timedelta(0)
    interval: Period | None = None
    payloads: list[SpecifierPayload] = []
    for child in specifier:
        tag = child.tag
        if tag == SPECIFIER_PAYLOAD:
            payloads.append(_read_specifier_payload(child))
        elif tag == REPORT_SPECIFIER_ID:
            specifier_id = child.text or ""
        elif tag == GRANULARITY:
            granularity = read_duration(child[0].text)
        elif tag == REPORT_BACK_DURATION:
            back_duration = read_duration(child[0].text)
        elif tag == REPORT_INTERVAL:
            interval = read_properties(child[0])
    return ReportRequest(
        report_request_id=element[0].text or "",
        report_specifier=ReportSpecifier(
            report_specifier_id=specifier_id,
            granularity=granularity,
            report_back_duration=back_duration,
            specifier_payloads=tuple(payloads),
            report_interval=interval,
        ),
    )


def _write_report_request(parent: etree._Element, request: ReportRequest) -> None:
    element = SubElement(parent, OADR_REPORT_REQUEST)
    SubElement(element, REPORT_REQUEST_ID).text = request.report_request_id
    spec = request.report_specifier
    specifier = SubElement(element, REPORT_SPECIFIER)
    SubElement(specifier, REPORT_SPECIFIER_ID).text = spec.report_specifier_id
    write_duration_prop(specifier, spec.granularity, GRANULARITY)
    write_duration_prop(specifier, spec.report_back_duration, REPORT_BACK_DURATION)
    if spec.report_interval is not None:
        write_properties(SubElement(specifier, REPORT_INTERVAL), spec.report_interval)
    for payload in spec.specifier_payloads:
        payload_element = SubElement(specifier, SPECIFIER_PAYLOAD)
        SubElement(payload_element, R_ID).text = payload.r_id
        if payload.item_base is not None:
            write_item_base(payload_element, payload.item_base)
        SubElement(payload_element, READING_TYPE).text = payload.reading_type.value


# ---- shared pieces of the payloads ----------------------------------------------------------


def _read_pending(element: etree._Element) -> tuple[str, ...]:
    return tuple(child.text or "" for child in element)


def _write_pending(parent: etree._Element, report_request_ids: tuple[str, ...]) -> None:
    element = SubElement(parent, OADR_PENDING_REPORTS)
    for report_request_id in report_request_ids:
        SubElement(element, REPORT_REQUEST_ID).text = report_request_id


def _write_ven_id(parent: etree._Element, ven_id: str | None) -> None:
    if ven_id is not None:
        SubElement(parent, VEN_ID).text = ven_id


def _read_reports(
    element: etree._Element,
) -> tuple[str, list[Report], str | None, str | None]:
    """requestID, oadrReport*, venID?, reportRequestID? (oadrRegisterReport, oadrUpdateReport)."""
    request_id = ""
    reports: list[Report] = []
    ven_id = report_request_id = None
    for child in element:
        tag = child.tag
        if tag == OADR_REPORT:
            reports.append(_read_report(child))
        elif tag == REQUEST_ID:
            request_id = child.text or ""
        elif tag == VEN_ID:
            ven_id = child.text or ""
        elif tag == REPORT_REQUEST_ID:
            report_request_id = child.text or ""
    return request_id, reports, ven_id, report_request_id


def _read_acknowledgement(
    element: etree._Element,
) -> tuple[EiResponse, tuple[str, ...], str | None]:
    """eiResponse, oadrPendingReports, venID? (oadrCreatedReport, oadrCanceledReport)."""
    response = read_ei_response(element[0])
    pending = _read_pending(element[1])
    ven_id = (element[2].text or "") if len(element) > 2 else None
    return response, pending, ven_id


# ---- payloads -------------------------------------------------------------------------------


def read_register_report(element: etree._Element) -> RegisterReport:
    """oadrRegisterReport -> RegisterReport."""
    request_id, reports, ven_id, report_request_id = _read_reports(element)
    return RegisterReport(
        request_id=request_id,
        reports=tuple(reports),
        ven_id=ven_id,
        report_request_id=report_request_id,
    )


def write_register_report(element: etree._Element, message: RegisterReport) -> None:
    """Fill oadrRegisterReport."""
    SubElement(element, REQUEST_ID).text = message.request_id
    for report in message.reports:
        _write_report(element, report)
    _write_ven_id(element, message.ven_id)
    if message.report_request_id is not None:
        SubElement(element, REPORT_REQUEST_ID).text = message.report_request_id


def read_registered_report(element: etree._Element) -> RegisteredReport:
    """oadrRegisteredReport -> RegisteredReport."""
    response = None
    requests: list[ReportRequest] = []
    ven_id = None
    for child in element:
        tag = child.tag
        if tag == OADR_REPORT_REQUEST:
            requests.append(_read_report_request(child))
        elif tag == EI_RESPONSE:
            response = read_ei_response(child)
        elif tag == VEN_ID:
            ven_id = child.text or ""
    return RegisteredReport(
        response=response,  # type: ignore[arg-type]
        report_requests=tuple(requests),
        ven_id=ven_id,
    )


def write_registered_report(element: etree._Element, message: RegisteredReport) -> None:
    """Fill oadrRegisteredReport."""
    write_ei_response(element, message.response)
    for request in message.report_requests:
        _write_report_request(element, request)
    _write_ven_id(element, message.ven_id)


def read_create_report(element: etree._Element) -> CreateReport:
    """oadrCreateReport -> CreateReport."""
    request_id = ""
    requests: list[ReportRequest] = []
    ven_id = None
    for child in element:
        tag = child.tag
        if tag == OADR_REPORT_REQUEST:
            requests.append(_read_report_request(child))
        elif tag == REQUEST_ID:
            request_id = child.text or ""
        elif tag == VEN_ID:
            ven_id = child.text or ""
    return CreateReport(request_id=request_id, report_requests=tuple(requests), ven_id=ven_id)


def write_create_report(element: etree._Element, message: CreateReport) -> None:
    """Fill oadrCreateReport."""
    SubElement(element, REQUEST_ID).text = message.request_id
    for request in message.report_requests:
        _write_report_request(element, request)
    _write_ven_id(element, message.ven_id)


def read_created_report(element: etree._Element) -> CreatedReport:
    """oadrCreatedReport -> CreatedReport."""
    response, pending, ven_id = _read_acknowledgement(element)
    return CreatedReport(response=response, pending_reports=pending, ven_id=ven_id)


def write_created_report(element: etree._Element, message: CreatedReport) -> None:
    """Fill oadrCreatedReport."""
    write_ei_response(element, message.response)
    _write_pending(element, message.pending_reports)
    _write_ven_id(element, message.ven_id)


def read_update_report(element: etree._Element) -> UpdateReport:
    """oadrUpdateReport -> UpdateReport."""
    request_id, reports, ven_id, _ = _read_reports(element)
    return UpdateReport(request_id=request_id, reports=tuple(reports), ven_id=ven_id)


def write_update_report(element: etree._Element, message: UpdateReport) -> None:
    """Fill oadrUpdateReport."""
    SubElement(element, REQUEST_ID).text = message.request_id
    for report in message.reports:
        _write_report(element, report)
    _write_ven_id(element, message.ven_id)


# ---- oadrUpdateReport as a whole-message skeleton (common.xml.skeletons) ---------------------
#
# flatten_update_report lists the texts write_update_report sets, in document order, and the
# shape that fixes every element around them: per report, whether dtstart, duration, eiReportID
# and reportName are present and how many intervals; per interval, whether dtstart, duration and
# uid are present and how many payloads; per payload, whether confidence, accuracy and
# dataQuality are present and the kind of value (payloadFloat, or a resource status with the
# optional parts it has). Reports with descriptions (metadata, oadrRegisterReport's business)
# are left to write_update_report.


def _flatten_status(status: ResourceStatus, texts: list[str]) -> Hashable:
    """Append the texts of an oadrPayloadResourceStatus; return its shape."""
    texts.append(write_bool(status.online))
    texts.append(write_bool(status.manual_override))
    state = status.load_control_state
    if state is None:
        return "status"
    kinds: list[tuple[bool, bool, bool] | None] = []
    for _, field in _CONTROL_KINDS:
        value = getattr(state, field)
        if value is None:
            kinds.append(None)
            continue
        kinds.append((value.min is not None, value.max is not None, value.normal is not None))
        if value.min is not None:
            texts.append(write_float(value.min))
        if value.max is not None:
            texts.append(write_float(value.max))
        texts.append(write_float(value.current))
        if value.normal is not None:
            texts.append(write_float(value.normal))
    return tuple(kinds)


def _flatten_report(
    report: Report,
    shape: list[Hashable],
    texts: list[str],
    durations: dict[timedelta, str],
    days: dict[date, str],
) -> None:
    """Append the shape and texts of one oadrReport without descriptions."""
    append = texts.append
    intervals = report.intervals
    shape.append(
        (
            report.dtstart is not None,
            report.duration is not None,
            len(intervals),
            report.report_id is not None,
            report.report_name is not None,
        )
    )
    if report.dtstart is not None:
        append(write_datetime(report.dtstart))
    if report.duration is not None:
        append(write_duration(report.duration))
    for interval in intervals:
        dtstart = interval.dtstart
        duration = interval.duration
        payloads = interval.payloads
        shape.append((dtstart is not None, duration is not None, interval.uid is not None))
        shape.append(len(payloads))
        if dtstart is not None:
            if dtstart.tzinfo is UTC:  # write_datetime's text, the date part once per day
                day = dtstart.date()
                text = days.get(day)
                if text is None:
                    text = days[day] = day.isoformat() + "T"
                append(text + dtstart.time().isoformat() + "Z")
            else:
                append(write_datetime(dtstart))
        if duration is not None:
            text = durations.get(duration)
            if text is None:
                text = durations[duration] = write_duration(duration)
            append(text)
        if interval.uid is not None:
            append(interval.uid)
        for payload in payloads:
            append(payload.r_id)
            if payload.confidence is not None:
                append(str(payload.confidence))
            if payload.accuracy is not None:
                append(write_float(payload.accuracy))
            value = payload.value
            kind: Hashable = None  # (a payloadFloat)
            if isinstance(value, ResourceStatus):
                kind = _flatten_status(value, texts)
            else:
                append(write_float(value))
            quality = payload.data_quality
            if quality is not None:
                append(quality.value)
            shape.append(
                (payload.confidence is not None, payload.accuracy is not None, quality is not None)
            )
            shape.append(kind)
    if report.report_id is not None:
        append(report.report_id)
    append(report.report_request_id)
    append(report.report_specifier_id)
    if report.report_name is not None:
        append(report.report_name.value)
    append(write_datetime(report.created_date_time))


def flatten_update_report(message: UpdateReport) -> tuple[Hashable, list[str]] | None:
    """The shape and texts of ``write_update_report(message)``; None if a report has
    descriptions (see the comment above)."""
    shape: list[Hashable] = [len(message.reports), message.ven_id is not None]
    texts = [message.request_id]
    durations: dict[timedelta, str] = {}
    days: dict[date, str] = {}
    for report in message.reports:
        if report.report_descriptions:
            return None
        _flatten_report(report, shape, texts, durations, days)
    if message.ven_id is not None:
        texts.append(message.ven_id)
    return tuple(shape), texts


def read_cancel_report(element: etree._Element) -> CancelReport:
    """oadrCancelReport -> CancelReport (also the one inside oadrUpdatedReport)."""
    request_id = ""
    report_request_ids: list[str] = []
    to_follow = False
    ven_id = None
    for child in element:
        tag = child.tag
        if tag == REPORT_REQUEST_ID:
            report_request_ids.append(child.text or "")
        elif tag == REQUEST_ID:
            request_id = child.text or ""
        elif tag == REPORT_TO_FOLLOW:
            to_follow = read_bool(child.text)
        elif tag == VEN_ID:
            ven_id = child.text or ""
    return CancelReport(
        request_id=request_id,
        report_request_ids=tuple(report_request_ids),
        report_to_follow=to_follow,
        ven_id=ven_id,
    )


def write_cancel_report(element: etree._Element, message: CancelReport) -> None:
    """Fill oadrCancelReport."""
    SubElement(element, REQUEST_ID).text = message.request_id
    for report_request_id in message.report_request_ids:
        SubElement(element, REPORT_REQUEST_ID).text = report_request_id
    SubElement(element, REPORT_TO_FOLLOW).text = write_bool(message.report_to_follow)
    _write_ven_id(element, message.ven_id)


def read_updated_report(element: etree._Element) -> UpdatedReport:
    """oadrUpdatedReport -> UpdatedReport."""
    response = cancel = None
    ven_id = None
    for child in element:
        tag = child.tag
        if tag == EI_RESPONSE:
            response = read_ei_response(child)
        elif tag == OADR_CANCEL_REPORT:
            cancel = read_cancel_report(child)
        elif tag == VEN_ID:
            ven_id = child.text or ""
    return UpdatedReport(
        response=response,  # type: ignore[arg-type]
        cancel_report=cancel,
        ven_id=ven_id,
    )


def write_updated_report(element: etree._Element, message: UpdatedReport) -> None:
    """Fill oadrUpdatedReport."""
    write_ei_response(element, message.response)
    if message.cancel_report is not None:
        write_cancel_report(SubElement(element, OADR_CANCEL_REPORT), message.cancel_report)
    _write_ven_id(element, message.ven_id)


def read_canceled_report(element: etree._Element) -> CanceledReport:
    """oadrCanceledReport -> CanceledReport."""
    response, pending, ven_id = _read_acknowledgement(element)
    return CanceledReport(response=response, pending_reports=pending, ven_id=ven_id)


def write_canceled_report(element: etree._Element, message: CanceledReport) -> None:
    """Fill oadrCanceledReport."""
    write_ei_response(element, message.response)
    _write_pending(element, message.pending_reports)
    _write_ven_id(element, message.ven_id)


CODECS: Final[tuple[Codec, ...]] = (
    Codec(OADR_REGISTER_REPORT, RegisterReport, read_register_report, write_register_report),
    Codec(
        OADR_REGISTERED_REPORT, RegisteredReport, read_registered_report, write_registered_report
    ),
    Codec(OADR_CREATE_REPORT, CreateReport, read_create_report, write_create_report),
    Codec(
        OADR_CREATED_REPORT,
        CreatedReport,
        read_created_report,
        write_created_report,
        BASIC_NSMAP,
    ),
    Codec(
        OADR_UPDATE_REPORT,
        UpdateReport,
        read_update_report,
        write_update_report,
        flatten=flatten_update_report,
    ),
    Codec(
        OADR_UPDATED_REPORT,
        UpdatedReport,
        read_updated_report,
        write_updated_report,
        BASIC_NSMAP,
    ),
    Codec(OADR_CANCEL_REPORT, CancelReport, read_cancel_report, write_cancel_report, BASIC_NSMAP),
    Codec(
        OADR_CANCELED_REPORT,
        CanceledReport,
        read_canceled_report,
        write_canceled_report,
        BASIC_NSMAP,
    ),
)
"""The payloads whose elements are all in the oadr, ei and pyld namespaces declare only those."""
