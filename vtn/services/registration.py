"""EiRegisterParty: query, create (and re-create), cancel a registration; VTN-initiated requests.

Interpretations (README "Deviations / interpretations"):

- The certificate fingerprint is the VEN's identity. A registration from a known certificate
  with the same details and no other registrationID returns the registration it has
  (idempotent, nothing written); changed details re-register it (storage gives a new
  registrationID); a registrationID the VEN does not hold is 452.
- A VEN may propose its venID in oadrCreatePartyRegistration; it is used when free, and 463
  when it belongs to another certificate.
- On plain HTTP without a fingerprint header there is no certificate: each VEN gets a synthetic
  identity (``unauthenticated:<venID>``) and is known by its venID alone.
- Two VENs with one certificate (an identity conflict). A registration from a known
  certificate that does not give the registrationID, names another venName, while the
  registered VEN was heard from within ``live_window`` (it is still polling), comes from a second
  VEN: it is refused with 463 (NOT_REGISTERED_OR_AUTHORIZED: the certificate does not
  authorise this party, which is what 463 is for; 452 INVALID_ID would blame an ID the caller
  never sent), logged at WARNING and recorded on the registered VEN (``oadr-vtn ven list``).
  Nothing of the registered VEN changes, so two buildings' readings are never merged. Not a
  conflict: the same venName (the VEN restarted with a lost state file), the registrationID
  given (the VEN renames itself), a cancelled registration, or a VEN silent for longer than
  the window (the certificate moved to a renamed VEN).
- Every successful oadrCreatePartyRegistration, also one that changes nothing, is followed by
  the VTN's oadrRegisterReport (N1_0020, N1_0060), unless one is still waiting for the VEN. It
  is queued in the registration's own transaction, and registrations arriving together share
  one (``Store.registrations``: group commit); the reply leaves after the commit.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from datetime import datetime, timedelta

from common.errors import InvalidData, InvalidId, NotAllowed, NotRegisteredOrAuthorized
from common.messages.enums import ProfileName, TransportName
from common.messages.poll import Response
from common.messages.registration import (
    CanceledPartyRegistration,
    CancelPartyRegistration,
    CreatedPartyRegistration,
    CreatePartyRegistration,
    Profile,
    QueryRegistration,
    RequestReregistration,
)
from common.xml.templates import TextTemplate
from vtn.domain import Ven, VenRegistration
from vtn.logs import PROTOCOL, ven_label
from vtn.services.context import Caller, Vtn, new_request_id, ok
from vtn.services.report import metadata_welcome, queue_vtn_metadata
from vtn.storage import Conflict
from vtn.storage.registrations import VenIdTaken

__all__ = [
    "PROFILES",
    "cancel_registration",
    "encode_created",
    "handle_cancel_party_registration",
    "handle_canceled_party_registration",
    "handle_create_party_registration",
    "handle_query_registration",
    "handle_registration_response",
    "request_reregistration",
]

PROFILES = (Profile(profile_name=ProfileName.B, transports=(TransportName.SIMPLE_HTTP,)),)
"""What this VTN supports: the 2.0b profile over simple HTTP."""

UNAUTHENTICATED = "unauthenticated:"

LIVE_WINDOW = timedelta(minutes=5)
"""A VEN heard from within max(this, 3 poll intervals) is live: another venName registering
with its certificate is a second VEN (``vens.last_seen_at`` is written about once a minute)."""


def live_window(ven: Ven) -> timedelta:
    """How recently `ven` must have been heard from to count as still running [duration]."""
    return max(LIVE_WINDOW, 3 * ven.poll_frequency)


def _second_ven(ven: Ven, message: CreatePartyRegistration, now: datetime) -> bool:
    """True when `message`, from `ven`'s certificate, comes from another, live VEN."""
    if ven.cancelled or message.registration_id or message.ven_name == ven.ven_name:
        return False
    return ven.last_seen_at is not None and now - ven.last_seen_at < live_window(ven)


@functools.lru_cache(maxsize=8)
def _created_template(vtn_id: str, poll_frequency: timedelta) -> TextTemplate:
    return TextTemplate(
        lambda request_id, registration_id, ven_id: CreatedPartyRegistration(
            response=ok(request_id),
            vtn_id=vtn_id,
            profiles=PROFILES,
            registration_id=registration_id,
            ven_id=ven_id,
            requested_oadr_poll_freq=poll_frequency,
        ),
        3,
    )


