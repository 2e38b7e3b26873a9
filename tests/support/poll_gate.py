"""The poll gate on its own: made-up VENs and events, and a live gate over a settable event set."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from common.clock import ManualClock
from common.messages.enums import ProfileName, TransportName
from tests.support.vtn_harness import START, fingerprint_of, simple_event
from vtn.domain import Event, Ven
from vtn.polls.gate import PollGate
from vtn.polls.in_force import EventsInForce
from vtn.storage import PollState


def make_ven(n: int) -> Ven:
    """Registered pull VEN `n` (``ven-n``, ``fingerprint_of(n)``)."""
    return Ven(
        ven_id=f"ven-{n}",
        registration_id=f"reg-{n}",
        fingerprint=fingerprint_of(n),
        ven_name=f"v{n}",
        profile=ProfileName.B,
        transport=TransportName.SIMPLE_HTTP,
        http_pull_model=True,
        transport_address=None,
        report_only=False,
        xml_signature=False,
        poll_frequency=timedelta(seconds=10),
        registered_at=START,
        updated_at=START,
        last_seen_at=START,
    )


def nothing_waiting(ven: Ven) -> PollState:
    """The poll state of `ven` with nothing waiting for it."""
    return PollState(ven=ven, events_changed=False, queued=False)


class FakeEvents:
    """The event store as ``EventsInForce`` reads it: a settable list."""

    def __init__(self) -> None:
        self.events: tuple[Event, ...] = ()

    async def list(self, **_kwargs: Any) -> tuple[Event, ...]:
        return self.events


class FakeStore:
    """A store with only the events ``EventsInForce`` reads."""

    def __init__(self) -> None:
        self.events = FakeEvents()


async def gate_on(store: FakeStore | None = None, **kwargs: Any) -> PollGate:
    """A live gate over an event set read from `store` (empty by default)."""
    in_force = EventsInForce(store or FakeStore(), ManualClock(START), live=True)  # type: ignore[arg-type]
    await in_force.current()
    return PollGate(in_force, live=True, **kwargs)


def make_event(event_id: str, number: int = 0, **kwargs: Any) -> Event:
    """A stored SIMPLE event (``simple_event(**kwargs)``) at modification `number`."""
    return Event(event_id=event_id, modification_number=number, created_at=START,
                 request=simple_event(**kwargs))
