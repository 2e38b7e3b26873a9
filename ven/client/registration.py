"""Registration: oadrQueryRegistration then oadrCreatePartyRegistration, and report metadata."""

from __future__ import annotations

import logging
from datetime import datetime

from common.errors import NotRegisteredOrAuthorized, OtherError
from common.messages.enums import ProfileName, TransportName
from common.messages.registration import (
    CreatedPartyRegistration,
    CreatePartyRegistration,
    QueryRegistration,
)
from common.messages.report import RegisteredReport, RegisterReport
from ven.client.config import VenConfig
from ven.client.invitations import new_id
from ven.client.messaging import Exchange
from ven.client.reports import metadata_reports
from ven.client.store import Registration

__all__ = ["register", "register_reports"]

log = logging.getLogger("ven.client")


def _refusal(answer: object, what: str) -> NotRegisteredOrAuthorized:
    response = getattr(answer, "response", None)
    if response is None:
        return NotRegisteredOrAuthorized(
            f"the VTN answered {what} with {type(answer).__name__}, not the expected message")
    detail = f" ({response.response_description})" if response.response_description else ""
    return NotRegisteredOrAuthorized(
        f"the VTN refused {what}: code {int(response.response_code)}{detail}")


async def register(
    exchange: Exchange, config: VenConfig, now: datetime, previous: Registration | None = None
) -> Registration:
    """Query the VTN, then register (re-register with `previous`'s IDs when given).

    Raises ``NotRegisteredOrAuthorized`` when the VTN refuses, and transport errors as they are.
    """
    query = await exchange.request("EiRegisterParty", QueryRegistration(request_id=new_id()))
    if not isinstance(query, CreatedPartyRegistration) or not query.response.ok:
        raise _refusal(query, "the registration query")
    supported = any(
        p.profile_name is ProfileName.B and TransportName.SIMPLE_HTTP in p.transports
        for p in query.profiles
    )
    if not supported:
        raise OtherError(f"VTN {query.vtn_id} does not offer profile 2.0b over simpleHttp")
    request = CreatePartyRegistration(
        request_id=new_id(),
        profile_name=ProfileName.B,
        transport_name=TransportName.SIMPLE_HTTP,
        report_only=False,
        xml_signature=config.sign_messages,
        registration_id=previous.registration_id if previous else None,
        ven_id=previous.ven_id if previous else None,
        ven_name=config.ven_name,
        http_pull_model=config.push is None,  # push mode: the VTN POSTs to our address
        transport_address=None if config.push is None else config.push.address,
    )
    created = await exchange.request("EiRegisterParty", request)
    if not isinstance(created, CreatedPartyRegistration) or not created.response.ok:
        raise _refusal(created, "our registration")
    if not created.ven_id or not created.registration_id:
        raise NotRegisteredOrAuthorized(
            f"VTN {created.vtn_id} did not register us (no venID or registrationID given)")
    registration = Registration(
        vtn_id=created.vtn_id,
        ven_id=created.ven_id,
        registration_id=created.registration_id,
        poll_freq=created.requested_oadr_poll_freq or query.requested_oadr_poll_freq,
        registered_at=now,
    )
    poll = registration.poll_freq
    log.info("Registered with VTN %s as venID %s (registration %s%s)", registration.vtn_id,
             registration.ven_id, registration.registration_id,
             f", polling every {poll.total_seconds():g} s" if poll else "")
    return registration


async def register_reports(
    exchange: Exchange, config: VenConfig, ven_id: str, now: datetime
) -> RegisteredReport:
    """Send our METADATA reports (oadrRegisterReport); the VTN's oadrRegisteredReport."""
    message = RegisterReport(
        request_id=new_id(), reports=metadata_reports(config.reports, now), ven_id=ven_id)
    answer = await exchange.request("EiReport", message)
    if not isinstance(answer, RegisteredReport) or not answer.response.ok:
        raise _refusal(answer, "our report registration")
    log.info("Offered reports to the VTN: %s", "; ".join(
        f"{r.report_specifier_id} ({', '.join(d.r_id for d in r.report_descriptions)})"
        for r in message.reports))
    return answer
