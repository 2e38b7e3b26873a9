"""Event states on the VEN follow the clock: far, near, active, completed, cancelled."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from common.clock import ManualClock
from common.errors import NotAllowed
from common.messages.enums import EventStatus, OptType
from common.messages.event import DistributeEvent, OadrEvent
from common.messages.examples import oadr_event
from common.messages.types import Target
from ven.cli import main
from ven.client.config import parse_config
from ven.client.eventdesk import EventDesk
from ven.client.events import EventPhase, event_status, event_to_xml, summarize
from ven.client.hooks import NoEventHandler
from ven.client.store import Registration, Store, StoredEvent

START = datetime(2026, 7, 15, 18, 0, tzinfo=UTC)
REGISTRATION = Registration(vtn_id="vtn-1", ven_id="ven-1", registration_id="reg-1",
                            poll_freq=timedelta(seconds=10),
                            registered_at=START - timedelta(days=1))


def wire_event(event_id: str = "ev-1", *, start: datetime = START,
               ramp_up: timedelta | None = None,
               status: EventStatus = EventStatus.FAR, number: int = 0) -> OadrEvent:
    base = oadr_event(full=False)
    event = base.event
    return dataclasses.replace(base, event=dataclasses.replace(
        event,
        target=Target(ven_ids=(REGISTRATION.ven_id,)),  # the example targets another VEN
        event_descriptor=dataclasses.replace(event.event_descriptor, event_id=event_id,
                                             event_status=status, modification_number=number),
        active_period=dataclasses.replace(event.active_period, dtstart=start, ramp_up=ramp_up)))


def distribute(*events: OadrEvent) -> DistributeEvent:
    return DistributeEvent(request_id="dist-1", vtn_id="vtn-1", events=events)


def test_status_follows_the_clock():
    item = wire_event(ramp_up=timedelta(minutes=10))
    end = START + timedelta(hours=1)

    def at(moment: datetime, phase: EventPhase = EventPhase.ACTIVE,
           event: OadrEvent = item) -> EventStatus:
        return event_status(event.event, phase, START, end, moment)

    assert at(START - timedelta(minutes=30)) is EventStatus.FAR
    assert at(START - timedelta(minutes=5)) is EventStatus.NEAR  # within the ramp-up
    assert at(START) is EventStatus.ACTIVE
    assert at(end) is EventStatus.COMPLETED
    assert at(START, EventPhase.CANCELLED) is EventStatus.CANCELLED
    assert at(START, EventPhase.IMPLIED_CANCELLED) is EventStatus.CANCELLED
    # no ramp-up: 'near' is what the VTN said, 'far' otherwise; never 'active' before the start
    said_near = wire_event(status=EventStatus.NEAR)
    assert at(START - timedelta(minutes=5), event=said_near) is EventStatus.NEAR
    assert at(START - timedelta(minutes=5), event=wire_event()) is EventStatus.FAR
    said_active = wire_event(status=EventStatus.ACTIVE)  # our randomised start is later
    assert at(START - timedelta(minutes=1), event=said_active) is EventStatus.NEAR


@pytest.fixture
async def desk(tmp_path: Path):
    config = parse_config(f"""
[vtn]
url = "http://127.0.0.1:9/OpenADR2/Simple/2.0b"
allow_plain_http = true
[ven]
name = "v"
database = "{tmp_path / 'ven.sqlite'}"
[events]
auto_answer = false
""")
    store = await Store.open(config.database)
    await store.save_registration(REGISTRATION)
    clock = ManualClock(START - timedelta(minutes=30))
    yield EventDesk(store=store, config=config, clock=clock, handler=NoEventHandler(),
                    device_ids=()), clock, store
    await store.close()


async def test_states_change_with_time_and_are_logged(desk, caplog: pytest.LogCaptureFixture):
    events, clock, store = desk
    caplog.set_level(logging.INFO, logger="ven.client")
    await events.on_distribute(distribute(wire_event(ramp_up=timedelta(minutes=10))),
                               REGISTRATION)
    (state,) = await events.invitations()
    assert state.status is EventStatus.FAR

    clock.advance(timedelta(minutes=25))  # five minutes before the start
    caplog.clear()
    await events.track()
    (state,) = await events.invitations()
    assert state.status is EventStatus.NEAR
    assert "Event ev-1: far -> near at 2026-07-15 17:50:00 UTC" in caplog.messages

    clock.advance(timedelta(minutes=5))
    await events.track()
    assert "Event ev-1: near -> active at 2026-07-15 18:00:00 UTC" in caplog.messages

    clock.advance(timedelta(hours=1))  # the event (4 x 15 min) is over: no new event needed
    caplog.clear()
    await events.track()
    assert caplog.messages == ["Event ev-1: active -> completed at 2026-07-15 19:00:00 UTC"]
    (stored,) = await store.events()
    assert stored.phase == EventPhase.COMPLETED
    await events.track()  # said once
    assert len(caplog.messages) == 1


async def test_an_event_not_started_can_be_answered_an_ended_one_says_why(desk):
    events, clock, _ = desk
    await events.on_distribute(distribute(wire_event()), REGISTRATION)
    await events.answer("ev-1", OptType.OPT_OUT)  # far: accepted
    clock.set(START + timedelta(hours=2))
    with pytest.raises(NotAllowed, match="event ev-1 has completed"):
        await events.answer("ev-1", OptType.OPT_IN)


def _seed(database: Path, now: datetime) -> None:
    async def go() -> None:
        store = await Store.open(database)
        await store.save_registration(REGISTRATION)
        stored = []
        for event_id, start, ramp in (("soon", now + timedelta(minutes=5), timedelta(minutes=10)),
                                      ("later", now + timedelta(hours=3), None),
                                      ("over", now - timedelta(hours=2), None)):
            item = wire_event(event_id, start=start.replace(microsecond=0), ramp_up=ramp)
            start = item.event.active_period.dtstart
            stored.append(StoredEvent(
                event_id=event_id, modification_number=0, phase="active",
                event_xml=event_to_xml(item, "vtn-1"), effective_start=start,
                end=start + timedelta(hours=1), received_at=now - timedelta(hours=3),
                summary=summarize(item.event, start), request_id="dist-1"))
        await store.save_events(stored)
        await store.close()
    asyncio.run(go())


def test_status_and_invitations_show_the_state_at_this_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    config = tmp_path / "ven.toml"
    config.write_text('[vtn]\nurl = "http://127.0.0.1:9/x"\nallow_plain_http = true\n'
                      '[ven]\nname = "v"\ndatabase = "ven.sqlite"\n[events]\nauto_answer = false\n')
    _seed(tmp_path / "ven.sqlite", datetime.now(UTC))
    assert main(["status", "--config", str(config), "--json"]) == 0
    shown = {e["event_id"]: e["status"] for e in json.loads(capsys.readouterr().out)["events"]}
    assert shown == {"soon": "near", "later": "far", "over": "completed"}
    assert main(["invitations", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "soon (mod 0, near)" in out and "later (mod 0, far)" in out and "over" not in out