def encode_created(reply: CreatedPartyRegistration) -> bytes | None:
    """The unsigned encoding of a successful registration's reply, from a template (the bytes
    ``encode`` makes, a few µs instead of tens); ``None`` for any other reply."""
    if (
        reply.registration_id is None
        or reply.ven_id is None
        or reply.requested_oadr_poll_freq is None
        or reply.profiles != PROFILES
        or reply.service_specific_info is not None
        or reply.extensions is not None
        or reply.response != ok(reply.response.request_id)
    ):
        return None
    template = _created_template(reply.vtn_id, reply.requested_oadr_poll_freq)
    return template.render(reply.response.request_id, reply.registration_id, reply.ven_id)


def _created(vtn: Vtn, request_id: str, ven: Ven | None) -> CreatedPartyRegistration:
    active = ven if ven is not None and not ven.cancelled else None
    return CreatedPartyRegistration(
        response=ok(request_id),
        vtn_id=vtn.config.vtn_id,
        profiles=PROFILES,
        registration_id=active.registration_id if active else None,
        ven_id=active.ven_id if active else None,
        requested_oadr_poll_freq=vtn.config.polls.frequency,
    )


async def handle_query_registration(
    vtn: Vtn, caller: Caller, message: QueryRegistration
) -> CreatedPartyRegistration:
    """oadrQueryRegistration: what the VTN supports, and the caller's registration if any."""
    return _created(vtn, message.request_id, caller.ven)


def _wanted(vtn: Vtn, fingerprint: str, message: CreatePartyRegistration) -> VenRegistration:
    if message.profile_name is not ProfileName.B:
        raise NotAllowed(f"profile {message.profile_name.value} is not supported; use 2.0b")
    if message.transport_name is not TransportName.SIMPLE_HTTP:
        raise NotAllowed(f"transport {message.transport_name.value} is not supported")
    pull = message.http_pull_model is not False
    if not pull and not message.transport_address:
        raise InvalidData("a push VEN (httpPullModel false) must give its transportAddress")
    if not pull and not vtn.config.plain_http and not str(message.transport_address).lower(
    ).startswith("https://"):
        raise InvalidData("this VTN pushes only over TLS: the transportAddress must be https://")
    return VenRegistration(
        fingerprint=fingerprint,
        http_pull_model=pull,
        transport_address=message.transport_address,
        report_only=message.report_only,
        xml_signature=message.xml_signature,
        ven_name=message.ven_name,
        poll_frequency=vtn.config.polls.frequency,
        ven_id=message.ven_id,
    )


def _same(ven: Ven, wanted: VenRegistration) -> bool:
    return (
        not ven.cancelled
        and ven.http_pull_model == wanted.http_pull_model
        and ven.transport_address == wanted.transport_address
        and ven.report_only == wanted.report_only
        and ven.xml_signature == wanted.xml_signature
        and ven.ven_name == wanted.ven_name
        and ven.poll_frequency == wanted.poll_frequency
    )


async def _new_ven(vtn: Vtn, caller: Caller, message: CreatePartyRegistration) -> Ven:
    """Register a VEN whose certificate (or venID, on plain HTTP) is not known yet, with the
    VTN's oadrRegisterReport queued for it."""
    if message.registration_id:
        raise InvalidId(f"registrationID {message.registration_id!r} is not known")
    ven_id = message.ven_id or new_request_id()
    fingerprint = caller.fingerprint or f"{UNAUTHENTICATED}{ven_id}"
    wanted = dataclasses.replace(_wanted(vtn, fingerprint, message), ven_id=ven_id)
    try:
        return await vtn.store.registrations.create(wanted, metadata_welcome(ven_id))
    except VenIdTaken:
        raise NotRegisteredOrAuthorized(
            f"venID {ven_id!r} belongs to another certificate"
        ) from None
    except Conflict:  # the same VEN registering twice at once: the first one won
        again = await vtn.store.vens.by_fingerprint(fingerprint)
        if again is None:
            raise
        await queue_vtn_metadata(vtn, again)
        return again


async def handle_create_party_registration(
    vtn: Vtn, caller: Caller, message: CreatePartyRegistration
) -> CreatedPartyRegistration:
    """oadrCreatePartyRegistration: register, re-register, or confirm an unchanged registration."""
    ven = caller.ven
    if ven is None:
        ven = await _new_ven(vtn, caller, message)
        _log_registration(caller, ven, "registered")
        return _created(vtn, message.request_id, ven)
    if message.registration_id and message.registration_id != ven.registration_id:
        raise InvalidId(f"registrationID {message.registration_id!r} is not this VEN's")
    if _second_ven(ven, message, vtn.clock.now()):
        await _refuse_second_ven(vtn, caller, ven, message)
    wanted = _wanted(vtn, ven.fingerprint, message)
    welcome = metadata_welcome(ven.ven_id)  # N1_0060: a registration is followed by it
    if _same(ven, wanted):
        PROTOCOL.info("VEN %s registered again, unchanged", ven_label(ven))
        await vtn.store.registrations.welcome(ven.ven_id, welcome)
        return _created(vtn, message.request_id, ven)
    wanted = dataclasses.replace(wanted, ven_id=ven.ven_id)
    ven = await vtn.store.registrations.reregister(ven.ven_id, wanted, welcome)
    _log_registration(caller, ven, "re-registered")
    return _created(vtn, message.request_id, ven)


