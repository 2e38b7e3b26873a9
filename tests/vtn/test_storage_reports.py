"""VTN storage of reports on SQLite and PostgreSQL: capabilities, subscriptions, readings."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, timedelta, timezone

import pytest

from common.messages.enums import (
    DataQuality,
    ExtensionValue,
    ReadingType,
    ReportName,
    ReportType,
    SiScaleCode,
)
from common.messages.types import ItemBase
from tests.support.storage import T0  # the conftest clock starts there
from vtn.domain import (
    Reading,
    ReportCapability,
    ReportDescription,
    ReportSubscription,
    SubscriptionStatus,
    VenRegistration,
)
from vtn.storage import Conflict, NotFound, ReadingQuery, Store

QUARTER = timedelta(minutes=15)


@pytest.fixture
async def store(store: Store) -> Store:
    """The conftest store with VENs v1 and v2."""
    await store.vens.create(VenRegistration(fingerprint="aa:01", ven_id="v1"))
    await store.vens.create(VenRegistration(fingerprint="aa:02", ven_id="v2"))
    return store


def telemetry(ven_id: str = "v1", specifier: str = "telemetry", **changes) -> ReportCapability:
    values = {
        "ven_id": ven_id,
        "report_specifier_id": specifier,
        "report_name": ReportName.METADATA_TELEMETRY_USAGE,
        "created_at": T0 - timedelta(minutes=1),
        "descriptions": (
            ReportDescription(
                r_id="power",
                report_type=ReportType.USAGE,
                reading_type=ReadingType.DIRECT_READ,
                item_base=ItemBase.power(scale=SiScaleCode.KILO),
                resource_id="meter-1",
                market_context="http://mc.example/program",
                min_period=timedelta(minutes=1),
                max_period=timedelta(hours=1),
            ),
            ReportDescription(
                r_id="status",
                report_type=ExtensionValue("x-resourceState"),
                reading_type=ReadingType.X_NOT_APPLICABLE,
                on_change=True,
            ),
        ),
    }
    return ReportCapability(**(values | changes))


def subscription(request_id: str = "rr1", **changes) -> ReportSubscription:
    values = {
        "report_request_id": request_id,
        "ven_id": "v1",
        "report_specifier_id": "telemetry",
        "r_ids": ("power", "status"),
        "granularity": QUARTER,
        "report_back_duration": timedelta(hours=1),
        "requested_at": T0,
    }
    return ReportSubscription(**(values | changes))


def reading(r_id: str, n: int, value: float, **changes) -> Reading:
    values = {
        "ven_id": "v1",
        "report_request_id": "rr1",
        "r_id": r_id,
        "start": T0 + n * QUARTER,
        "duration": QUARTER,
        "value": value,
        "report_type": ReportType.USAGE,
        "reading_type": ReadingType.DIRECT_READ,
        "item_units": "W",
        "scale": "k",
    }
    return Reading(**(values | changes))


# ---- capabilities -------------------------------------------------------------------------


async def test_capabilities_round_trip_and_upsert_by_specifier(store):
    first = telemetry()
    history = telemetry(
        specifier="history",
        report_name=ReportName.METADATA_HISTORY_USAGE,
        duration=timedelta(days=30),
    )
    await store.reports.add_capabilities("v1", [first, history])
    assert await store.reports.capabilities("v1") == (history, first)
    assert (await store.reports.capabilities("v1"))[1].description("power").resource_id == (
        "meter-1"
    )
    assert await store.reports.capabilities("v2") == ()

    shorter = telemetry(descriptions=first.descriptions[:1])
    await store.reports.add_capabilities("v1", [shorter])
    assert await store.reports.capabilities("v1") == (history, shorter)

    await store.reports.add_capabilities("v1", [first], replace=True)
    assert await store.reports.capabilities("v1") == (first,)


async def test_capabilities_must_belong_to_a_known_ven(store):
    with pytest.raises(ValueError, match="belong"):
        await store.reports.add_capabilities("v1", [telemetry(ven_id="v2")])
    with pytest.raises(NotFound):
        await store.reports.add_capabilities("v404", [telemetry(ven_id="v404")])


# ---- subscriptions ------------------------------------------------------------------------


async def test_subscriptions_move_through_their_states(store, clock):
    periodic = subscription(start=T0 + QUARTER, duration=timedelta(days=1))
    one_shot = subscription("rr2", ven_id="v2", one_shot=True, r_ids=("power",))
    assert await store.reports.subscribe(periodic) == periodic
    assert await store.reports.subscribe(one_shot) == one_shot
    assert periodic.periodic and not one_shot.periodic
    with pytest.raises(Conflict):
        await store.reports.subscribe(subscription())
    with pytest.raises(NotFound):
        await store.reports.subscribe(subscription("rr9", ven_id="v404"))

    active = await store.reports.set_status("rr1", SubscriptionStatus.ACTIVE)
    assert active.status is SubscriptionStatus.ACTIVE
    assert await store.reports.subscription("rr1") == active
    assert await store.reports.subscriptions(ven_id="v1") == (active,)
    assert [s.report_request_id for s in await store.reports.subscriptions()] == ["rr1", "rr2"]

    clock.advance(timedelta(hours=2))
    cancelled = await store.reports.set_status("rr1", SubscriptionStatus.CANCELLED)
    assert cancelled.cancelled and cancelled.cancelled_at == T0 + timedelta(hours=2)
    assert cancelled.status is SubscriptionStatus.CANCELLED
    assert await store.reports.cancel("rr1") == cancelled
    assert await store.reports.subscriptions(ven_id="v1") == ()
    assert await store.reports.subscriptions(ven_id="v1", include_cancelled=True) == (cancelled,)
    with pytest.raises(NotFound):
        await store.reports.set_status("rr404", SubscriptionStatus.ACTIVE)
    with pytest.raises(NotFound):
        await store.reports.cancel("rr404")
    with pytest.raises(NotFound):
        await store.reports.subscription("rr404")


# ---- readings -----------------------------------------------------------------------------


async def test_readings_insert_in_bulk_and_query_by_point_and_time(store):
    batch = [reading("power", n, 100.0 + n) for n in range(96)]
    batch += [
        reading(
            "status",
            n,
            float(n % 2),
            report_type=ExtensionValue("x-resourceState"),
            reading_type=ReadingType.X_NOT_APPLICABLE,
            item_units=None,
            scale=None,
            data_quality=DataQuality.QUALITY_GOOD_NON_SPECIFIC,
        )
        for n in range(96)
    ]
    assert await store.reports.add_readings(batch) == 192
    assert await store.reports.add_readings([]) == 0

    everything = await store.reports.readings(ReadingQuery(ven_id="v1"))
    assert len(everything) == 192
    assert everything[0] == reading("power", 0, 100.0)
    assert everything[1].r_id == "status" and everything[1].data_quality is (
        DataQuality.QUALITY_GOOD_NON_SPECIFIC
    )
    window = ReadingQuery(
        report_request_id="rr1",
        r_ids=("power",),
        start_from=T0 + 4 * QUARTER,
        start_before=T0 + 8 * QUARTER,
    )
    assert [r.value for r in await store.reports.readings(window)] == [104.0, 105.0, 106.0, 107.0]
    limited = await store.reports.readings(ReadingQuery(r_ids=("status",), limit=3))
    assert [r.start for r in limited] == [T0, T0 + QUARTER, T0 + 2 * QUARTER]
    assert await store.reports.readings(ReadingQuery(ven_id="v2")) == ()


async def test_a_repeated_reading_replaces_and_never_double_counts(store, clock):
    await store.reports.add_readings([reading("power", n, 10.0) for n in range(8)])
    clock.advance(timedelta(minutes=5))
    # the VEN resends the whole report (acknowledgement lost) with two corrected values
    resent = [reading("power", n, 10.0) for n in range(8)]
    resent[3] = reading("power", 3, 12.5, data_quality=DataQuality.QUALITY_GOOD_NON_SPECIFIC)
    resent[7] = reading("power", 7, 9.0)
    assert await store.reports.add_readings(resent) == 8

    stored = await store.reports.readings(ReadingQuery(ven_id="v1", r_ids=("power",)))
    assert len(stored) == 8
    assert sum(r.value for r in stored) == 10.0 * 6 + 12.5 + 9.0
    assert stored[3].data_quality is DataQuality.QUALITY_GOOD_NON_SPECIFIC

    # a batch that repeats a key itself keeps the last one
    twice = [reading("power", 20, 1.0), reading("power", 20, 2.0), reading("power", 21, 3.0)]
    assert await store.reports.add_readings(twice) == 2
    last = await store.reports.readings(ReadingQuery(start_from=T0 + 20 * QUARTER))
    assert [r.value for r in last] == [2.0, 3.0]
    # the same instant written in another time zone is the same key
    eastern = timezone(timedelta(hours=-5))
    shifted = replace(reading("power", 21, 4.0), start=(T0 + 21 * QUARTER).astimezone(eastern))
    assert await store.reports.add_readings([shifted]) == 1
    again = await store.reports.readings(ReadingQuery(start_from=T0 + 21 * QUARTER))
    assert [(r.value, r.start.tzinfo) for r in again] == [(4.0, UTC)]


async def test_readings_of_one_batch_are_all_or_nothing(store):
    batch = [reading("power", 0, 1.0), reading("power", 1, 1.0, ven_id="v404")]
    with pytest.raises(NotFound):
        await store.reports.add_readings(batch)
    assert await store.reports.readings(ReadingQuery()) == ()
