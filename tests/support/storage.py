"""The VTN storage tests' clock start, and a store holding one row of every kind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from common.messages.enums import (
    OptReason,
    OptType,
    ReadingType,
    ReportName,
    ReportType,
    SignalName,
    SignalType,
)
from vtn.domain import (
    EventRequest,
    EventTargets,
    Opt,
    Reading,
    ReportCapability,
    ReportDescription,
    ReportSubscription,
    Signal,
    SignalInterval,
    VenRegistration,
)
from vtn.storage import ReadingQuery, Store

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


async def populate(store: Store, *, outbox: bool = True) -> None:
    """One row of every kind (VEN, event, invitation, opts, report rows, nonce, outbox)."""
    await store.vens.create(VenRegistration(fingerprint="aa:01", ven_id="v1", ven_name="one"))
    await store.vens.assign("v1", group_ids=["north"])
    request = EventRequest(
        targets=EventTargets(group_ids=("north",)),
        market_context="http://mc.example/program",
        signals=(
            Signal(
                signal_name=SignalName.SIMPLE,
                signal_type=SignalType.LEVEL,
                signal_id="s",
                intervals=(SignalInterval(duration=HOUR, value=2.0),),
            ),
        ),
        start=T0 + HOUR,
        duration=HOUR,
    )
    await store.events.create(request, event_id="e1")
    await store.invitations.mark_delivered("e1", "v1", 0)
    await store.invitations.record_opt("e1", "v1", modification_number=0, opt_type=OptType.OPT_IN)
    await store.opts.add(
        Opt(
            opt_id="o1",
            ven_id="v1",
            opt_type=OptType.OPT_OUT,
            opt_reason=OptReason.ECONOMIC,
            created_at=T0,
            received_at=T0,
            event_id="e1",
            modification_number=0,
        )
    )
    await store.reports.add_capabilities(
        "v1",
        [
            ReportCapability(
                ven_id="v1",
                report_specifier_id="tel",
                report_name=ReportName.METADATA_TELEMETRY_USAGE,
                created_at=T0,
                descriptions=(
                    ReportDescription(
                        r_id="p", report_type=ReportType.USAGE, reading_type=ReadingType.NET
                    ),
                ),
            )
        ],
    )
    await store.reports.subscribe(
        ReportSubscription(
            report_request_id="rr1",
            ven_id="v1",
            report_specifier_id="tel",
            r_ids=("p",),
            granularity=timedelta(minutes=15),
            report_back_duration=HOUR,
            requested_at=T0,
        )
    )
    await store.reports.add_readings(
        Reading(
            ven_id="v1",
            report_request_id="rr1",
            r_id="p",
            start=T0 + n * timedelta(minutes=15),
            duration=timedelta(minutes=15),
            value=float(n),
            report_type=ReportType.USAGE,
            reading_type=ReadingType.NET,
        )
        for n in range(4)
    )
    await store.nonces.remember("nonce-1", T0, T0 + HOUR)
    if outbox:
        await store.outbox.enqueue("v1", b"<push/>")


async def assert_everything_is_there(store: Store, *, outbox: bool = True) -> None:
    """What `populate` wrote is all there."""
    ven = await store.vens.get("v1")
    assert (ven.ven_id, ven.ven_name, ven.group_ids) == ("v1", "one", ("north",))
    assert [e.event_id for e in await store.events.for_ven("v1", T0)] == ["e1"]
    (invitation,) = await store.invitations.list_for_event("e1")
    assert (invitation.delivered_modification_number, invitation.opt_type) == (0, OptType.OPT_IN)
    assert [o.opt_id for o in await store.opts.list(event_id="e1")] == ["o1"]
    assert [c.report_specifier_id for c in await store.reports.capabilities("v1")] == ["tel"]
    assert [s.report_request_id for s in await store.reports.subscriptions()] == ["rr1"]
    readings = await store.reports.readings(ReadingQuery(ven_id="v1"))
    assert [r.value for r in readings] == [0.0, 1.0, 2.0, 3.0]
    assert await store.nonces.remember("nonce-1", T0, T0 + HOUR) is False
    if outbox:
        assert [i.payload for i in await store.outbox.pending()] == [b"<push/>"]
