"""N1/N0: registration cases (pull, and the same scenarios as push twins), the harness
playing the VEN against the VTN under test.

Each function is one case, written from the case's description (CONFORMANCE.md §2.2); its
docstring lists its steps.
"""

from __future__ import annotations

from common.conformance import payload_name
from common.messages.event import RequestEvent
from common.messages.poll import Poll, Response
from common.messages.registration import (
    CanceledPartyRegistration,
    CancelPartyRegistration,
    CreatedPartyRegistration,
    RequestReregistration,
)
from common.messages.types import Message
from ven.conformance.operator import Step
from ven.conformance.scenario import Harness, response_code, snippet
from ven.conformance.wire import Record

__all__ = ["CASES"]

UNREGISTERED_VEN = "kit-never-registered-ven"


def refused(record: Record) -> tuple[bool, str]:
    """Whether the VTN refused a payload from an unregistered VEN as 2.0b asks: no payload
    (an HTTP error without one), or a payload with responseCode 463."""
    if record.error:
        return True, record.error
    if record.reply is None:
        return (record.status is not None and record.status >= 400,
                f"HTTP {record.status} {snippet(record.response_body)}")
    code = response_code(record.reply)
    return code == 463, f"{record.reply_name} with responseCode {code}"


async def n1_0010(h: Harness) -> None:
    """oadrQueryRegistration from an unregistered VEN -> oadrCreatedPartyRegistration 200
    naming the VTN and offering profile 2.0b over simpleHttp."""
    created = h.expect_reply(await h.query(), CreatedPartyRegistration,
                             "the VTN answers oadrQueryRegistration")
    h.expect(bool(created.vtn_id), "the answer names the vtnID")
    offers = {(str(p.profile_name), str(t)) for p in created.profiles for t in p.transports}
    h.expect(("2.0b", "simpleHttp") in offers, "the VTN offers profile 2.0b over simpleHttp",
             f"offers {sorted(offers)}")


async def n1_0015(h: Harness) -> None:
    """Register; oadrQueryRegistration -> oadrCreatedPartyRegistration 200 with the VEN's
    venID and registrationID."""
    await h.register()
    created = h.expect_reply(await h.query(), CreatedPartyRegistration,
                             "the VTN answers oadrQueryRegistration while registered")
    h.expect(created.ven_id == h.ven_id and created.registration_id == h.registration_id,
             "the answer carries the VEN's venID and registrationID",
             f"venID {created.ven_id!r} (registered as {h.ven_id!r}), registrationID "
             f"{created.registration_id!r} (registered as {h.registration_id!r})")


async def n1_0020(h: Harness) -> None:
    """Query; oadrCreatePartyRegistration (pull) -> 200 with venID, registrationID and a poll
    frequency (pull); oadrRegisterReport -> oadrRegisteredReport 200; take the VTN's messages
    until nothing waits: among them the VTN's own (possibly empty) oadrRegisterReport."""
    h.expect_reply(await h.query(), CreatedPartyRegistration,
                   "the VTN answers oadrQueryRegistration")
    created = await h.register()
    if not h.push:
        h.expect(created.requested_oadr_poll_freq is not None,
                 "the registration gives oadrRequestedOadrPollFreq (pull VEN)")
    await h.register_reports()
    seen = await h.drain()
    names = [type(m).__name__ for m in seen]
    h.expect(any(type(m).__name__ == "RegisterReport" for m in seen),
             "the VTN sends its own oadrRegisterReport after the registration",
             f"{'pushes' if h.push else 'polls'} brought {names or 'nothing'}")


async def n1_0030(h: Harness) -> None:
    """Bootstrap; oadrCancelPartyRegistration -> oadrCanceledPartyRegistration 200 naming the
    registrationID; then an oadrPoll is refused (no payload, or 463)."""
    await h.bootstrap()
    assert h.registration_id is not None and h.ven_id is not None
    registration_id, ven_id = h.registration_id, h.ven_id
    record = await h.send("EiRegisterParty", CancelPartyRegistration(
        request_id=h.request_id(), registration_id=registration_id, ven_id=ven_id))
    canceled = h.expect_reply(record, CanceledPartyRegistration,
                              "the VTN cancels the registration")
    h.expect(canceled.registration_id == registration_id,
             "oadrCanceledPartyRegistration names the registrationID",
             f"{canceled.registration_id!r}")
    h.registration_id = None
    ok, seen = refused(await h.probe())
    h.expect(ok, "a payload after the cancellation is refused (no payload, or 463)", seen)
    h.ven_id = None


