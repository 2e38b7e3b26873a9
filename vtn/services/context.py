"""What every service handler receives: the VTN (config, store, clock, queue) and the caller."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import uuid4

from common.clock import Clock
from common.errors import NotRegisteredOrAuthorized
from common.messages.types import EiResponse
from common.security import Signer
from vtn.config import VtnConfig
from vtn.domain import Ven
from vtn.polls import Waiting, WaitingWork
from vtn.services.deliverylog import DeliveryLog
from vtn.services.eventforms import EventForms
from vtn.services.queue import MessageQueue
from vtn.storage import Store

__all__ = ["Caller", "Vtn", "new_request_id", "ok"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Vtn:
    """The VTN's protocol side: configuration, persistence, time, signing, the VEN queues, and
    what each VEN has waiting (``polls``: from the database, or cached)."""

    config: VtnConfig
    store: Store
    clock: Clock
    queue: MessageQueue
    polls: WaitingWork
    signer: Signer | None = None
    deliveries: DeliveryLog = field(default_factory=DeliveryLog)
    forms: EventForms = field(default_factory=EventForms)
    """Each event's wire form, built once per second for all the VENs it reaches."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Caller:
    """Who sent the message being handled.

    ``fingerprint`` is the authenticated certificate fingerprint (``None`` on plain HTTP without
    a proxy header); ``ven`` the VEN it belongs to (``None`` before registration); ``remote``
    the peer's address, for the log; ``waiting`` what an oadrPoll needs, when already known.
    """

    fingerprint: str | None
    ven: Ven | None
    remote: str
    waiting: Waiting | None = None
    """For an oadrPoll: the VEN and what waits for it, found with the VEN by the boundary
    (``Vtn.polls``; ``None``: the poll handler asks)."""

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
