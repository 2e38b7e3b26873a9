"""OadrPoll: the next message for a pull VEN, or oadrResponse when none waits.

Order: a VEN whose registration was cancelled only gets its queue (which holds the
cancellation). Otherwise changed events come first (oadrDistributeEvent with all current events,
when one of them is new or modified since its last delivery), then the queued messages oldest
first (oadrRegisterReport, oadrCreateReport, oadrCancelReport, oadrCancelPartyRegistration,
oadrRequestReregistration).
"""

from __future__ import annotations

from common.messages.poll import Poll, Response
from common.messages.types import EiResponse, Message
from vtn.logs import PROTOCOL, ven_label
from vtn.services.context import Caller, Vtn
from vtn.services.event import deliver_events, distribute

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
        reply = distribute(vtn, events) if events is not None else None
        if events is not None:
            await deliver_events(vtn, ven, events)
        vtn.polls.delivered(state)  # it has all its current events now
        if reply is not None:
            return reply
    # `queued` is a read (taking is a write transaction: SQLite's write lock), and most polls
    # find nothing; it covers a superset of what `take` may take.
    queued = await vtn.queue.take(ven.ven_id) if state is not None and state.queued else None
    if queued is not None:
        PROTOCOL.info("Delivered %s to VEN %s by poll", type(queued).__name__, ven_label(ven))
        return queued
    return Response(response=NOTHING_WAITS, ven_id=ven.ven_id)
