"""Interoperability with openleadr's message layer, both ways, compared field by field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from openleadr.messaging import create_message, parse_message

from common.messages import examples
from common.messages.enums import (
    EventStatus,
    ExtensionValue,
    ItemKind,
    OptReason,
    OptType,
    ProfileName,
    ResponseCode,
    ResponseRequired,
    SignalName,
    SignalType,
    SiScaleCode,
    TransportName,
)
from common.messages.event import CreatedEvent, DistributeEvent, RequestEvent
from common.messages.opt import CanceledOpt, CancelOpt, CreatedOpt, CreateOpt
from common.messages.poll import Poll, Response
from common.messages.registration import (
    CanceledPartyRegistration,
    CancelPartyRegistration,
    CreatedPartyRegistration,
    CreatePartyRegistration,
    Profile,
    QueryRegistration,
    RequestReregistration,
)
from common.messages.types import EiResponse, Interval, Period, QualifiedEventId, Target
from common.xml import decode, encode

START = datetime(2026, 7, 1, 17, 0, tzinfo=UTC)
CREATED = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
OL_RESPONSE = {"response_code": 200, "response_description": "OK", "request_id": "req-1"}
OK = EiResponse(response_code=ResponseCode.OK, request_id="req-1", response_description="OK")


def from_openleadr(message_type: str, **payload: object) -> object:
    """Create a message with openleadr and decode it with our codec."""
    text = create_message(message_type, **payload)
    return decode(text.encode("utf-8"))


# ---------------------------------------------------------------- openleadr -> ours


def test_openleadr_poll_and_response():
    assert from_openleadr("oadrPoll", ven_id="ven-1") == Poll(ven_id="ven-1")
    assert from_openleadr("oadrResponse", response=OL_RESPONSE, ven_id="ven-1") == Response(
        response=OK, ven_id="ven-1"
    )


def test_openleadr_registration_messages():
    assert from_openleadr("oadrQueryRegistration", request_id="q1") == QueryRegistration(
        request_id="q1"
    )
    created = from_openleadr(
        "oadrCreatePartyRegistration",
        request_id="c1",
        ven_id="ven-1",
        profile_name="2.0b",
        transport_name="simpleHttp",
        transport_address="https://ven.example.com",
        report_only=False,
        xml_signature=True,
        ven_name="Building 7",
        http_pull_model=True,
    )
    assert created == CreatePartyRegistration(
        request_id="c1",
        ven_id="ven-1",
        profile_name=ProfileName.B,
        transport_name=TransportName.SIMPLE_HTTP,
        transport_address="https://ven.example.com",
        report_only=False,
        xml_signature=True,
        ven_name="Building 7",
        http_pull_model=True,
    )
    answer = from_openleadr(
        "oadrCreatedPartyRegistration",
        response=OL_RESPONSE,
        registration_id="reg-1",
        ven_id="ven-1",
        vtn_id="vtn-1",
        profiles=[
            {"profile_name": "2.0a", "transports": [{"transport_name": "simpleHttp"}]},
            {"profile_name": "2.0b", "transports": [{"transport_name": "simpleHttp"}]},
        ],
        requested_oadr_poll_freq=timedelta(seconds=10),
    )
    assert answer == CreatedPartyRegistration(
        response=OK,
        registration_id="reg-1",
        ven_id="ven-1",
        vtn_id="vtn-1",
        profiles=(
            Profile(profile_name=ProfileName.A, transports=(TransportName.SIMPLE_HTTP,)),
            Profile(profile_name=ProfileName.B, transports=(TransportName.SIMPLE_HTTP,)),
        ),
        requested_oadr_poll_freq=timedelta(seconds=10),
    )
    # openleadr sends empty registrationID/venID elements to a VEN that is not registered
    unregistered = from_openleadr(
        "oadrCreatedPartyRegistration",
        response=OL_RESPONSE,
        vtn_id="vtn-1",
        profiles=[{"profile_name": "2.0b", "transports": [{"transport_name": "simpleHttp"}]}],
    )
    assert unregistered.registration_id is None
    assert unregistered.ven_id is None
    assert from_openleadr(
        "oadrCancelPartyRegistration", request_id="x1", registration_id="reg-1", ven_id="ven-1"
    ) == CancelPartyRegistration(request_id="x1", registration_id="reg-1", ven_id="ven-1")
    assert from_openleadr(
        "oadrCanceledPartyRegistration",
        response=OL_RESPONSE,
        registration_id="reg-1",
        ven_id="ven-1",
    ) == CanceledPartyRegistration(response=OK, registration_id="reg-1", ven_id="ven-1")
    assert from_openleadr("oadrRequestReregistration", ven_id="ven-1") == RequestReregistration(
        ven_id="ven-1"
    )


def test_openleadr_request_and_created_event():
    assert from_openleadr(
        "oadrRequestEvent", request_id="r1", ven_id="ven-1", reply_limit=3
    ) == RequestEvent(request_id="r1", ven_id="ven-1", reply_limit=3)
    created = from_openleadr(
        "oadrCreatedEvent",
        response={"response_code": 200, "response_description": "OK", "request_id": None},
        event_responses=[
            {
                "response_code": 200,
                "response_description": "OK",
                "request_id": "d1",
                "event_id": "event-1",
                "modification_number": 2,
                "opt_type": "optIn",
            }
        ],
        ven_id="ven-1",
    )
    assert isinstance(created, CreatedEvent)
    assert created.ven_id == "ven-1"
    assert created.response.response_code is ResponseCode.OK
    (answer,) = created.event_responses
    assert answer.request_id == "d1"
    assert answer.qualified_event_id == QualifiedEventId(event_id="event-1", modification_number=2)
    assert answer.opt_type is OptType.OPT_IN


def openleadr_event(event_id: str, **extra: object) -> dict:
    event = {
        "event_descriptor": {
            "event_id": event_id,
            "modification_number": 1,
            "market_context": "http://market.example.com",
            "event_status": "far",
            "created_date_time": CREATED,
            "priority": 2,
            "test_event": False,
            "vtn_comment": "hello",
        },
        "active_period": {
            "dtstart": START,
            "duration": timedelta(hours=1),
            "ramp_up_period": timedelta(minutes=10),
            "recovery_period": timedelta(minutes=5),
            "notification_period": timedelta(hours=2),
            "tolerance": {"startafter": timedelta(minutes=3)},
        },
        "event_signals": [
            {
                "intervals": [
                    {"dtstart": START + i * timedelta(minutes=15),
                     "duration": timedelta(minutes=15), "signal_payload": float(i % 3 + 1)}
                    for i in range(4)
                ],
                "signal_name": "LOAD_DISPATCH",
                "signal_type": "delta",
                "signal_id": "sig-1",
                "current_value": 0,
                "measurement": {
                    "name": "powerReal",
                    "description": "RealPower",
                    "unit": "W",
                    "scale": "k",
                    "power_attributes": {"hertz": 60, "voltage": 120, "ac": True},
                },
            }
        ],
        "targets": [{"ven_id": "ven-1"}, {"resource_id": "res-1"}],
        "response_required": "always",
    }  # fmt: skip
    event.update(extra)
    return event


def test_openleadr_distribute_event():
    message = from_openleadr(
        "oadrDistributeEvent",
        request_id="d1",
        vtn_id="vtn-1",
        events=[openleadr_event("event-1"), openleadr_event("event-2", response_required="never")],
    )
    assert isinstance(message, DistributeEvent)
    assert (message.request_id, message.vtn_id, len(message.events)) == ("d1", "vtn-1", 2)
    first = message.events[0]
    assert first.response_required is ResponseRequired.ALWAYS
    assert message.events[1].response_required is ResponseRequired.NEVER
    descriptor = first.event.event_descriptor
    assert descriptor.event_id == "event-1"
    assert descriptor.modification_number == 1
    assert descriptor.market_context == "http://market.example.com"
    assert descriptor.event_status is EventStatus.FAR
    assert descriptor.created_date_time == CREATED
    assert descriptor.priority == 2
    assert descriptor.test_event == "false"
    assert descriptor.vtn_comment == "hello"
    assert first.event.active_period == Period(
        dtstart=START,
        duration=timedelta(hours=1),
        tolerance_startafter=timedelta(minutes=3),
        notification=timedelta(hours=2),
        ramp_up=timedelta(minutes=10),
        recovery=timedelta(minutes=5),
    )
    (signal,) = first.event.event_signals
    assert signal.signal_name is SignalName.LOAD_DISPATCH
    assert signal.signal_type is SignalType.DELTA
    assert signal.signal_id == "sig-1"
    assert signal.current_value == 0.0
    assert signal.intervals == tuple(
        Interval(
            payloads=(float(i % 3 + 1),),
            dtstart=START + i * timedelta(minutes=15),
            duration=timedelta(minutes=15),
            uid=str(i),
        )
        for i in range(4)
    )
    assert signal.item_base is not None
    assert signal.item_base.kind is ItemKind.POWER_REAL
    assert signal.item_base.item_units == "W"
    assert signal.item_base.scale is SiScaleCode.KILO
    assert signal.item_base.power_attributes.hertz == 60
    assert first.event.target == Target(resource_ids=("res-1",), ven_ids=("ven-1",))


def test_openleadr_opt_messages():
    create = from_openleadr(
        "oadrCreateOpt",
        opt_id="opt-1",
        opt_type="optOut",
        opt_reason="x-schedule",
        market_context="http://market.example.com",
        ven_id="ven-1",
        vavailability={"components": [{"dtstart": START, "duration": timedelta(hours=2)}]},
        created_date_time=CREATED,
        request_id="o1",
        event_id="event-1",
        modification_number=3,
        targets=[{"resource_id": "res-1"}],
        signal_target_mrid="Thermostat",
    )
    assert create == CreateOpt(
        opt_id="opt-1",
        opt_type=OptType.OPT_OUT,
        opt_reason=OptReason.X_SCHEDULE,
        market_context="http://market.example.com",
        ven_id="ven-1",
        vavailability=(Period(dtstart=START, duration=timedelta(hours=2)),),
        created_date_time=CREATED,
        request_id="o1",
        qualified_event_id=QualifiedEventId(event_id="event-1", modification_number=3),
        target=Target(resource_ids=("res-1",)),
        device_class=Target(end_device_assets=("Thermostat",)),
    )
    private = from_openleadr(
        "oadrCreateOpt",
        opt_id="opt-2",
        opt_type="optIn",
        opt_reason="x-myReason",
        ven_id="ven-1",
        created_date_time=CREATED,
        request_id="o2",
    )
    assert private.opt_reason == ExtensionValue("x-myReason")
    assert private.target == Target()
    assert from_openleadr("oadrCreatedOpt", response=OL_RESPONSE, opt_id="opt-1") == CreatedOpt(
        response=OK, opt_id="opt-1"
    )
    assert from_openleadr(
        "oadrCancelOpt", request_id="c1", opt_id="opt-1", ven_id="ven-1"
    ) == CancelOpt(request_id="c1", opt_id="opt-1", ven_id="ven-1")
    assert from_openleadr("oadrCanceledOpt", response=OL_RESPONSE, opt_id="opt-1") == CanceledOpt(
        response=OK, opt_id="opt-1"
    )


# ---------------------------------------------------------------- ours -> openleadr


def to_openleadr(message: object) -> tuple[str, dict]:
    return parse_message(encode(message))


def test_openleadr_reads_our_simple_messages():
    assert to_openleadr(Poll(ven_id="ven-1")) == ("oadrPoll", {"ven_id": "ven-1"})
    kind, payload = to_openleadr(Response(response=OK, ven_id="ven-1"))
    assert kind == "oadrResponse"
    assert payload == {"response": OL_RESPONSE, "ven_id": "ven-1"}
    assert to_openleadr(QueryRegistration(request_id="q1")) == (
        "oadrQueryRegistration",
        {"request_id": "q1"},
    )
    assert to_openleadr(RequestReregistration(ven_id="v")) == (
        "oadrRequestReregistration",
        {"ven_id": "v"},
    )
    assert to_openleadr(CancelOpt(request_id="c", opt_id="o", ven_id="v")) == (
        "oadrCancelOpt",
        {"request_id": "c", "opt_id": "o", "ven_id": "v"},
    )


@pytest.mark.parametrize("message", examples.all_messages(), ids=lambda m: type(m).__name__)
def test_openleadr_reads_every_payload_type(message):
    kind, payload = to_openleadr(message)
    assert kind == "oadr" + {
        "QueryRegistration": "QueryRegistration",
        "Poll": "Poll",
        "Response": "Response",
    }.get(type(message).__name__, type(message).__name__)
    assert isinstance(payload, dict) and payload


def test_openleadr_reads_our_registration():
    message = next(m for m in examples.all_messages() if isinstance(m, CreatePartyRegistration))
    kind, payload = to_openleadr(message)
    assert kind == "oadrCreatePartyRegistration"
    assert payload == {
        "request_id": "req-create",
        "registration_id": "reg-1",
        "ven_id": "ven-123",
        "profile_name": "2.0b",
        "transport_name": "simpleHttp",
        "transport_address": "https://ven.example.com:8443/OpenADR2/Simple/2.0b",
        "report_only": False,
        "xml_signature": True,
        "ven_name": "Building 7",
        "http_pull_model": False,
    }
    answer = next(m for m in examples.all_messages() if isinstance(m, CreatedPartyRegistration))
    _, payload = to_openleadr(answer)
    assert payload["vtn_id"] == "vtn-1"
    assert payload["requested_oadr_poll_freq"] == timedelta(seconds=10)
    assert [p["profile_name"] for p in payload["profiles"]] == ["2.0a", "2.0b"]
    assert payload["response"]["response_code"] == 200


def test_openleadr_reads_our_distribute_event():
    message = examples.distribute_event(2, intervals=4, full=True)
    kind, payload = to_openleadr(message)
    assert kind == "oadrDistributeEvent"
    assert payload["vtn_id"] == "vtn-1"
    assert payload["request_id"] == "req-distribute"
    assert len(payload["events"]) == 2
    event = payload["events"][1]
    ours = message.events[1].event
    descriptor = event["event_descriptor"]
    assert descriptor["event_id"] == "event-1"
    assert descriptor["modification_number"] == 1
    assert descriptor["event_status"] == "far"
    assert descriptor["created_date_time"] == examples.CREATED
    assert descriptor["market_context"] == "http://marketcontext01"
    period = event["active_period"]
    assert period["dtstart"] == ours.active_period.dtstart
    assert period["duration"] == ours.active_period.duration
    assert period["ramp_up"] == timedelta(minutes=10)
    assert period["recovery"] == timedelta(minutes=20)
    assert period["tolerance"]["tolerate"]["startafter"] == timedelta(minutes=5)
    signals = event["event_signals"]["event_signals"]  # openleadr nests it with the baseline
    assert [s["signal_name"] for s in signals] == ["SIMPLE", "LOAD_DISPATCH", "x-myPrice"]
    assert [i["signal_payload"] for i in signals[0]["intervals"]] == [1.0, 2.0, 3.0, 1.0]
    assert [i["duration"] for i in signals[0]["intervals"]] == [timedelta(minutes=15)] * 4
    assert signals[1]["intervals"][2]["dtstart"] == examples.START + timedelta(minutes=30)
    assert signals[1]["signal_type"] == "delta"
    assert event["event_signals"]["event_baseline"]["baseline_id"] == "baseline-1"
    assert event["response_required"] == "always"
    assert {"ven_id": "ven-123"} in event["targets"]
    assert {"group_id": "group-1"} in event["targets"]


def test_openleadr_reads_our_created_event_and_opt():
    created = next(m for m in examples.all_messages() if isinstance(m, CreatedEvent))
    kind, payload = to_openleadr(created)
    assert kind == "oadrCreatedEvent"
    assert payload["ven_id"] == "ven-123"
    responses = payload["event_responses"]
    assert [(r["event_id"], r["modification_number"], r["opt_type"]) for r in responses] == [
        ("event-0", 0, "optIn"),
        ("event-1", 1, "optOut"),
    ]
    opt = next(m for m in examples.all_messages() if isinstance(m, CreateOpt))
    kind, payload = to_openleadr(opt)
    assert kind == "oadrCreateOpt"
    assert payload["opt_id"] == "opt-1"
    assert payload["opt_type"] == "optOut"
    assert payload["opt_reason"] == "x-schedule"
    assert payload["created_date_time"] == examples.CREATED
    assert payload["event_id"] == "event-0"
    components = payload["vavailability"]["components"]["available"]
    assert [c["properties"]["dtstart"] for c in components] == [
        examples.START,
        examples.START + timedelta(days=1),
    ]
