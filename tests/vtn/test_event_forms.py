"""An event's wire form is built once per second for all the VENs it reaches (``Vtn.forms``),
and each VEN still gets its own eiTarget and a payload built in that second."""

from __future__ import annotations

from datetime import timedelta

from common.messages.event import DistributeEvent
from common.xml import encode
from tests.support.vtn_harness import (
    START,
    Harness,
    add_event,
    poll,
    registered_and_drained,
)
from vtn.domain import EventTargets


async def _distributions(h: Harness, vens: dict[int, str]) -> dict[int, DistributeEvent]:
    got = {}
    for n, ven_id in vens.items():
        reply = await poll(h, ven_id, n)
        assert isinstance(reply, DistributeEvent), reply
        got[n] = reply
    return got


async def test_one_form_per_event_and_second_for_every_ven(harness: Harness) -> None:
    h = harness
    vens = {n: await registered_and_drained(h, n) for n in range(1, 6)}
    h.clock.advance(timedelta(milliseconds=300))  # within START's second
    event = await add_event(h.store, start=START + timedelta(minutes=10))
    built = h.vtn.forms.built
    got = await _distributions(h, vens)
    assert h.vtn.forms.built == built + 1  # five VENs, one form
    descriptor = got[1].events[0].event.event_descriptor
    assert descriptor.created_date_time == START  # the whole second it was built in
    assert descriptor.event_id == event.event_id
    bodies = {encode(m).replace(m.request_id.encode(), b"") for m in got.values()}
    assert len(bodies) == 1  # the same bytes but for each payload's requestID
    assert len({m.request_id for m in got.values()}) == 5
    # a modification, or a new second, is a new form
    await h.store.events.cancel(event.event_id)
    h.clock.advance(timedelta(seconds=1))
    cancelled = await _distributions(h, {1: vens[1], 2: vens[2]})
    assert h.vtn.forms.built == built + 2
    descriptor = cancelled[1].events[0].event.event_descriptor
    assert descriptor.modification_number == 1
    assert descriptor.created_date_time == START + timedelta(seconds=1)


async def test_each_ven_still_sees_only_its_own_target(harness: Harness) -> None:
    h = harness
    vens = {n: await registered_and_drained(h, n) for n in (1, 2)}
    await add_event(h.store, targets=EventTargets(ven_ids=tuple(vens.values())))
    got = await _distributions(h, vens)
    for n, ven_id in vens.items():
        assert got[n].events[0].event.target.ven_ids == (ven_id,)
    assert h.vtn.forms.built == 2  # two eiTargets: two forms
