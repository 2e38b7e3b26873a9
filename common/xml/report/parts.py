"""Pieces the EiReport payloads share: venID, oadrPendingReports and the acknowledgement."""

from __future__ import annotations

from lxml import etree

from common.messages.types import EiResponse
from common.xml.names import VEN_ID
from common.xml.report.names import OADR_PENDING_REPORTS, REPORT_REQUEST_ID
from common.xml.responses import read_ei_response

SubElement = etree.SubElement


def read_pending(element: etree._Element) -> tuple[str, ...]:
    return tuple(child.text or "" for child in element)


def write_pending(parent: etree._Element, report_request_ids: tuple[str, ...]) -> None:
    element = SubElement(parent, OADR_PENDING_REPORTS)
    for report_request_id in report_request_ids:
        SubElement(element, REPORT_REQUEST_ID).text = report_request_id


def write_ven_id(parent: etree._Element, ven_id: str | None) -> None:
    if ven_id is not None:
        SubElement(parent, VEN_ID).text = ven_id


def read_acknowledgement(
    element: etree._Element,
) -> tuple[EiResponse, tuple[str, ...], str | None]:
    """eiResponse, oadrPendingReports, venID? (oadrCreatedReport, oadrCanceledReport)."""
    response = read_ei_response(element[0])
    pending = read_pending(element[1])
    ven_id = (element[2].text or "") if len(element) > 2 else None
    return response, pending, ven_id