async def _refuse_second_ven(
    vtn: Vtn, caller: Caller, ven: Ven, message: CreatePartyRegistration
) -> None:
    """Record and log a second VEN presenting `ven`'s certificate; raise 463 to it."""
    await vtn.store.vens.note_conflict(ven.ven_id, message.ven_name)
    PROTOCOL.warning(
        "A second VEN %r from %s presented the certificate %s of VEN %s, which is still "
        "polling; refused it (463). Each VEN needs its own certificate: issue one for %r "
        "(`oadr-vtn ven list` flags VEN %s). If it is VEN %s renamed, cancel the old "
        "registration first (`oadr-vtn ven cancel %s`)",
        message.ven_name,
        caller.remote,
        caller.fingerprint,
        ven_label(ven),
        message.ven_name,
        ven.ven_id,
        ven.ven_id,
        ven.ven_id,
    )
    raise NotRegisteredOrAuthorized(
        f"this certificate is registered to another VEN ({ven.ven_name!r}) that is still "
        "running; each VEN needs its own certificate"
    )


def _log_registration(caller: Caller, ven: Ven, what: str) -> None:
    """Log a registration; its oadrRegisterReport (N1_0020) was queued with it."""
    if not PROTOCOL.isEnabledFor(logging.INFO):
        return
    mode = "pull" if ven.http_pull_model else f"push to {ven.transport_address}"
    PROTOCOL.info(
        "VEN %s %s from %s, fingerprint %s, registration %s (%s)",
        ven_label(ven),
        what,
        caller.remote,
        caller.fingerprint or "none (plain HTTP)",
        ven.registration_id,
        mode,
    )


async def handle_cancel_party_registration(
    vtn: Vtn, caller: Caller, message: CancelPartyRegistration
) -> CanceledPartyRegistration:
    """oadrCancelPartyRegistration from the VEN: end its registration."""
    ven = caller.registered()
    if message.registration_id != ven.registration_id:
        raise InvalidId(f"registrationID {message.registration_id!r} is not this VEN's")
    await vtn.store.vens.cancel(ven.ven_id)
    PROTOCOL.info("VEN %s cancelled its registration", ven_label(ven))
    return CanceledPartyRegistration(
        response=ok(message.request_id), registration_id=ven.registration_id, ven_id=ven.ven_id
    )


async def handle_canceled_party_registration(
    vtn: Vtn, caller: Caller, message: CanceledPartyRegistration
) -> Response:
    """oadrCanceledPartyRegistration: the VEN acknowledges the VTN's cancellation."""
    ven = caller.registered()
    PROTOCOL.info(
        "VEN %s acknowledged the cancellation of its registration (%s)",
        ven_label(ven),
        int(message.response.response_code),
    )
    return Response(response=ok(message.response.request_id), ven_id=ven.ven_id)


async def handle_registration_response(vtn: Vtn, caller: Caller, message: Response) -> Response:
    """oadrResponse on EiRegisterParty: the VEN acknowledges oadrRequestReregistration."""
    ven = caller.registered()
    PROTOCOL.info("VEN %s acknowledged a registration request", ven_label(ven))
    return Response(response=ok(message.response.request_id), ven_id=ven.ven_id)


# ---- VTN-initiated (called by the admin API) --------------------------------------------------


async def cancel_registration(vtn: Vtn, ven_id: str) -> Ven:
    """Cancel `ven_id`'s registration now and queue oadrCancelPartyRegistration for it.

    ``vtn.storage.NotFound`` if the VEN is unknown.
    """
    ven = await vtn.store.vens.get(ven_id)
    message = CancelPartyRegistration(
        request_id=new_request_id(), registration_id=ven.registration_id, ven_id=ven.ven_id
    )
    cancelled = await vtn.store.vens.cancel(ven_id)
    await vtn.queue.put(ven, message)
    PROTOCOL.info("Cancelled the registration of VEN %s; telling it", ven_label(ven))
    return cancelled


async def request_reregistration(vtn: Vtn, ven_id: str) -> None:
    """Queue oadrRequestReregistration for `ven_id`; ``NotFound`` if the VEN is unknown."""
    ven = await vtn.store.vens.get(ven_id)
    await vtn.queue.put(ven, RequestReregistration(ven_id=ven.ven_id))
    PROTOCOL.info("Asked VEN %s to register again", ven_label(ven))
