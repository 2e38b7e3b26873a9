"""Codec for ei:eiResponse and ei:qualifiedEventID, shared by every service."""

from __future__ import annotations

from lxml import etree

from common.messages.enums import parse_response_code
from common.messages.types import EiResponse, QualifiedEventId
from common.xml.names import (
    EI_RESPONSE,
    EVENT_ID,
    MODIFICATION_NUMBER,
    QUALIFIED_EVENT_ID,
    REQUEST_ID,
    RESPONSE_CODE,
    RESPONSE_DESCRIPTION,
)

SubElement = etree.SubElement


def read_ei_response(element: etree._Element) -> EiResponse:
    """ei:eiResponse (responseCode, responseDescription?, requestID) -> EiResponse."""
    code = description = None
    request_id = ""
    for child in element:
        tag = child.tag
        if tag == RESPONSE_CODE:
            code = parse_response_code(child.text or "")
        elif tag == RESPONSE_DESCRIPTION:
            description = child.text or ""
        elif tag == REQUEST_ID:
            request_id = child.text or ""
    return EiResponse(
        response_code=code,  # type: ignore[arg-type]
        request_id=request_id,
        response_description=description,
    )


def write_ei_response(parent: etree._Element, response: EiResponse, tag: str = EI_RESPONSE) -> None:
    """Append an ei:eiResponse (or an element of the same type named `tag`) to `parent`."""
    element = SubElement(parent, tag)
    write_response_fields(element, response.response_code, response.response_description)
    SubElement(element, REQUEST_ID).text = response.request_id


def write_response_fields(element: etree._Element, code: int, description: str | None) -> None:
    """Append responseCode and the optional responseDescription to `element`."""
    SubElement(element, RESPONSE_CODE).text = f"{int(code):03d}"
    if description is not None:
        SubElement(element, RESPONSE_DESCRIPTION).text = description


def read_qualified_event_id(element: etree._Element) -> QualifiedEventId:
    """ei:qualifiedEventID (eventID, modificationNumber) -> QualifiedEventId."""
    return QualifiedEventId(
        event_id=element[0].text or "", modification_number=int(element[1].text or "")
    )


def write_qualified_event_id(parent: etree._Element, value: QualifiedEventId) -> None:
    """Append an ei:qualifiedEventID to `parent`."""
    element = SubElement(parent, QUALIFIED_EVENT_ID)
    SubElement(element, EVENT_ID).text = value.event_id
    SubElement(element, MODIFICATION_NUMBER).text = str(value.modification_number)
