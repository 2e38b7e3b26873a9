"""Codecs of the EiRegisterParty service (query, create, cancel, re-request registration)."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Final

from lxml import etree

from common.messages.enums import ProfileName, ServiceName, TransportName
from common.messages.registration import (
    CanceledPartyRegistration,
    CancelPartyRegistration,
    CreatedPartyRegistration,
    CreatePartyRegistration,
    Info,
    OadrExtension,
    Profile,
    QueryRegistration,
    RequestReregistration,
    Service,
)
from common.xml.codec import Codec
from common.xml.lexical import read_bool, write_bool
from common.xml.names import (
    BASIC_NSMAP,
    EI_RESPONSE,
    REGISTRATION_ID,
    REQUEST_ID,
    VEN_ID,
    VTN_ID,
    XCAL,
    oadr,
)
from common.xml.responses import read_ei_response, write_ei_response
from common.xml.timing import read_duration_prop, write_duration_prop

__all__ = ["CODECS"]

SubElement = etree.SubElement

OADR_QUERY_REGISTRATION: Final = oadr("oadrQueryRegistration")
OADR_CREATE_PARTY_REGISTRATION: Final = oadr("oadrCreatePartyRegistration")
OADR_CREATED_PARTY_REGISTRATION: Final = oadr("oadrCreatedPartyRegistration")
OADR_CANCEL_PARTY_REGISTRATION: Final = oadr("oadrCancelPartyRegistration")
OADR_CANCELED_PARTY_REGISTRATION: Final = oadr("oadrCanceledPartyRegistration")
OADR_REQUEST_REREGISTRATION: Final = oadr("oadrRequestReregistration")
PROFILE_NAME: Final = oadr("oadrProfileName")
TRANSPORT_NAME: Final = oadr("oadrTransportName")
TRANSPORT_ADDRESS: Final = oadr("oadrTransportAddress")
REPORT_ONLY: Final = oadr("oadrReportOnly")
XML_SIGNATURE: Final = oadr("oadrXmlSignature")
VEN_NAME: Final = oadr("oadrVenName")
HTTP_PULL_MODEL: Final = oadr("oadrHttpPullModel")
PROFILES: Final = oadr("oadrProfiles")
PROFILE: Final = oadr("oadrProfile")
TRANSPORTS: Final = oadr("oadrTransports")
TRANSPORT: Final = oadr("oadrTransport")
POLL_FREQ: Final = oadr("oadrRequestedOadrPollFreq")
SERVICE_SPECIFIC_INFO: Final = oadr("oadrServiceSpecificInfo")
SERVICE: Final = oadr("oadrService")
SERVICE_NAME: Final = oadr("oadrServiceName")
INFO: Final = oadr("oadrInfo")
KEY: Final = oadr("oadrKey")
VALUE: Final = oadr("oadrValue")
EXTENSIONS: Final = oadr("oadrExtensions")
EXTENSION: Final = oadr("oadrExtension")
EXTENSION_NAME: Final = oadr("oadrExtensionName")


def _optional_id(element: etree._Element) -> str | None:
    """An optional ID element's text; an empty element counts as absent."""
    return element.text or None


def read_query_registration(element: etree._Element) -> QueryRegistration:
    """oadrQueryRegistration -> QueryRegistration."""
    return QueryRegistration(request_id=element[0].text or "")


def write_query_registration(element: etree._Element, message: QueryRegistration) -> None:
    """Fill oadrQueryRegistration."""
    SubElement(element, REQUEST_ID).text = message.request_id


def read_create_party_registration(element: etree._Element) -> CreatePartyRegistration:
    """oadrCreatePartyRegistration -> CreatePartyRegistration."""
    fields: dict[str, object] = {}
    for child in element:
        tag = child.tag
        if tag == REQUEST_ID:
            fields["request_id"] = child.text or ""
        elif tag == REGISTRATION_ID:
            fields["registration_id"] = _optional_id(child)
        elif tag == VEN_ID:
            fields["ven_id"] = _optional_id(child)
        elif tag == PROFILE_NAME:
            fields["profile_name"] = ProfileName.parse(child.text or "")
        elif tag == TRANSPORT_NAME:
            fields["transport_name"] = TransportName.parse(child.text or "")
        elif tag == TRANSPORT_ADDRESS:
            fields["transport_address"] = child.text or None
        elif tag == REPORT_ONLY:
            fields["report_only"] = read_bool(child.text)
        elif tag == XML_SIGNATURE:
            fields["xml_signature"] = read_bool(child.text)
        elif tag == VEN_NAME:
            fields["ven_name"] = child.text or ""
        elif tag == HTTP_PULL_MODEL:
            fields["http_pull_model"] = read_bool(child.text)
    return CreatePartyRegistration(**fields)  # type: ignore[arg-type]


