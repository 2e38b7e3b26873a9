"""VTN storage on SQLite and PostgreSQL: VENs, events and their targeting, invitations, opts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from common.messages.enums import (
    ExtensionValue,
    ItemKind,
    OptReason,
    OptType,
    ResponseRequired,
    SignalName,
    SignalType,
    SiScaleCode,
)
from common.messages.types import ItemBase
from tests.support.storage import T0  # the conftest clock starts there
from vtn.domain import (
    AvailabilityPeriod,
    Baseline,
    EventRequest,
    EventTargets,
    Opt,
    Signal,
    SignalInterval,
    VenRegistration,
    distribution_order,
    priority_rank,
)
from vtn.domain.event import COMPLETED_VISIBLE_FOR
from vtn.storage import Conflict, NotFound

HOUR = timedelta(hours=1)


def registration(n: int, **changes) -> VenRegistration:
    values = {"fingerprint": f"aa:bb:cc:dd:ee:ff:00:11:22:{n:02x}", "ven_name": f"ven {n}"}
    return VenRegistration(**(values | changes))


def request(
    targets: EventTargets,
    *,
    start: datetime = T0 + HOUR,
    duration: timedelta = HOUR,
    priority: int = 0,
    **changes,
) -> EventRequest:
    signal = Signal(
        signal_name=SignalName.SIMPLE,
        signal_type=SignalType.LEVEL,
        signal_id="simple",
        intervals=(SignalInterval(duration=duration or HOUR, value=1.0),),
    )
    return EventRequest(
        targets=targets,
        market_context="http://mc.example/program",
        signals=(signal,),
        start=start,
        duration=duration,
        priority=priority,
        **changes,
    )


# ---- VENs ---------------------------------------------------------------------------------


async def test_a_ven_is_created_and_found_by_id_fingerprint_and_registration(store, clock):
    reg = registration(
        1,
        http_pull_model=False,
        transport_address="https://ven1.example/oadr",
        xml_signature=True,
        poll_frequency=timedelta(seconds=30),
    )
    ven = await store.vens.create(reg)
    assert ven.fingerprint == reg.fingerprint
    assert ven.push and ven.transport_address == "https://ven1.example/oadr"
    assert ven.xml_signature and not ven.report_only
    assert ven.poll_frequency == timedelta(seconds=30)
    assert ven.registered_at == ven.updated_at == ven.last_seen_at == T0
    assert ven.registered_at.tzinfo is UTC
    assert not ven.cancelled
    assert await store.vens.get(ven.ven_id) == ven
    assert await store.vens.by_fingerprint(reg.fingerprint) == ven
    assert await store.vens.by_registration_id(ven.registration_id) == ven
    assert await store.vens.by_fingerprint("00:00") is None
    assert await store.vens.list() == (ven,)


async def test_a_chosen_ven_id_is_kept_and_duplicates_conflict(store):
    ven = await store.vens.create(registration(1, ven_id="ven-one"))
    assert ven.ven_id == "ven-one"
    with pytest.raises(Conflict):
        await store.vens.create(registration(2, ven_id="ven-one"))
    with pytest.raises(Conflict):
        await store.vens.create(registration(1))  # same certificate
    assert [v.ven_id for v in await store.vens.list()] == ["ven-one"]


async def test_unknown_vens_are_not_found(store):
    with pytest.raises(NotFound):
        await store.vens.get("nobody")
    with pytest.raises(NotFound):
        await store.vens.touch("nobody")
    with pytest.raises(NotFound):
        await store.vens.cancel("nobody")
    with pytest.raises(NotFound):
        await store.vens.reregister("nobody", registration(1))


async def test_touch_records_when_a_ven_was_last_heard_from(store, clock):
    ven = await store.vens.create(registration(1))
    clock.advance(timedelta(minutes=5))
    await store.vens.touch(ven.ven_id)
    touched = await store.vens.get(ven.ven_id)
    assert touched.last_seen_at == T0 + timedelta(minutes=5)
    assert touched.updated_at == T0


async def test_cancel_keeps_the_row_and_reregistration_revives_it(store, clock):
    ven = await store.vens.create(registration(1))
    await store.vens.assign(ven.ven_id, group_ids=["g1"])
    clock.advance(HOUR)
    cancelled = await store.vens.cancel(ven.ven_id)
    assert cancelled.cancelled and cancelled.cancelled_at == T0 + HOUR
    assert await store.vens.cancel(ven.ven_id) == cancelled  # idempotent
    assert await store.vens.list() == ()
    assert await store.vens.list(include_cancelled=True) == (cancelled,)
    assert (await store.vens.by_fingerprint(ven.fingerprint)).cancelled

    clock.advance(HOUR)
    revived = await store.vens.reregister(
        ven.ven_id, registration(1, ven_name="renamed", report_only=True)
    )
    assert not revived.cancelled
    assert revived.registration_id != ven.registration_id
    assert revived.ven_name == "renamed" and revived.report_only
    assert revived.registered_at == T0 and revived.updated_at == T0 + 2 * HOUR
    assert revived.group_ids == ("g1",)
    assert await store.vens.by_registration_id(ven.registration_id) is None


async def test_assignments_are_replaced_per_kind(store):
    ven = await store.vens.create(registration(1))
    ven = await store.vens.assign(
        ven.ven_id, group_ids=["g2", "g1", "g1"], resource_ids=["r1"], party_ids=["p1"]
    )
    assert (ven.group_ids, ven.resource_ids, ven.party_ids) == (("g1", "g2"), ("r1",), ("p1",))
    ven = await store.vens.assign(ven.ven_id, resource_ids=[])
    assert (ven.group_ids, ven.resource_ids, ven.party_ids) == (("g1", "g2"), (), ("p1",))
    assert (await store.vens.list())[0] == ven


# ---- events -------------------------------------------------------------------------------


async def test_an_event_round_trips_with_every_field(store, clock):
    kw = ItemBase.power(scale=SiScaleCode.KILO)
    price = ItemBase.currency("USD")
    signals = (
        Signal(
            signal_name=ExtensionValue("x-loadShed"),
            signal_type=SignalType.DELTA,
            signal_id="shed",
            intervals=(
                SignalInterval(duration=timedelta(minutes=30), value=50.0),
                SignalInterval(duration=timedelta(minutes=30), value=75.5),
            ),
            item_base=kw,
        ),
        Signal(
            signal_name=SignalName.ELECTRICITY_PRICE,
            signal_type=SignalType.PRICE,
            signal_id="price",
            intervals=(SignalInterval(duration=HOUR, value=0.42),),
            item_base=price,
        ),
    )
    baseline = Baseline(
        baseline_id="b1",
        baseline_name="10-in-10",
        start=T0 + HOUR,
        intervals=(SignalInterval(duration=HOUR, value=120.0),),
        item_base=ItemBase.fixed(ItemKind.ENERGY_REAL, scale=SiScaleCode.KILO),
        resource_ids=("r1",),
    )
    req = EventRequest(
        targets=EventTargets(ven_ids=("v1",), group_ids=("g1",), resource_ids=("r1",)),
        market_context="http://mc.example/program",
        signals=signals,
        start=T0 + HOUR,
        duration=HOUR,
        priority=2,
        test_event=True,
        response_required=ResponseRequired.NEVER,
        tolerance_startafter=timedelta(minutes=5),
        notification=timedelta(hours=24),
        ramp_up=timedelta(minutes=15),
        recovery=timedelta(minutes=10, microseconds=7),
        baseline=baseline,
        vtn_comment="summer peak",
    )
    event = await store.events.create(req, event_id="evt-1")
    assert event.event_id == "evt-1"
    assert event.modification_number == 0
    assert event.created_at == T0 and event.modified_at is None
    assert event.request == req
    assert await store.events.get("evt-1") == event
    with pytest.raises(Conflict):
        await store.events.create(req, event_id="evt-1")
    with pytest.raises(NotFound):
        await store.events.get("evt-2")


async def test_modify_bumps_the_modification_number_and_replaces_targets(store, clock):
    event = await store.events.create(request(EventTargets(ven_ids=("v1",))))
    clock.advance(timedelta(minutes=10))
    changed = request(EventTargets(group_ids=("g9",)), duration=2 * HOUR, priority=1)
    modified = await store.events.modify(event.event_id, changed, reason="longer")
    assert modified.modification_number == 1
    assert modified.modified_at == T0 + timedelta(minutes=10)
    assert modified.modification_reason == "longer"
    assert modified.created_at == event.created_at
    assert modified.request == changed
    assert await store.events.get(event.event_id) == modified

    again = await store.events.modify(event.event_id, changed, expected_modification_number=1)
    assert again.modification_number == 2
    with pytest.raises(Conflict, match="modification 2, not 1"):
        await store.events.modify(event.event_id, changed, expected_modification_number=1)
    with pytest.raises(NotFound):
        await store.events.modify("nope", changed)


async def test_cancel_is_a_modification_and_final(store, clock):
    event = await store.events.create(request(EventTargets.everyone()))
    clock.advance(timedelta(minutes=1))
    cancelled = await store.events.cancel(event.event_id, reason="grid ok")
    assert cancelled.cancelled and cancelled.cancelled_at == T0 + timedelta(minutes=1)
    assert cancelled.modification_number == 1
    assert cancelled.modification_reason == "grid ok"
    assert cancelled.request == event.request
    assert cancelled.status(clock.now()).value == "cancelled"
    with pytest.raises(Conflict, match="cancelled"):
        await store.events.cancel(event.event_id)
    with pytest.raises(Conflict, match="cancelled"):
        await store.events.modify(event.event_id, event.request)
    assert await store.events.get(event.event_id) == cancelled


async def test_for_ven_targets_by_ven_group_resource_party_and_all(store):
    a = await store.vens.create(registration(1, ven_id="a"))
    b = await store.vens.create(registration(2, ven_id="b"))
    c = await store.vens.create(registration(3, ven_id="c"))
    await store.vens.create(registration(4, ven_id="d"))
    await store.vens.assign(a.ven_id, group_ids=["north"])
    await store.vens.assign(b.ven_id, resource_ids=["battery-7"], group_ids=["south"])
    await store.vens.assign(c.ven_id, party_ids=["acme"])

    created = {}
    for name, targets in {
        "all": EventTargets.everyone(),
        "to-a": EventTargets(ven_ids=("a",)),
        "north": EventTargets(group_ids=("north",)),
        "battery": EventTargets(resource_ids=("battery-7",)),
        "acme": EventTargets(party_ids=("acme",)),
        "mixed": EventTargets(ven_ids=("d",), party_ids=("acme",)),
        "nobody": EventTargets(group_ids=("east",), ven_ids=("z",)),
    }.items():
        created[name] = await store.events.create(request(targets), event_id=name)

    async def names(ven_id: str) -> set[str]:
        return {e.event_id for e in await store.events.for_ven(ven_id, T0)}

    assert await names("a") == {"all", "to-a", "north"}
    assert await names("b") == {"all", "battery"}
    assert await names("c") == {"all", "acme", "mixed"}
    assert await names("d") == {"all", "mixed"}
    assert await names("unknown-ven") == {"all"}
    # targets come back as given
    assert (await store.events.for_ven("d", T0))[1] == created["mixed"]


def test_priority_rank_puts_one_first_and_zero_last():
    # oadr_ei_20b.xsd ei:priority: lower number = higher priority; 0 = no priority (lowest)
    assert sorted([0, 3, 1, 2, 0], key=priority_rank) == [1, 2, 3, 0, 0]


async def test_for_ven_orders_active_first_then_priority_with_zero_last_then_start(store):
    await store.vens.create(registration(1, ven_id="v"))
    everyone = EventTargets.everyone()
    for event_id, start, priority in [
        ("active-none", T0 - HOUR / 2, 0),
        ("active-2", T0 - HOUR / 4, 2),
        ("active-1-cancelled", T0 - HOUR / 4, 1),
        ("none-soon", T0 + HOUR, 0),
        ("p3-soon", T0 + HOUR, 3),
        ("p1-late", T0 + 4 * HOUR, 1),
        ("p1-soon", T0 + 2 * HOUR, 1),
        ("none-late", T0 + 3 * HOUR, 0),
    ]:
        await store.events.create(
            request(everyone, start=start, priority=priority), event_id=event_id
        )
    await store.events.cancel("active-1-cancelled")  # cancelled: no longer active

    events = await store.events.for_ven("v", T0)
    assert [e.event_id for e in events] == [
        "active-2", "active-none",                # active, priority 2 before none
        # then every other event (cancelled ones too) by start time alone, whatever its
        # priority (A_E3_0510/0520/0525); the event id breaks ties
        "active-1-cancelled", "none-soon", "p3-soon", "p1-soon", "none-late", "p1-late",
    ]  # fmt: skip
    # the SQL order is the domain's order
    assert list(events) == sorted(events, key=lambda e: distribution_order(e, T0))


async def test_for_ven_keeps_events_until_they_end_and_cancelled_ones_for_a_while(store):
    await store.vens.create(registration(1, ven_id="v"))
    everyone = EventTargets.everyone()
    for event_id, start, duration, priority in [
        ("late", T0 + 5 * HOUR, HOUR, 1),
        ("soon", T0 + HOUR, HOUR, 1),
        ("unranked", T0 + 9 * HOUR, HOUR, 0),
        ("over", T0 - 3 * HOUR, HOUR, 0),
        ("open", T0 - 3 * HOUR, timedelta(0), 0),
    ]:
        await store.events.create(
            request(everyone, start=start, duration=duration, priority=priority),
            event_id=event_id,
        )
    await store.events.cancel("soon")

    async def names(now: datetime, **kwargs) -> list[str]:
        return [e.event_id for e in await store.events.for_ven("v", now, **kwargs)]

    # active "open" first, then the others by start time; "over" ended (at T0 - 2 h) more
    # than COMPLETED_VISIBLE_FOR ago; cancelled "soon" is still shown
    assert await names(T0) == ["open", "soon", "late", "unranked"]
    assert (await store.events.for_ven("v", T0))[1].cancelled
    # an event leaves the list COMPLETED_VISIBLE_FOR after its active period ends (it has no
    # startafter): until then it is listed (completed), in its start-time place
    assert await names(T0 + 2 * HOUR) == ["open", "soon", "late", "unranked"]
    just_before = T0 + 2 * HOUR + COMPLETED_VISIBLE_FOR - timedelta(seconds=1)
    assert await names(just_before) == ["open", "soon", "late", "unranked"]
    assert await names(T0 + 2 * HOUR + COMPLETED_VISIBLE_FOR) == ["open", "late", "unranked"]
    assert await names(T0 + 10 * HOUR) == ["open", "unranked"]
    assert await names(T0 + 10 * HOUR + COMPLETED_VISIBLE_FOR) == ["open"]
    # a cancelled event that has not ended is shown for CANCELLED_VISIBLE_FOR (24 h) after
    # the cancellation (at T0 here), or for the window the caller gives
    await store.events.cancel("unranked")
    assert await names(T0 + 8 * HOUR) == ["open", "unranked"]
    assert await names(T0 + 8 * HOUR, cancelled_visible_for=8 * HOUR) == ["open"]
    await store.events.cancel("open")
    assert await names(T0 + 23 * HOUR) == ["open"]
    assert await names(T0 + 24 * HOUR) == []


async def test_list_filters_by_end_and_cancellation(store):
    everyone = EventTargets.everyone()
    await store.events.create(request(everyone, start=T0 - 5 * HOUR), event_id="past")
    await store.events.create(request(everyone, start=T0 + HOUR), event_id="future")
    await store.events.create(request(everyone, start=T0 + 2 * HOUR), event_id="dropped")
    await store.events.cancel("dropped")
    assert [e.event_id for e in await store.events.list()] == ["past", "future", "dropped"]
    assert [e.event_id for e in await store.events.list(ending_after=T0)] == ["future", "dropped"]
    assert [e.event_id for e in await store.events.list(include_cancelled=False, limit=1)] == [
        "past"
    ]


# ---- invitations --------------------------------------------------------------------------


async def test_invitations_record_delivery_and_the_latest_answer(store, clock):
    await store.vens.create(registration(1, ven_id="v1"))
    await store.vens.create(registration(2, ven_id="v2"))
    event = await store.events.create(request(EventTargets.everyone()), event_id="e1")
    assert await store.invitations.get("e1", "v1") is None

    delivered = await store.invitations.mark_delivered("e1", "v1", 0)
    assert delivered.delivered_at == T0 and delivered.delivered_modification_number == 0
    assert delivered.opt_type is None

    await store.events.modify("e1", event.request)
    clock.advance(timedelta(seconds=10))
    assert (await store.invitations.mark_delivered("e1", "v1", 1)).delivered_at == (
        T0 + timedelta(seconds=10)
    )
    # a late duplicate of the older delivery does not go backwards
    late = await store.invitations.mark_delivered("e1", "v1", 0)
    assert late.delivered_modification_number == 1
    assert late.delivered_at == T0 + timedelta(seconds=10)

    clock.advance(timedelta(seconds=5))
    opted = await store.invitations.record_opt(
        "e1", "v1", modification_number=1, opt_type=OptType.OPT_IN
    )
    assert opted.opt_type is OptType.OPT_IN and opted.response_code == 200
    assert opted.opted_at == T0 + timedelta(seconds=15) and opted.opt_modification_number == 1
    stale = await store.invitations.record_opt(
        "e1", "v1", modification_number=0, opt_type=OptType.OPT_OUT
    )
    assert stale.opt_type is OptType.OPT_IN  # an answer to an older modification is ignored
    # an answer may come before any recorded delivery (e.g. the VEN polled another worker)
    out = await store.invitations.record_opt(
        "e1", "v2", modification_number=1, opt_type=OptType.OPT_OUT, response_code=460
    )
    assert out.delivered_at is None and out.response_code == 460

    listed = await store.invitations.list_for_event("e1")
    assert [(i.ven_id, i.opt_type) for i in listed] == [
        ("v1", OptType.OPT_IN),
        ("v2", OptType.OPT_OUT),
    ]
    assert await store.invitations.list_for_ven("v2") == (out,)


async def test_a_redelivery_keeps_the_first_delivery_of_the_modification(store, clock):
    await store.vens.create(registration(1, ven_id="v1"))
    event = await store.events.create(request(EventTargets.everyone()), event_id="e1")
    await store.invitations.mark_delivered("e1", "v1", 0)
    clock.advance(timedelta(seconds=40))
    await store.invitations.record_opt("e1", "v1", modification_number=0, opt_type=OptType.OPT_IN)
    clock.advance(timedelta(seconds=60))
    await store.invitations.mark_all_delivered("v1", {"e1": 0})  # delivered again
    again = await store.invitations.get("e1", "v1")
    assert again is not None
    assert again.first_delivered_at == T0  # before the answer at T0 + 40 s
    assert again.delivered_at == T0 + timedelta(seconds=100)
    await store.events.modify("e1", event.request)
    clock.advance(timedelta(seconds=10))
    newer = await store.invitations.mark_delivered("e1", "v1", 1)
    assert newer.first_delivered_at == newer.delivered_at == T0 + timedelta(seconds=110)
    # an answer before any recorded delivery, then the delivery
    await store.vens.create(registration(2, ven_id="v2"))
    await store.invitations.record_opt("e1", "v2", modification_number=1, opt_type=OptType.OPT_IN)
    late = await store.invitations.mark_delivered("e1", "v2", 1)
    assert late.first_delivered_at == late.delivered_at == T0 + timedelta(seconds=110)


async def test_invitations_deliver_in_bulk_and_refuse_unknown_rows(store):
    await store.vens.create(registration(1, ven_id="v1"))
    everyone = EventTargets.everyone()
    await store.events.create(request(everyone), event_id="e1")
    await store.events.create(request(everyone), event_id="e2")
    await store.invitations.mark_all_delivered("v1", {"e1": 0, "e2": 0})
    await store.invitations.mark_all_delivered("v1", {})
    assert [i.event_id for i in await store.invitations.list_for_ven("v1")] == ["e1", "e2"]
    with pytest.raises(NotFound):
        await store.invitations.mark_delivered("e404", "v1", 0)
    with pytest.raises(NotFound):
        await store.invitations.record_opt(
            "e1", "v404", modification_number=0, opt_type=OptType.OPT_IN
        )


# ---- opts ---------------------------------------------------------------------------------


def event_opt(opt_id: str, **changes) -> Opt:
    values = {
        "opt_id": opt_id,
        "ven_id": "v1",
        "opt_type": OptType.OPT_OUT,
        "opt_reason": OptReason.MUST_RUN,
        "created_at": T0 - timedelta(seconds=3),
        "received_at": T0,
        "event_id": "e1",
        "modification_number": 0,
        "resource_ids": ("chiller-1",),
    }
    return Opt(**(values | changes))


async def test_opts_are_stored_listed_and_cancelled(store, clock):
    await store.vens.create(registration(1, ven_id="v1"))
    await store.vens.create(registration(2, ven_id="v2"))
    await store.events.create(request(EventTargets.everyone()), event_id="e1")
    for_event = await store.opts.add(event_opt("o1"))
    assert await store.opts.get("v1", "o1") == for_event
    schedule = event_opt(
        "o2",
        ven_id="v2",
        opt_type=OptType.OPT_IN,
        opt_reason=ExtensionValue("x-holiday"),
        event_id=None,
        modification_number=None,
        market_context="http://mc.example/program",
        availability=(
            AvailabilityPeriod(start=T0 + HOUR, duration=2 * HOUR),
            AvailabilityPeriod(start=T0 + 24 * HOUR, duration=timedelta(minutes=90)),
        ),
        resource_ids=(),
    )
    assert await store.opts.add(schedule) == schedule
    assert await store.opts.get("v2", "o2") == schedule
    # the same opt id is fine for another VEN, not twice for the same one
    await store.opts.add(event_opt("o2"))
    with pytest.raises(Conflict):
        await store.opts.add(event_opt("o1"))

    assert [o.opt_id for o in await store.opts.list(ven_id="v1")] == ["o1", "o2"]
    assert [(o.ven_id, o.opt_id) for o in await store.opts.list(event_id="e1")] == [
        ("v1", "o1"),
        ("v1", "o2"),
    ]
    clock.advance(HOUR)
    cancelled = await store.opts.cancel("v2", "o2")
    assert cancelled.cancelled_at == T0 + HOUR
    assert await store.opts.cancel("v2", "o2") == cancelled
    assert await store.opts.list(ven_id="v2") == ()
    assert await store.opts.list(ven_id="v2", include_cancelled=True) == (cancelled,)


async def test_opts_for_unknown_vens_or_events_are_refused(store):
    await store.vens.create(registration(1, ven_id="v1"))
    with pytest.raises(NotFound):
        await store.opts.add(event_opt("o1"))  # event e1 does not exist
    with pytest.raises(NotFound):
        await store.opts.add(
            event_opt(
                "o1",
                ven_id="v404",
                event_id=None,
                modification_number=None,
                availability=(AvailabilityPeriod(start=T0, duration=HOUR),),
            )
        )
    with pytest.raises(NotFound):
        await store.opts.cancel("v1", "o404")
    with pytest.raises(NotFound):
        await store.opts.get("v1", "o404")
