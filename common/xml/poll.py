"""Codecs of the OadrPoll service: oadrPoll and the generic oadrResponse."""

from __future__ import annotations

from typing import Any, Final

from lxml import etree

from common.messages.poll import Poll, Response
from common.xml.codec import Codec
from common.xml.names import BASIC_NSMAP, VEN_ID, oadr
from common.xml.responses import read_ei_response, write_ei_response

__all__ = ["CODECS"]

SubElement = etree.SubElement

OADR_POLL: Final = oadr("oadrPoll")
OADR_RESPONSE: Final = oadr("oadrResponse")


def read_poll(element: etree._Element) -> Poll:
    """oadrPoll -> Poll."""
    return Poll(ven_id=element[0].text or "")


def write_poll(element: etree._Element, message: Poll) -> None:
    """Fill oadrPoll."""
    SubElement(element, VEN_ID).text = message.ven_id


def read_response(element: etree._Element) -> Response:
    """oadrResponse -> Response."""
    ven_id = (element[1].text or "") if len(element) > 1 else None
    return Response(response=read_ei_response(element[0]), ven_id=ven_id)


def write_response(element: etree._Element, message: Response) -> None:
    """Fill oadrResponse."""
    write_ei_response(element, message.response)
    if message.ven_id is not None:
        SubElement(element, VEN_ID).text = message.ven_id


CODECS: Final[tuple[Codec[Any], ...]] = (
    Codec(OADR_POLL, Poll, read_poll, write_poll, BASIC_NSMAP),
    Codec(OADR_RESPONSE, Response, read_response, write_response, BASIC_NSMAP),
)
