"""Report registration: oadrRegisterReport (a VEN's metadata) and oadrRegisteredReport."""

from __future__ import annotations

from lxml import etree

from common.messages.report import RegisteredReport, RegisterReport, ReportRequest
from common.xml.names import EI_RESPONSE, REQUEST_ID, VEN_ID
from common.xml.report.names import OADR_REPORT_REQUEST, REPORT_REQUEST_ID
from common.xml.report.parts import write_ven_id
from common.xml.report.reports import read_reports, write_report
from common.xml.report.requests import read_report_request, write_report_request
from common.xml.responses import read_ei_response, write_ei_response

SubElement = etree.SubElement


def read_register_report(element: etree._Element) -> RegisterReport:
    """oadrRegisterReport -> RegisterReport."""
    request_id, reports, ven_id, report_request_id = read_reports(element)
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
        write_report(element, report)
    write_ven_id(element, message.ven_id)
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
            requests.append(read_report_request(child))
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
        write_report_request(element, request)
    write_ven_id(element, message.ven_id)