async def n1_0040(h: Harness) -> None:
    """Bootstrap; the operator cancels the registration at the VTN; the VTN sends
    oadrCancelPartyRegistration (pull: in the next oadrPoll's answer; push: a push, answered
    oadrCanceledPartyRegistration in the HTTP answer); pull: the VEN POSTs
    oadrCanceledPartyRegistration -> oadrResponse 200; later payloads are refused."""
    await h.bootstrap()
    registration_id = h.registration_id
    await h.operate(Step.CANCEL_REGISTRATION, ven_id=h.ven_id, registration_id=registration_id)
    cancel = await h.next_message()
    h.expect(isinstance(cancel, CancelPartyRegistration),
             "the VTN sends oadrCancelPartyRegistration",
             f"got {payload_name(cancel) if cancel is not None else 'nothing'}")
    assert isinstance(cancel, CancelPartyRegistration)
    h.expect(cancel.registration_id == registration_id,
             "it names the VEN's registrationID", f"{cancel.registration_id!r}")
    ven_id = h.ven_id
    if not h.push:
        answer = await h.send("EiRegisterParty", CanceledPartyRegistration(
            response=h.ok(cancel.request_id), registration_id=cancel.registration_id,
            ven_id=ven_id))
        h.expect_reply(answer, Response, "the VTN acknowledges oadrCanceledPartyRegistration")
    h.registration_id = None
    ok, seen = refused(await h.probe())
    h.expect(ok, "a payload after the cancellation is refused (no payload, or 463)", seen)
    h.ven_id = None


async def n1_0050(h: Harness) -> None:
    """Bootstrap; the operator asks for a re-registration; the VTN sends
    oadrRequestReregistration (pull: the next oadrPoll's answer; push: a push); the VEN
    registers again (with its registrationID) -> 200."""
    await h.bootstrap()
    await h.operate(Step.REQUEST_REREGISTRATION, ven_id=h.ven_id)
    request = await h.next_message()
    h.expect(isinstance(request, RequestReregistration),
             "the VTN sends oadrRequestReregistration",
             f"got {payload_name(request) if request is not None else 'nothing'}")
    assert isinstance(request, RequestReregistration)
    h.expect(request.ven_id == h.ven_id, "it names the VEN's venID", f"{request.ven_id!r}")
    ven_id = h.ven_id
    await h.register(ven_id=ven_id, registration_id=h.registration_id,
                     text="the VTN accepts the re-registration")
    h.expect(h.ven_id == ven_id, "the VEN keeps its venID", f"{h.ven_id!r} (was {ven_id!r})")
    await h.drain()


async def n1_0060(h: Harness) -> None:
    """Register; a new oadrCreatePartyRegistration without registrationID while registered ->
    200 with a venID and registrationID; the VEN can poll with them."""
    await h.register()
    await h.register(text="the VTN answers a new registration while registered")
    await h.drain()


async def n1_0065(h: Harness) -> None:
    """Register; oadrCreatePartyRegistration with the registrationID and venID ->
    200 with the same venID."""
    await h.register()
    ven_id = h.ven_id
    await h.register(ven_id=ven_id, registration_id=h.registration_id,
                     text="the VTN accepts the re-registration")
    h.expect(h.ven_id == ven_id, "the re-registration keeps the venID",
             f"{h.ven_id!r} (was {ven_id!r})")
    await h.drain()


async def n1_0070(h: Harness) -> None:
    """Negative: with a registration, (a) oadrCancelPartyRegistration naming a registrationID
    the VTN never issued and (b) a re-registration with such a registrationID are answered
    with an error responseCode, not 200; the real registration still works."""
    await h.register()
    record = await h.send("EiRegisterParty", CancelPartyRegistration(
        request_id=h.request_id(), registration_id="kit-no-such-registration",
        ven_id=h.ven_id))
    code = response_code(record.reply)
    h.expect(record.reply is None or (code is not None and code != 200),
             "a cancellation of an unknown registrationID is answered with an error",
             f"{record.reply_name} responseCode {code}")
    record = await h.send("EiRegisterParty", h.registration(
        ven_id=h.ven_id, registration_id="kit-no-such-registration"))
    code = response_code(record.reply)
    h.expect(record.reply is None or (code is not None and code != 200),
             "a re-registration with an unknown registrationID is answered with an error",
             f"{record.reply_name} responseCode {code}")
    await h.drain()


async def n1_0080(h: Harness) -> None:
    """oadrPoll and oadrRequestEvent from a VEN that never registered: no payload, or an
    answer with responseCode 463."""
    tries: list[tuple[str, Message]] = [
        ("OadrPoll", Poll(ven_id=UNREGISTERED_VEN)),
        ("EiEvent", RequestEvent(request_id=h.request_id(), ven_id=UNREGISTERED_VEN)),
    ]
    for service, message in tries:
        ok, seen = refused(await h.send(service, message))
        h.expect(ok, f"{type(message).__name__} while unregistered: no payload or 463", seen)


CASES = (
    ("N1_0010", "VEN Query (pull)", n1_0010, False),
    ("N1_0015", "Query while registered (pull)", n1_0015, False),
    ("N1_0020", "Bootstrap sequence (pull)", n1_0020, False),
    ("N1_0030", "VEN Cancel registration (pull)", n1_0030, False),
    ("N1_0040", "VTN Cancel registration (pull)", n1_0040, True),
    ("N1_0050", "VTN Request re-registration (pull)", n1_0050, True),
    ("N1_0060", "New registration while registered (pull)", n1_0060, False),
    ("N1_0065", "Re-registration (pull)", n1_0065, False),
    ("N1_0070", "VTN negative scenarios (pull)", n1_0070, False),
    ("N1_0080", "Payload while unregistered (pull)", n1_0080, False),
)
