"""oadrReport: one report (metadata or data), and the list of them a payload holds."""

from __future__ import annotations

from datetime import datetime, timedelta

from lxml import etree

from common.messages.enums import ReportName
from common.messages.report import Report, ReportDescription, ReportPayload
from common.messages.types import Interval
from common.xml.lexical import read_datetime, read_duration, write_datetime
from common.xml.names import CREATED_DATE_TIME, DTSTART, DURATION, INTERVALS, REQUEST_ID, VEN_ID
from common.xml.report.descriptions import read_description, write_description
from common.xml.report.intervals import read_report_intervals, write_report_intervals
from common.xml.report.names import (
    EI_REPORT_ID,
    OADR_REPORT,
    OADR_REPORT_DESCRIPTION,
    REPORT_NAME,
    REPORT_REQUEST_ID,
    REPORT_SPECIFIER_ID,
)
from common.xml.timing import write_dtstart, write_duration_prop

SubElement = etree.SubElement


def read_report(element: etree._Element) -> Report:
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
            descriptions.append(read_description(child))
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


def write_report(parent: etree._Element, report: Report) -> None:
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
        write_description(element, description)
    SubElement(element, REPORT_REQUEST_ID).text = report.report_request_id
    SubElement(element, REPORT_SPECIFIER_ID).text = report.report_specifier_id
    if report.report_name is not None:
        SubElement(element, REPORT_NAME).text = report.report_name.value
    SubElement(element, CREATED_DATE_TIME).text = write_datetime(report.created_date_time)


def read_reports(
    element: etree._Element,
) -> tuple[str, list[Report], str | None, str | None]:
    """requestID, oadrReport*, venID?, reportRequestID? (oadrRegisterReport, oadrUpdateReport)."""
    request_id = ""
    reports: list[Report] = []
    ven_id = report_request_id = None
    for child in element:
        tag = child.tag
        if tag == OADR_REPORT:
            reports.append(read_report(child))
        elif tag == REQUEST_ID:
            request_id = child.text or ""
        elif tag == VEN_ID:
            ven_id = child.text or ""
        elif tag == REPORT_REQUEST_ID:
            report_request_id = child.text or ""
    return request_id, reports, ven_id, report_request_id
