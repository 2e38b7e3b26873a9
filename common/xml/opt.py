"""Codecs of the EiOpt service: oadrCreateOpt, oadrCreatedOpt, oadrCancelOpt, oadrCanceledOpt."""

from __future__ import annotations

from typing import Any, Final

from lxml import etree

from common.messages.enums import OptReason, OptType
from common.messages.opt import CanceledOpt, CancelOpt, CreatedOpt, CreateOpt
from common.messages.types import EMPTY_TARGET
from common.xml.codec import Codec
from common.xml.lexical import read_datetime, write_datetime
from common.xml.names import (
    AVAILABLE,
    BASIC_NSMAP,
    CREATED_DATE_TIME,
    EI_TARGET,
    MARKET_CONTEXT,
    OPT_ID,
    OPT_REASON,
    OPT_TYPE,
    QUALIFIED_EVENT_ID,
    REQUEST_ID,
    VAVAILABILITY,
    VEN_ID,
    oadr,
    xcal,
)
from common.xml.responses import (
    read_ei_response,
    read_qualified_event_id,
    write_ei_response,
    write_qualified_event_id,
)
from common.xml.targets import read_target, write_target
from common.xml.timing import read_properties, write_properties

__all__ = ["CODECS"]

SubElement = etree.SubElement

OADR_CREATE_OPT: Final = oadr("oadrCreateOpt")
OADR_CREATED_OPT: Final = oadr("oadrCreatedOpt")
OADR_CANCEL_OPT: Final = oadr("oadrCancelOpt")
OADR_CANCELED_OPT: Final = oadr("oadrCanceledOpt")
OADR_DEVICE_CLASS: Final = oadr("oadrDeviceClass")
VAVAILABILITY_COMPONENTS: Final = xcal("components")


def read_create_opt(element: etree._Element) -> CreateOpt:
    """oadrCreateOpt -> CreateOpt."""
    fields: dict[str, object] = {}
    for child in element:
        tag = child.tag
        if tag == OPT_ID:
            fields["opt_id"] = child.text or ""
        elif tag == OPT_TYPE:
            fields["opt_type"] = OptType.parse(child.text or "")
        elif tag == OPT_REASON:
            fields["opt_reason"] = OptReason.parse(child.text or "")
        elif tag == MARKET_CONTEXT:
            fields["market_context"] = (child.text or "").strip()
        elif tag == VEN_ID:
            fields["ven_id"] = child.text or ""
        elif tag == VAVAILABILITY:
            fields["vavailability"] = tuple(read_properties(available[0]) for available in child[0])
        elif tag == CREATED_DATE_TIME:
            fields["created_date_time"] = read_datetime(child.text)
        elif tag == REQUEST_ID:
            fields["request_id"] = child.text or ""
        elif tag == QUALIFIED_EVENT_ID:
            fields["qualified_event_id"] = read_qualified_event_id(child)
        elif tag == EI_TARGET:
            fields["target"] = read_target(child)
        elif tag == OADR_DEVICE_CLASS:
            fields["device_class"] = read_target(child)
    return CreateOpt(**fields)  # type: ignore[arg-type]


def write_create_opt(element: etree._Element, message: CreateOpt) -> None:
    """Fill oadrCreateOpt."""
    SubElement(element, OPT_ID).text = message.opt_id
    SubElement(element, OPT_TYPE).text = message.opt_type.value
    SubElement(element, OPT_REASON).text = message.opt_reason.value
    if message.market_context is not None:
        SubElement(element, MARKET_CONTEXT).text = message.market_context
    SubElement(element, VEN_ID).text = message.ven_id
    if message.vavailability is not None:
        components = SubElement(SubElement(element, VAVAILABILITY), VAVAILABILITY_COMPONENTS)
        for period in message.vavailability:
            write_properties(SubElement(components, AVAILABLE), period)
    SubElement(element, CREATED_DATE_TIME).text = write_datetime(message.created_date_time)
    SubElement(element, REQUEST_ID).text = message.request_id
    if message.qualified_event_id is not None:
        write_qualified_event_id(element, message.qualified_event_id)
    write_target(element, EI_TARGET, message.target or EMPTY_TARGET)
    if message.device_class is not None:
        write_target(element, OADR_DEVICE_CLASS, message.device_class)


def read_created_opt(element: etree._Element) -> CreatedOpt:
    """oadrCreatedOpt -> CreatedOpt."""
    return CreatedOpt(response=read_ei_response(element[0]), opt_id=element[1].text or "")


def write_created_opt(element: etree._Element, message: CreatedOpt) -> None:
    """Fill oadrCreatedOpt."""
    write_ei_response(element, message.response)
    SubElement(element, OPT_ID).text = message.opt_id


def read_cancel_opt(element: etree._Element) -> CancelOpt:
    """oadrCancelOpt -> CancelOpt."""
    return CancelOpt(
        request_id=element[0].text or "",
        opt_id=element[1].text or "",
        ven_id=element[2].text or "",
    )


def write_cancel_opt(element: etree._Element, message: CancelOpt) -> None:
    """Fill oadrCancelOpt."""
    SubElement(element, REQUEST_ID).text = message.request_id
    SubElement(element, OPT_ID).text = message.opt_id
    SubElement(element, VEN_ID).text = message.ven_id


def read_canceled_opt(element: etree._Element) -> CanceledOpt:
    """oadrCanceledOpt -> CanceledOpt."""
    opt_id = (element[1].text or "") if len(element) > 1 else None
    return CanceledOpt(response=read_ei_response(element[0]), opt_id=opt_id)


def write_canceled_opt(element: etree._Element, message: CanceledOpt) -> None:
    """Fill oadrCanceledOpt."""
    write_ei_response(element, message.response)
    if message.opt_id is not None:
        SubElement(element, OPT_ID).text = message.opt_id


CODECS: Final[tuple[Codec[Any], ...]] = (
    Codec(OADR_CREATE_OPT, CreateOpt, read_create_opt, write_create_opt),
    Codec(OADR_CREATED_OPT, CreatedOpt, read_created_opt, write_created_opt, BASIC_NSMAP),
    Codec(OADR_CANCEL_OPT, CancelOpt, read_cancel_opt, write_cancel_opt, BASIC_NSMAP),
    Codec(OADR_CANCELED_OPT, CanceledOpt, read_canceled_opt, write_canceled_opt, BASIC_NSMAP),
)
