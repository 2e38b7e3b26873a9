"""Example messages of every payload type, fully populated, for tests, benchmarks and docs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from common.messages.enums import (
    EventStatus,
    ExtensionValue,
    ItemKind,
    OptReason,
    OptType,
    ProfileName,
    ResponseCode,
    ResponseRequired,
    ServiceName,
    SignalName,
    SignalType,
    SiScaleCode,
    TemperatureUnit,
    TransportName,
)
from common.messages.event import (
    CreatedEvent,
    DistributeEvent,
    EiEvent,
    EventBaseline,
    EventDescriptor,
    EventResponse,
    EventSignal,
    OadrEvent,
    RequestEvent,
)
from common.messages.opt import CanceledOpt, CancelOpt, CreatedOpt, CreateOpt
from common.messages.poll import Poll, Response
from common.messages.registration import (
    CanceledPartyRegistration,
    CancelPartyRegistration,
    CreatedPartyRegistration,
    CreatePartyRegistration,
    Info,
    OadrExtension,
    Profile,
    QueryRegistration,
    RequestReregistration,
    Service,
)
from common.messages.types import (
    EiResponse,
    FeatureCollection,
    Interval,
    ItemBase,
    Message,
    Period,
    QualifiedEventId,
    Target,
    TransportInterface,
)

START = datetime(2026, 7, 1, 17, 0, tzinfo=UTC)
"""The start of the example event: 1 July 2026, 17:00 UTC."""
CREATED = datetime(2026, 6, 30, 12, 0, 0, 250000, tzinfo=UTC)

FULL_TARGET = Target(
    aggregated_pnodes=("AGG_PNODE_1",),
    end_device_assets=("Thermostat", "Water_Heater"),
    meter_assets=("METER-0001",),
    pnodes=("PNODE_A", "PNODE_B"),
    service_areas=(FeatureCollection(pos_list=(37.4, -122.1, 37.5, -122.1, 37.5, -122.0)),),
    service_delivery_points=("SDP-17",),
    service_locations=(FeatureCollection(pos_list=(1.0, 2.0, 3.0, 4.0)),),
    transport_interfaces=(TransportInterface(point_of_receipt="POR", point_of_delivery="POD"),),
    group_ids=("group-1",),
    group_names=("Downtown",),
    resource_ids=("resource-1", "resource-2"),
    ven_ids=("ven-123",),
    party_ids=("party-9",),
)


def ok(request_id: str = "req-1") -> EiResponse:
    """A 200 OK eiResponse echoing `request_id`."""
    return EiResponse(
        response_code=ResponseCode.OK, request_id=request_id, response_description="OK"
    )


def signal_intervals(
    count: int, *, step: timedelta = timedelta(minutes=15)
) -> tuple[Interval[float], ...]:
    """`count` consecutive signal intervals of `step` with levels 1, 2, 3, 1, …"""
    return tuple(
        Interval(payloads=(float(i % 3 + 1),), duration=step, uid=str(i)) for i in range(count)
    )


def oadr_event(index: int = 0, *, intervals: int = 4, full: bool = True) -> OadrEvent:
    """An event with a SIMPLE signal (and, if `full`, every optional field populated)."""
    step = timedelta(minutes=15)
    simple = EventSignal(
        intervals=signal_intervals(intervals, step=step),
        signal_name=SignalName.SIMPLE,
        signal_type=SignalType.LEVEL,
        signal_id=f"signal-{index}-simple",
        current_value=0.0 if full else None,
    )
    signals: tuple[EventSignal, ...] = (simple,)
    baseline = None
    if full:
        dispatch = EventSignal(
            intervals=tuple(
                Interval(
                    payloads=(-50.5 * (i + 1),), dtstart=START + i * step, duration=step, uid=str(i)
                )
                for i in range(intervals)
            ),
            signal_name=SignalName.LOAD_DISPATCH,
            signal_type=SignalType.DELTA,
            signal_id=f"signal-{index}-dispatch",
            target=Target(resource_ids=("resource-1",)),
            item_base=ItemBase.power(scale=SiScaleCode.KILO),
            current_value=0.0,
        )
        price = EventSignal(
            intervals=signal_intervals(1, step=step * intervals),
            signal_name=ExtensionValue("x-myPrice"),
            signal_type=SignalType.PRICE,
            signal_id=f"signal-{index}-price",
            item_base=ItemBase.currency("USD"),
        )
        signals = (simple, dispatch, price)
        baseline = EventBaseline(
            dtstart=START,
            duration=step * intervals,
            intervals=signal_intervals(intervals, step=step),
            baseline_id=f"baseline-{index}",
            baseline_name="10-in-10",
            resource_ids=("resource-1",),
            item_base=ItemBase.power(scale=SiScaleCode.KILO),
        )
    descriptor = EventDescriptor(
        event_id=f"event-{index}",
        modification_number=index,
        market_context="http://marketcontext01",
        created_date_time=CREATED,
        event_status=EventStatus.FAR,
        modification_date_time=CREATED if full else None,
        modification_reason="rescheduled" if full else None,
        priority=1 if full else None,
        test_event="false" if full else None,
        vtn_comment="a comment" if full else None,
    )
    period = Period(
        dtstart=START + timedelta(days=index),
        duration=step * intervals,
        tolerance_startafter=timedelta(minutes=5) if full else None,
        notification=timedelta(hours=24) if full else None,
        ramp_up=timedelta(minutes=10) if full else None,
        recovery=timedelta(minutes=20) if full else None,
    )
    event = EiEvent(
        event_descriptor=descriptor,
        active_period=period,
        event_signals=signals,
        target=FULL_TARGET if full else Target(ven_ids=("ven-123",)),
        event_baseline=baseline,
    )
    return OadrEvent(event=event, response_required=ResponseRequired.ALWAYS)


def distribute_event(events: int = 1, *, intervals: int = 4, full: bool = True) -> DistributeEvent:
    """An oadrDistributeEvent with `events` events of `intervals` intervals each."""
    return DistributeEvent(
        request_id="req-distribute",
        vtn_id="vtn-1",
        events=tuple(oadr_event(i, intervals=intervals, full=full) for i in range(events)),
        response=ok("req-request-event") if full else None,
    )


def all_messages() -> tuple[Message, ...]:
    """One fully populated example of every payload type this package models (not reports)."""
    return (
        QueryRegistration(request_id="req-query"),
        CreatePartyRegistration(
            request_id="req-create",
            registration_id="reg-1",
            ven_id="ven-123",
            profile_name=ProfileName.B,
            transport_name=TransportName.SIMPLE_HTTP,
            transport_address="https://ven.example.com:8443/OpenADR2/Simple/2.0b",
            report_only=False,
            xml_signature=True,
            ven_name="Building 7",
            http_pull_model=False,
        ),
        CreatedPartyRegistration(
            response=ok("req-create"),
            registration_id="reg-1",
            ven_id="ven-123",
            vtn_id="vtn-1",
            profiles=(
                Profile(profile_name=ProfileName.A, transports=(TransportName.SIMPLE_HTTP,)),
                Profile(
                    profile_name=ProfileName.B,
                    transports=(TransportName.SIMPLE_HTTP, TransportName.XMPP),
                ),
            ),
            requested_oadr_poll_freq=timedelta(seconds=10),
            service_specific_info=(
                Service(
                    service_name=ServiceName.EI_EVENT,
                    infos=(Info(key="max-events", value="10"),),
                ),
            ),
            extensions=(OadrExtension(extension_name="x-ext", infos=(Info(key="k", value="v"),)),),
        ),
        CancelPartyRegistration(request_id="req-cancel", registration_id="reg-1", ven_id="ven-123"),
        CanceledPartyRegistration(
            response=ok("req-cancel"), registration_id="reg-1", ven_id="ven-123"
        ),
        RequestReregistration(ven_id="ven-123"),
        RequestEvent(request_id="req-request-event", ven_id="ven-123", reply_limit=5),
        distribute_event(2),
        CreatedEvent(
            response=ok("req-distribute"),
            ven_id="ven-123",
            event_responses=(
                EventResponse(
                    response_code=ResponseCode.OK,
                    request_id="req-distribute",
                    qualified_event_id=QualifiedEventId(event_id="event-0", modification_number=0),
                    opt_type=OptType.OPT_IN,
                    response_description="OK",
                ),
                EventResponse(
                    response_code=ResponseCode.OK,
                    request_id="req-distribute",
                    qualified_event_id=QualifiedEventId(event_id="event-1", modification_number=1),
                    opt_type=OptType.OPT_OUT,
                ),
            ),
        ),
        CreateOpt(
            opt_id="opt-1",
            opt_type=OptType.OPT_OUT,
            opt_reason=OptReason.X_SCHEDULE,
            market_context="http://marketcontext01",
            ven_id="ven-123",
            vavailability=(
                Period(dtstart=START, duration=timedelta(hours=2)),
                Period(dtstart=START + timedelta(days=1), duration=timedelta(hours=1)),
            ),
            created_date_time=CREATED,
            request_id="req-opt",
            qualified_event_id=QualifiedEventId(event_id="event-0", modification_number=0),
            target=Target(resource_ids=("resource-1",)),
            device_class=Target(end_device_assets=("Thermostat",)),
        ),
        CreatedOpt(response=ok("req-opt"), opt_id="opt-1"),
        CancelOpt(request_id="req-cancel-opt", opt_id="opt-1", ven_id="ven-123"),
        CanceledOpt(response=ok("req-cancel-opt"), opt_id="opt-1"),
        Poll(ven_id="ven-123"),
        Response(response=ok("req-x"), ven_id="ven-123"),
    )


def unit_examples() -> tuple[ItemBase, ...]:
    """One ItemBase of every kind."""
    return (
        ItemBase.power(ItemKind.POWER_REAL),
        ItemBase.power(ItemKind.POWER_APPARENT, scale=SiScaleCode.MEGA, hertz=50, voltage=230),
        ItemBase.power(ItemKind.POWER_REACTIVE, ac=False),
        ItemBase.fixed(ItemKind.ENERGY_REAL, scale=SiScaleCode.KILO),
        ItemBase.fixed(ItemKind.ENERGY_APPARENT),
        ItemBase.fixed(ItemKind.ENERGY_REACTIVE),
        ItemBase.fixed(ItemKind.VOLTAGE),
        ItemBase.fixed(ItemKind.CURRENT),
        ItemBase.fixed(ItemKind.FREQUENCY),
        ItemBase.fixed(ItemKind.THERM),
        ItemBase.currency("USD", kind=ItemKind.CURRENCY),
        ItemBase.currency("EUR", kind=ItemKind.CURRENCY_PER_KW),
        ItemBase.currency("USD", kind=ItemKind.CURRENCY_PER_KWH),
        ItemBase.currency("CAD", kind=ItemKind.CURRENCY_PER_THM),
        ItemBase.temperature(TemperatureUnit.CELSIUS),
        ItemBase.pulse_count(0.5),
        ItemBase.custom("Irradiance", "W/m2", scale=SiScaleCode.NONE),
    )
