"""EiRegisterParty service messages: query, create, cancel and re-request a registration."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from common.messages.enums import ProfileName, ServiceName, TransportName
from common.messages.types import EiResponse, Message

__all__ = [
    "CancelPartyRegistration",
    "CanceledPartyRegistration",
    "CreatePartyRegistration",
    "CreatedPartyRegistration",
    "Info",
    "OadrExtension",
    "Profile",
    "QueryRegistration",
    "RequestReregistration",
    "Service",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Info:
    """oadr:oadrInfo: one key/value pair of service-specific information."""

    key: str
    value: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Service:
    """oadr:oadrService: information the VTN gives about one of its services."""

    service_name: ServiceName
    infos: tuple[Info, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class OadrExtension:
    """oadr:oadrExtension of oadrCreatedPartyRegistration: a named list of key/values."""

    extension_name: str
    infos: tuple[Info, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Profile:
    """oadr:oadrProfile: a profile the VTN supports and its transports."""

    profile_name: ProfileName
    transports: tuple[TransportName, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class QueryRegistration(Message):
    """oadrQueryRegistration: a VEN asks what the VTN supports (and whether it is registered)."""

    request_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CreatePartyRegistration(Message):
    """oadrCreatePartyRegistration: a VEN registers (or re-registers with its registration_id).

    ``transport_address`` is where a push-mode VEN listens; ``http_pull_model`` True means the
    VEN polls. ``report_only`` marks a VEN that only reports; ``xml_signature`` says it signs.
    """

    request_id: str
    profile_name: ProfileName
    transport_name: TransportName
    report_only: bool
    xml_signature: bool
    registration_id: str | None = None
    ven_id: str | None = None
    transport_address: str | None = None
    ven_name: str | None = None
    http_pull_model: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CreatedPartyRegistration(Message):
    """oadrCreatedPartyRegistration: the VTN's answer to a query or a registration.

    ``requested_oadr_poll_freq`` is how often a pull VEN should poll [duration].
    ``service_specific_info`` is ``None`` when absent (an empty tuple writes an empty element);
    empty ``registrationID``/``venID`` elements (sent by some VTNs to an unregistered VEN) decode
    to ``None``.
    """

    response: EiResponse
    vtn_id: str
    profiles: tuple[Profile, ...]
    registration_id: str | None = None
    ven_id: str | None = None
    requested_oadr_poll_freq: timedelta | None = None
    service_specific_info: tuple[Service, ...] | None = None
    extensions: tuple[OadrExtension, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelPartyRegistration(Message):
    """oadrCancelPartyRegistration: either party ends a registration."""

    request_id: str
    registration_id: str
    ven_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CanceledPartyRegistration(Message):
    """oadrCanceledPartyRegistration: the acknowledgement of a cancellation."""

    response: EiResponse
    registration_id: str | None = None
    ven_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestReregistration(Message):
    """oadrRequestReregistration: the VTN asks a VEN to register again."""

    ven_id: str