def write_create_party_registration(
    element: etree._Element, message: CreatePartyRegistration
) -> None:
    """Fill oadrCreatePartyRegistration."""
    SubElement(element, REQUEST_ID).text = message.request_id
    if message.registration_id is not None:
        SubElement(element, REGISTRATION_ID).text = message.registration_id
    if message.ven_id is not None:
        SubElement(element, VEN_ID).text = message.ven_id
    SubElement(element, PROFILE_NAME).text = message.profile_name.value
    SubElement(element, TRANSPORT_NAME).text = message.transport_name.value
    if message.transport_address is not None:
        SubElement(element, TRANSPORT_ADDRESS).text = message.transport_address
    SubElement(element, REPORT_ONLY).text = write_bool(message.report_only)
    SubElement(element, XML_SIGNATURE).text = write_bool(message.xml_signature)
    if message.ven_name is not None:
        SubElement(element, VEN_NAME).text = message.ven_name
    if message.http_pull_model is not None:
        SubElement(element, HTTP_PULL_MODEL).text = write_bool(message.http_pull_model)


def _read_infos(element: etree._Element) -> tuple[Info, ...]:
    return tuple(
        Info(key=child[0].text or "", value=child[1].text or "")
        for child in element
        if child.tag == INFO
    )


def _write_infos(parent: etree._Element, infos: tuple[Info, ...]) -> None:
    for info in infos:
        element = SubElement(parent, INFO)
        SubElement(element, KEY).text = info.key
        SubElement(element, VALUE).text = info.value


def read_created_party_registration(element: etree._Element) -> CreatedPartyRegistration:
    """oadrCreatedPartyRegistration -> CreatedPartyRegistration."""
    fields: dict[str, object] = {}
    for child in element:
        tag = child.tag
        if tag == EI_RESPONSE:
            fields["response"] = read_ei_response(child)
        elif tag == REGISTRATION_ID:
            fields["registration_id"] = _optional_id(child)
        elif tag == VEN_ID:
            fields["ven_id"] = _optional_id(child)
        elif tag == VTN_ID:
            fields["vtn_id"] = child.text or ""
        elif tag == PROFILES:
            fields["profiles"] = tuple(
                Profile(
                    profile_name=ProfileName.parse(profile[0].text or ""),
                    transports=tuple(TransportName.parse(t[0].text or "") for t in profile[1]),
                )
                for profile in child
            )
        elif tag == POLL_FREQ:
            fields["requested_oadr_poll_freq"] = read_duration_prop(child)
        elif tag == SERVICE_SPECIFIC_INFO:
            fields["service_specific_info"] = tuple(
                Service(service_name=ServiceName.parse(s[0].text or ""), infos=_read_infos(s))
                for s in child
            )
        elif tag == EXTENSIONS:
            fields["extensions"] = tuple(
                OadrExtension(extension_name=x[0].text or "", infos=_read_infos(x)) for x in child
            )
    return CreatedPartyRegistration(**fields)  # type: ignore[arg-type]


