"""Report data: oadrUpdateReport (with its whole-message skeleton) and oadrUpdatedReport."""

from __future__ import annotations

from collections.abc import Hashable
from datetime import UTC, date, timedelta

from lxml import etree

from common.messages.report import Report, ResourceStatus, UpdatedReport, UpdateReport
from common.xml.lexical import write_bool, write_datetime, write_duration, write_float
from common.xml.names import EI_RESPONSE, REQUEST_ID, VEN_ID
from common.xml.report.names import OADR_CANCEL_REPORT
from common.xml.report.parts import write_ven_id
from common.xml.report.payloads import CONTROL_KINDS
from common.xml.report.reports import read_reports, write_report
from common.xml.report.requests import read_cancel_report, write_cancel_report
from common.xml.responses import read_ei_response, write_ei_response

SubElement = etree.SubElement


def read_update_report(element: etree._Element) -> UpdateReport:
    """oadrUpdateReport -> UpdateReport."""
    request_id, reports, ven_id, _ = read_reports(element)
    return UpdateReport(request_id=request_id, reports=tuple(reports), ven_id=ven_id)


def write_update_report(element: etree._Element, message: UpdateReport) -> None:
    """Fill oadrUpdateReport."""
    SubElement(element, REQUEST_ID).text = message.request_id
    for report in message.reports:
        write_report(element, report)
    write_ven_id(element, message.ven_id)


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
    for _, field in CONTROL_KINDS:
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
    write_ven_id(element, message.ven_id)
