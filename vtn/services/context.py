"""What every service handler receives: the VTN (config, store, clock, queue) and the caller."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from uuid import uuid4

from common.clock import Clock
from common.errors import NotRegisteredOrAuthorized
from common.messages.types import EiResponse
from common.security import Signer
from vtn.config import VtnConfig
from vtn.domain import Ven
from vtn.services.deliverylog import DeliveryLog
from vtn.services.queue import MessageQueue
from vtn.storage import PollState, Store

if TYPE_CHECKING:
    from vtn.services.inforce import EventsInForce
    from vtn.services.pollgate import PollGate, Token

__all__ = ["Caller", "Vtn", "new_request_id", "ok"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Vtn:
    """The VTN's protocol side: configuration, persistence, time, signing and the VEN queues;
    ``events`` holds the events in force in memory and ``gate`` the VENs whose state is known
    (``None``: ``poll_cache`` is off, everything is read from the database)."""

    config: VtnConfig
    store: Store
    clock: Clock
    queue: MessageQueue
    signer: Signer | None = None
    events: EventsInForce | None = None
    gate: PollGate | None = None
    deliveries: DeliveryLog = field(default_factory=DeliveryLog)


@dataclass(frozen=True, slots=True, kw_only=True)
class Caller:
    """Who sent the message being handled.

    ``fingerprint`` is the authenticated certificate fingerprint (``None`` on plain HTTP without
    a proxy header); ``ven`` the VEN it belongs to (``None`` before registration); ``remote``
    the peer's address, for the log; ``poll`` what an oadrPoll needs, when already read.
    """

    fingerprint: str | None
    ven: Ven | None
    remote: str
    poll: PollState | None = None
    """For an oadrPoll: the VEN and whether anything waits for it, read with the VEN in one
    query (or known to the poll gate) by the boundary (``None``: the poll handler reads it)."""
    poll_token: Token | None = None
    """The poll gate's token, taken before ``poll`` was read."""
    poll_read: bool = True
    """``poll`` was read from the database (not known to the poll gate)."""

    def registered(self) -> Ven:
        """The caller's VEN; ``NotRegisteredOrAuthorized`` (463) if it is not registered."""
        if self.ven is None:
            raise NotRegisteredOrAuthorized("this VEN is not registered; register first")
        return self.ven


def new_request_id() -> str:
    """A fresh requestID for a message the VTN originates."""
    return uuid4().hex


def ok(request_id: str) -> EiResponse:
    """The eiResponse of a successful request."""
    return EiResponse(response_code=200, request_id=request_id, response_description="OK")
