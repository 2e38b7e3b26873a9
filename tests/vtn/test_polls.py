"""The poll hot path (one query per empty oadrPoll), the push sweep's query, and the counts of
the delivery log line (no VEN or invitation list is loaded)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest

from common.clock import ManualClock
from common.messages.enums import OptType
from common.messages.event import DistributeEvent
from common.messages.poll import Poll, Response
from tests.support.push import FakeVen, push_worker, register_push
from tests.support.vtn_harness import (
    START,
    Harness,
    add_event,
    fingerprint_of,
    simple_event,
)
from vtn.domain import EventTargets, VenRegistration
from vtn.domain.event import CANCELLATION_RESENT_FOR
from vtn.services.deliverylog import PROGRESS_INTERVAL
from vtn.services.event import deliver_events
from vtn.storage import Store

HOUR = timedelta(hours=1)


@pytest.fixture
def clock() -> ManualClock:
    """The conftest store's clock, at START."""
    return ManualClock(START)


def _registration(n: int, **changes: Any) -> VenRegistration:
    return VenRegistration(fingerprint=fingerprint_of(n), ven_name=f"ven {n}", **changes)


def _push(n: int, **changes: Any) -> VenRegistration:
    return _registration(
        n, http_pull_model=False, transport_address="https://ven.test/x", **changes
    )


async def _changed(store: Store, ven_id: str, now: Any = START) -> bool:
    state = await store.polls.state(ven_id=ven_id, now=now)
    assert state is not None
    return state.events_changed


def _forbid(monkeypatch: pytest.MonkeyPatch, target: object, *names: str) -> None:
    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("not on this path")

    for name in names:
        monkeypatch.setattr(target, name, refuse)


# ---- polls.state -----------------------------------------------------------------------------


async def test_state_is_the_ven_by_id_or_fingerprint_with_its_memberships(store: Store) -> None:
    ven = await store.vens.create(_registration(1))
    ven = await store.vens.assign(ven.ven_id, group_ids=["g2", "g1"], party_ids=["p"])
    by_id = await store.polls.state(ven_id=ven.ven_id, now=START)
    by_fingerprint = await store.polls.state(fingerprint=ven.fingerprint, now=START)
    assert by_id == by_fingerprint
    assert by_id is not None and by_id.ven == await store.vens.get(ven.ven_id)
    assert (by_id.events_changed, by_id.queued) == (False, False)
    assert await store.polls.state(ven_id="nobody", now=START) is None
    assert await store.polls.state(fingerprint=fingerprint_of(99), now=START) is None
    with pytest.raises(ValueError):
        await store.polls.state(now=START)


async def test_events_changed_follows_targets_deliveries_and_modifications(store: Store) -> None:
    ven = (await store.vens.create(_registration(1))).ven_id
    other = (await store.vens.create(_registration(2))).ven_id
    await store.vens.assign(ven, group_ids=["north"])
    await store.events.create(simple_event(targets=EventTargets(ven_ids=(other,))))
    await store.events.create(simple_event(targets=EventTargets(group_ids=("south",))))
    assert not await _changed(store, ven)  # nothing for this VEN
    assert await _changed(store, other)
    event = await store.events.create(simple_event(targets=EventTargets(group_ids=("north",))))
    assert await _changed(store, ven)
    # an answer without a delivery does not count as having it
    await store.invitations.record_opt(
        event.event_id, ven, modification_number=0, opt_type=OptType.OPT_IN
    )
    assert await _changed(store, ven)
    await store.invitations.mark_all_delivered(ven, {event.event_id: 0})
    assert not await _changed(store, ven)
    await store.events.modify(event.event_id, simple_event(targets=event.request.targets))
    assert await _changed(store, ven)
    await store.invitations.mark_all_delivered(ven, {event.event_id: 1})
    assert not await _changed(store, ven)
    cancelled = await store.events.cancel(event.event_id)
    assert await _changed(store, ven)  # the cancellation is news, for a day
    assert not await _changed(store, ven, START + timedelta(hours=25))
    await store.invitations.mark_all_delivered(ven, {event.event_id: cancelled.modification_number})
    # delivered, but the cancellation needs an answer (responseRequired always): it is sent
    # again (at each poll) until the VEN acknowledges it, for CANCELLATION_RESENT_FOR at most
    assert await _changed(store, ven)
    assert not await _changed(store, ven, START + CANCELLATION_RESENT_FOR)
    await store.invitations.record_opt(
        event.event_id, ven, modification_number=cancelled.modification_number,
        opt_type=OptType.OPT_IN,
    )
    assert not await _changed(store, ven)


