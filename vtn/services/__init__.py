"""The VTN's 2.0b services: one module per service; handlers take and return typed messages.

``SERVICES`` maps each Simple HTTP endpoint to the payloads it accepts and their handlers;
``error_reply`` builds the reply a failed request gets (the request's own reply type where the
2.0b schema has one, else oadrResponse).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from types import MappingProxyType
from typing import Any, Final

from common.messages.event import CreatedEvent, DistributeEvent, RequestEvent
from common.messages.opt import CanceledOpt, CancelOpt, CreatedOpt, CreateOpt
from common.messages.poll import Poll, Response
from common.messages.registration import (
    CanceledPartyRegistration,
    CancelPartyRegistration,
    CreatedPartyRegistration,
    CreatePartyRegistration,
    QueryRegistration,
)
from common.messages.report import (
    CanceledReport,
    CancelReport,
    CreatedReport,
    CreateReport,
    RegisteredReport,
    RegisterReport,
    UpdatedReport,
    UpdateReport,
)
from common.messages.types import EiResponse, Message
from vtn.services import event, opt, poll, registration, report
from vtn.services.context import Caller, Vtn

__all__ = ["REGISTRATION_MESSAGES", "SERVICES", "Caller", "Handler", "Vtn", "error_reply"]

Handler = Callable[[Vtn, Caller, Any], Awaitable[Message]]

SERVICES: Final[Mapping[str, Mapping[type[Message], Handler]]] = MappingProxyType(
    {
        "EiRegisterParty": {
            QueryRegistration: registration.handle_query_registration,
            CreatePartyRegistration: registration.handle_create_party_registration,
            CancelPartyRegistration: registration.handle_cancel_party_registration,
            CanceledPartyRegistration: registration.handle_canceled_party_registration,
            Response: registration.handle_registration_response,
        },
        "EiEvent": {
            RequestEvent: event.handle_request_event,
            CreatedEvent: event.handle_created_event,
        },
        "EiOpt": {
            CreateOpt: opt.handle_create_opt,
            CancelOpt: opt.handle_cancel_opt,
        },
        "EiReport": {
            RegisterReport: report.handle_register_report,
            RegisteredReport: report.handle_registered_report,
            CreateReport: report.handle_create_report,
            CreatedReport: report.handle_created_report,
            UpdateReport: report.handle_update_report,
            CancelReport: report.handle_cancel_report,
            CanceledReport: report.handle_canceled_report,
        },
        "OadrPoll": {
            Poll: poll.handle_poll,
        },
    }
)
"""Endpoint name (the last path segment) -> accepted payload type -> handler."""

REGISTRATION_MESSAGES: Final = (QueryRegistration, CreatePartyRegistration)
"""Payloads a VEN may send before it is registered."""


def _request_id(message: Message | None) -> str:
    if message is None:
        return ""
    direct = getattr(message, "request_id", None)
    if isinstance(direct, str):
        return direct
    response = getattr(message, "response", None)
    return response.request_id if isinstance(response, EiResponse) else ""


def error_reply(
    message: Message | None, response_code: int, description: str, vtn_id: str, ven_id: str | None
) -> Message:
    """The reply to `message` (``None``: it could not be read) carrying an error eiResponse."""
    response = EiResponse(
        response_code=response_code,
        request_id=_request_id(message),
        response_description=description,
    )
    match message:
        case QueryRegistration() | CreatePartyRegistration():
            return CreatedPartyRegistration(
                response=response, vtn_id=vtn_id, profiles=registration.PROFILES
            )
        case CancelPartyRegistration():
            return CanceledPartyRegistration(
                response=response, registration_id=message.registration_id, ven_id=ven_id
            )
        case RequestEvent():
            return DistributeEvent(request_id=message.request_id, vtn_id=vtn_id, response=response)
        case CreateOpt():
            return CreatedOpt(response=response, opt_id=message.opt_id)
        case CancelOpt():
            return CanceledOpt(response=response, opt_id=message.opt_id)
        case RegisterReport():
            return RegisteredReport(response=response, ven_id=ven_id)
        case CreateReport():
            return CreatedReport(response=response, ven_id=ven_id)
        case UpdateReport():
            return UpdatedReport(response=response, ven_id=ven_id)
        case CancelReport():
            return CanceledReport(response=response, ven_id=ven_id)
        case _:
            return Response(response=response, ven_id=ven_id)
