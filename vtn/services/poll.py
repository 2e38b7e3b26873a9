"""OadrPoll: the next message for a pull VEN, or oadrResponse when none waits.

Order: a VEN whose registration was cancelled only gets its queue (which holds the VTN's
cancellation), then 463 until it registers again (N1_0030, N1_0040). Otherwise changed events
come first (oadrDistributeEvent with all current events, when one of them is new or modified
since its last delivery), then the queued messages oldest first (oadrRegisterReport,
oadrCreateReport, oadrCancelReport, oadrCancelPartyRegistration, oadrRequestReregistration; an
oadrDistributeEvent the push sweep queued for a VEN that pushed then is built at the poll, with
the VEN's current events).
"""

from __future__ import annotations

from common.errors import NotRegisteredOrAuthorized
from common.messages.event import DistributeEvent
from common.messages.poll import Poll, Response
from common.messages.types import EiResponse, Message
from vtn.domain.event import awaits_acknowledgement
from vtn.logs import PROTOCOL, ven_label
from vtn.services.context import Caller, Vtn
from vtn.services.event import current_events, deliver_events, distribute

__all__ = ["NOTHING_WAITS", "handle_poll"]

NOTHING_WAITS = EiResponse(response_code=200, request_id="", response_description="OK")
"""The eiResponse of the oadrResponse to a poll with nothing waiting."""


async def handle_poll(vtn: Vtn, caller: Caller, message: Poll) -> Message:
    """oadrPoll: what is waiting for the VEN.

    The boundary gives what waits (``caller.waiting``, from ``vtn.polls``: known without a
    query, or read with the VEN itself in one). The full paths run only when it says events
    changed (its current events and its deliveries) or the queue holds an item.
    """
    ven = caller.registered()
    state = caller.waiting
    if state is None or state.ven.ven_id != ven.ven_id:
        state = await vtn.polls.waiting(vtn.clock.now(), ven_id=ven.ven_id)
    if state is not None and state.events_changed:
        # Its deliveries are read again: another worker may have delivered the events since.
        events = await vtn.polls.new_events(ven, waiting=state)
        reply = distribute(vtn, ven, events) if events is not None else None
        if events is not None:
            await deliver_events(vtn, ven, events)
        now = vtn.clock.now()
        if events is None or not any(awaits_acknowledgement(e, None, now) for e in events):
            # it has all its current events now (not while a cancellation awaits its answer:
            # that is sent again at its next poll, ``vtn.polls.unseen``)
            vtn.polls.delivered(state)
        if reply is not None:
            return reply
    # `queued` is a read (taking is a write transaction: SQLite's write lock), and most polls
    # find nothing; it covers a superset of what `take` may take.
    queued = await vtn.queue.take(ven.ven_id) if state is not None and state.queued else None
    if isinstance(queued, DistributeEvent):
        # The push sweep queues an empty placeholder that the push worker fills as it sends it
        # (``vtn.push``); a VEN that switched to polling before it was sent gets it filled now
        # with its current events: an empty oadrDistributeEvent would tell it it has none.
        events = await current_events(vtn, ven)
        queued = distribute(vtn, ven, events)
        await deliver_events(vtn, ven, events)
    if queued is not None:
        PROTOCOL.info("Delivered %s to VEN %s by poll", type(queued).__name__, ven_label(ven))
        return queued
    if ven.cancelled:  # N1_0030/N1_0040: refused until it registers again
        raise NotRegisteredOrAuthorized(f"the registration of VEN {ven.ven_id} is cancelled")
    return Response(response=NOTHING_WAITS, ven_id=ven.ven_id)