async def test_events_changed_ignores_ended_events_and_vens_without_events(store: Store) -> None:
    pull = (await store.vens.create(_registration(1))).ven_id
    report_only = (await store.vens.create(_registration(2, report_only=True))).ven_id
    cancelled = (await store.vens.create(_registration(3))).ven_id
    await store.vens.cancel(cancelled)
    await add_event(store, start=START - 2 * HOUR, duration=HOUR)  # over
    assert not await _changed(store, pull)
    await add_event(store)
    assert await _changed(store, pull)
    assert not await _changed(store, report_only)
    assert not await _changed(store, cancelled)
    assert not await _changed(store, pull, START + 3 * HOUR)  # that one is over too by then


async def test_queued_is_true_while_an_item_waits(store: Store) -> None:
    ven = (await store.vens.create(_registration(1))).ven_id
    other = (await store.vens.create(_registration(2))).ven_id
    await store.outbox.enqueue(other, b"<x/>")
    state = await store.polls.state(ven_id=ven, now=START)
    assert state is not None and not state.queued
    await store.outbox.enqueue(ven, b"<x/>")
    state = await store.polls.state(ven_id=ven, now=START)
    assert state is not None and state.queued
    assert await store.outbox.take_next(ven, worker="poll") is not None
    state = await store.polls.state(ven_id=ven, now=START)
    assert state is not None and not state.queued


# ---- the push sweep --------------------------------------------------------------------------


async def test_push_vens_with_changed_events_selects_only_push_vens(store: Store) -> None:
    await store.vens.create(_registration(1))  # pull
    push = (await store.vens.create(_push(2))).ven_id
    await store.vens.create(_push(3, report_only=True))
    gone = (await store.vens.create(_push(4))).ven_id
    await store.vens.cancel(gone)
    assert await store.polls.push_vens_with_changed_events(START) == ()  # no event yet
    event = await add_event(store)
    assert await store.polls.push_vens_with_changed_events(START) == (push,)
    await store.invitations.mark_all_delivered(push, {event.event_id: 0})
    assert await store.polls.push_vens_with_changed_events(START) == ()