def write_created_party_registration(
    element: etree._Element, message: CreatedPartyRegistration
) -> None:
    """Fill oadrCreatedPartyRegistration."""
    write_ei_response(element, message.response)
    if message.registration_id is not None:
        SubElement(element, REGISTRATION_ID).text = message.registration_id
    if message.ven_id is not None:
        SubElement(element, VEN_ID).text = message.ven_id
    SubElement(element, VTN_ID).text = message.vtn_id
    profiles = SubElement(element, PROFILES)
    for profile in message.profiles:
        profile_element = SubElement(profiles, PROFILE)
        SubElement(profile_element, PROFILE_NAME).text = profile.profile_name.value
        transports = SubElement(profile_element, TRANSPORTS)
        for transport in profile.transports:
            SubElement(SubElement(transports, TRANSPORT), TRANSPORT_NAME).text = transport.value
    if message.requested_oadr_poll_freq is not None:
        write_duration_prop(element, message.requested_oadr_poll_freq, POLL_FREQ)
    if message.service_specific_info is not None:
        info = SubElement(element, SERVICE_SPECIFIC_INFO)
        for service in message.service_specific_info:
            service_element = SubElement(info, SERVICE)
            SubElement(service_element, SERVICE_NAME).text = service.service_name.value
            _write_infos(service_element, service.infos)
    if message.extensions is not None:
        extensions = SubElement(element, EXTENSIONS)
        for extension in message.extensions:
            extension_element = SubElement(extensions, EXTENSION)
            SubElement(extension_element, EXTENSION_NAME).text = extension.extension_name
            _write_infos(extension_element, extension.infos)


def read_cancel_party_registration(element: etree._Element) -> CancelPartyRegistration:
    """oadrCancelPartyRegistration -> CancelPartyRegistration."""
    ven_id = _optional_id(element[2]) if len(element) > 2 else None
    return CancelPartyRegistration(
        request_id=element[0].text or "", registration_id=element[1].text or "", ven_id=ven_id
    )


def write_cancel_party_registration(
    element: etree._Element, message: CancelPartyRegistration
) -> None:
    """Fill oadrCancelPartyRegistration."""
    SubElement(element, REQUEST_ID).text = message.request_id
    SubElement(element, REGISTRATION_ID).text = message.registration_id
    if message.ven_id is not None:
        SubElement(element, VEN_ID).text = message.ven_id


def read_canceled_party_registration(element: etree._Element) -> CanceledPartyRegistration:
    """oadrCanceledPartyRegistration -> CanceledPartyRegistration."""
    fields: dict[str, object] = {}
    for child in element:
        tag = child.tag
        if tag == EI_RESPONSE:
            fields["response"] = read_ei_response(child)
        elif tag == REGISTRATION_ID:
            fields["registration_id"] = _optional_id(child)
        elif tag == VEN_ID:
            fields["ven_id"] = _optional_id(child)
    return CanceledPartyRegistration(**fields)  # type: ignore[arg-type]


def write_canceled_party_registration(
    element: etree._Element, message: CanceledPartyRegistration
) -> None:
    """Fill oadrCanceledPartyRegistration."""
    write_ei_response(element, message.response)
    if message.registration_id is not None:
        SubElement(element, REGISTRATION_ID).text = message.registration_id
    if message.ven_id is not None:
        SubElement(element, VEN_ID).text = message.ven_id


def read_request_reregistration(element: etree._Element) -> RequestReregistration:
    """oadrRequestReregistration -> RequestReregistration."""
    return RequestReregistration(ven_id=element[0].text or "")


def write_request_reregistration(element: etree._Element, message: RequestReregistration) -> None:
    """Fill oadrRequestReregistration."""
    SubElement(element, VEN_ID).text = message.ven_id


_NSMAP: Final = MappingProxyType({**BASIC_NSMAP, "xcal": XCAL})

CODECS: Final[tuple[Codec[Any], ...]] = (
    Codec(
        OADR_QUERY_REGISTRATION,
        QueryRegistration,
        read_query_registration,
        write_query_registration,
        _NSMAP,
    ),
    Codec(
        OADR_CREATE_PARTY_REGISTRATION,
        CreatePartyRegistration,
        read_create_party_registration,
        write_create_party_registration,
        _NSMAP,
    ),
    Codec(
        OADR_CREATED_PARTY_REGISTRATION,
        CreatedPartyRegistration,
        read_created_party_registration,
        write_created_party_registration,
        _NSMAP,
    ),
    Codec(
        OADR_CANCEL_PARTY_REGISTRATION,
        CancelPartyRegistration,
        read_cancel_party_registration,
        write_cancel_party_registration,
        _NSMAP,
    ),
    Codec(
        OADR_CANCELED_PARTY_REGISTRATION,
        CanceledPartyRegistration,
        read_canceled_party_registration,
        write_canceled_party_registration,
        _NSMAP,
    ),
    Codec(
        OADR_REQUEST_REREGISTRATION,
        RequestReregistration,
        read_request_reregistration,
        write_request_reregistration,
        _NSMAP,
    ),
)
