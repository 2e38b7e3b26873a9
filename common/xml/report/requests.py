"""oadrReportRequest, and the payloads that create and cancel reports (oadrCreateReport...)."""

from __future__ import annotations

from datetime import timedelta

from lxml import etree

from common.messages.enums import ReadingType
from common.messages.report import (
    CanceledReport,
    CancelReport,
    CreatedReport,
    CreateReport,
    ReportRequest,
    ReportSpecifier,
    SpecifierPayload,
)
from common.messages.types import ItemBase, Period
from common.xml.lexical import read_bool, read_duration, write_bool
from common.xml.names import GRANULARITY, REQUEST_ID, VEN_ID
from common.xml.report.names import (
    OADR_REPORT_REQUEST,
    R_ID,
    READING_TYPE,
    REPORT_BACK_DURATION,
    REPORT_INTERVAL,
    REPORT_REQUEST_ID,
    REPORT_SPECIFIER,
    REPORT_SPECIFIER_ID,
    REPORT_TO_FOLLOW,
    SPECIFIER_PAYLOAD,
)
from common.xml.report.parts import read_acknowledgement, write_pending, write_ven_id
from common.xml.responses import write_ei_response
from common.xml.timing import read_properties, write_duration_prop, write_properties
from common.xml.units import is_item_base, read_item_base, write_item_base

SubElement = etree.SubElement


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


def read_report_request(element: etree._Element) -> ReportRequest:
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


def write_report_request(parent: etree._Element, request: ReportRequest) -> None:
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


def read_create_report(element: etree._Element) -> CreateReport:
    """oadrCreateReport -> CreateReport."""
    request_id = ""
    requests: list[ReportRequest] = []
    ven_id = None
    for child in element:
        tag = child.tag
        if tag == OADR_REPORT_REQUEST:
            requests.append(read_report_request(child))
        elif tag == REQUEST_ID:
            request_id = child.text or ""
        elif tag == VEN_ID:
            ven_id = child.text or ""
    return CreateReport(request_id=request_id, report_requests=tuple(requests), ven_id=ven_id)


def write_create_report(element: etree._Element, message: CreateReport) -> None:
    """Fill oadrCreateReport."""
    SubElement(element, REQUEST_ID).text = message.request_id
    for request in message.report_requests:
        write_report_request(element, request)
    write_ven_id(element, message.ven_id)


def read_created_report(element: etree._Element) -> CreatedReport:
    """oadrCreatedReport -> CreatedReport."""
    response, pending, ven_id = read_acknowledgement(element)
    return CreatedReport(response=response, pending_reports=pending, ven_id=ven_id)


def write_created_report(element: etree._Element, message: CreatedReport) -> None:
    """Fill oadrCreatedReport."""
    write_ei_response(element, message.response)
    write_pending(element, message.pending_reports)
    write_ven_id(element, message.ven_id)


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
    write_ven_id(element, message.ven_id)


def read_canceled_report(element: etree._Element) -> CanceledReport:
    """oadrCanceledReport -> CanceledReport."""
    response, pending, ven_id = read_acknowledgement(element)
    return CanceledReport(response=response, pending_reports=pending, ven_id=ven_id)


def write_canceled_report(element: etree._Element, message: CanceledReport) -> None:
    """Fill oadrCanceledReport."""
    write_ei_response(element, message.response)
    write_pending(element, message.pending_reports)
    write_ven_id(element, message.ven_id)