async def test_sweep_queries_push_vens_and_loads_no_ven_list(
    push_harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = push_harness
    await h.register(fingerprint_of(40), "puller")
    ven_id = await register_push(h)
    await add_event(h.store)
    _forbid(monkeypatch, h.store.vens, "list")
    worker = push_worker(h, FakeVen(ven_id))
    await worker.sweep_events()
    await worker.sweep_events()  # one oadrDistributeEvent waits already: no second one
    queued = [i for i in await h.store.outbox.pending() if b"oadrDistributeEvent" in i.payload]
    assert [i.ven_id for i in queued] == [ven_id]


# ---- the delivery log line -------------------------------------------------------------------


async def test_delivery_counts(store: Store) -> None:
    a = (await store.vens.create(_registration(1))).ven_id
    b = (await store.vens.create(_registration(2))).ven_id
    await store.vens.create(_registration(3))
    await store.vens.create(_registration(4, report_only=True))
    await store.vens.assign(b, group_ids=["north"])
    listed = await store.events.create(
        simple_event(targets=EventTargets(ven_ids=(a,), group_ids=("north",)))
    )
    everyone = await add_event(store)
    assert await store.invitations.delivery_counts(listed.event_id, 0) == (0, 2)
    assert await store.invitations.delivery_counts(everyone.event_id, 0) == (0, 3)
    await store.invitations.mark_all_delivered(a, {listed.event_id: 0, everyone.event_id: 0})
    assert await store.invitations.delivery_counts(listed.event_id, 0) == (1, 2)
    assert await store.invitations.delivery_counts(listed.event_id, 1) == (0, 2)
    await store.vens.cancel(b)
    assert await store.invitations.delivery_counts(listed.event_id, 0) == (1, 1)


async def test_delivery_log_says_k_of_n_without_loading_every_ven(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    h = harness
    ids = [(await h.register(fingerprint_of(n), f"ven {n}")).ven_id for n in range(3)]
    event = await add_event(h.store)
    _forbid(monkeypatch, h.store.vens, "list")
    _forbid(monkeypatch, h.store.invitations, "list_for_event")
    ven = await h.store.vens.get(ids[0])
    with caplog.at_level(logging.INFO, logger="oadr.vtn.protocol"):
        await deliver_events(h.vtn, ven, [event])
    lines = [r.getMessage() for r in caplog.records if "VENs have it" in r.getMessage()]
    assert lines == [
        f"Event {event.event_id} (modification 0) delivered to VEN {ids[0]} (ven 0): "
        "1 of 3 VENs have it"
    ]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="oadr.vtn.protocol"):  # no counts needed
        _forbid(monkeypatch, h.store.invitations, "delivery_counts", "list_for_ven")
        await deliver_events(h.vtn, await h.store.vens.get(ids[1]), [event])
    invitation = await h.store.invitations.get(event.event_id, ids[1])
    assert invitation is not None and invitation.is_current(0)


async def test_delivery_progress_is_said_at_most_every_interval(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    h = harness
    ids = [(await h.register(fingerprint_of(n), f"ven {n}")).ven_id for n in range(4)]
    event = await add_event(h.store)
    counted: list[str] = []
    counts = h.store.invitations.delivery_counts

    async def counting(event_id: str, number: int) -> tuple[int, int]:
        counted.append(event_id)
        return await counts(event_id, number)

    monkeypatch.setattr(h.store.invitations, "delivery_counts", counting)
    with caplog.at_level(logging.DEBUG, logger="oadr.vtn.protocol"):
        for ven_id in ids[:3]:
            await deliver_events(h.vtn, await h.store.vens.get(ven_id), [event])
        h.clock.advance(PROGRESS_INTERVAL)
        await deliver_events(h.vtn, await h.store.vens.get(ids[3]), [event])
    progress = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO
                and "VENs have it" in r.getMessage()]
    assert [line.rsplit(": ", 1)[1] for line in progress] == [
        "1 of 4 VENs have it", "4 of 4 VENs have it"]
    assert len(counted) == 2  # counted for the INFO lines only
    each = [r for r in caplog.records
            if r.levelno == logging.DEBUG and "delivered" in r.getMessage()]
    assert len(each) == 4


# ---- the boundary ----------------------------------------------------------------------------


async def test_an_empty_poll_is_one_query(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    fingerprint = fingerprint_of(1)
    ven_id = (await h.register(fingerprint)).ven_id
    while not isinstance(
        reply := await h.post("OadrPoll", Poll(ven_id=ven_id), fingerprint=fingerprint), Response
    ):
        pass  # drain what registration queued
    _forbid(monkeypatch, h.store.vens, "get", "by_fingerprint")
    _forbid(monkeypatch, h.store.events, "for_ven")
    _forbid(monkeypatch, h.store.outbox, "pending", "take_next")
    _forbid(monkeypatch, h.store.invitations, "list_for_ven")
    reply = await h.post("OadrPoll", Poll(ven_id=ven_id), fingerprint=fingerprint)
    assert isinstance(reply, Response) and reply.response.response_code == 200
    monkeypatch.undo()
    await add_event(h.store)
    reply = await h.post("OadrPoll", Poll(ven_id=ven_id), fingerprint=fingerprint)
    assert isinstance(reply, DistributeEvent) and len(reply.events) == 1
    reply = await h.post("OadrPoll", Poll(ven_id=ven_id), fingerprint=fingerprint)
    assert isinstance(reply, Response)


