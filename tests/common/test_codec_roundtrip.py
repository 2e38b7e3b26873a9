"""Round trips (message -> XML -> message) of every payload type, each checked against the XSD."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone

import pytest
from lxml import etree

from common.clock import ManualClock
from common.errors import InvalidData, SchemaViolation
from common.messages import examples
from common.messages.enums import ExtensionValue, ResponseCode, SignalName, SignalType
from common.messages.event import DistributeEvent, EventSignal
from common.messages.opt import CanceledOpt, CreateOpt
from common.messages.poll import Poll, Response
from common.messages.registration import CreatedPartyRegistration
from common.messages.types import EiResponse, Interval, Target
from common.xml import (
    decode,
    encode,
    event,
    from_element,
    opt,
    parse,
    poll,
    registration,
    to_element,
    validate,
)
from common.xml.lexical import read_datetime, read_duration, write_datetime, write_duration
from common.xml.names import OADR_PAYLOAD, OADR_SIGNED_OBJECT, SIGNED_OBJECT_ID_ATTR
from common.xml.registry import CODECS_BY_TYPE
from common.xml.schema import xml_schema

ALL = examples.all_messages()
CLOCK = ManualClock(datetime(2026, 1, 15, 8, 30, tzinfo=UTC))


def assert_valid(message: object) -> bytes:
    """Encode `message`, validate it explicitly against the 2.0b XSD, return the bytes."""
    data = encode(message)
    document = etree.fromstring(data)
    schema = xml_schema()
    assert schema.validate(document), schema.error_log
    return data


def test_every_owned_payload_type_has_an_example():
    owned = {c.message_type for c in event.CODECS + opt.CODECS + poll.CODECS + registration.CODECS}
    assert {type(m) for m in ALL} == owned
    assert len(owned) == 15
    assert owned <= set(CODECS_BY_TYPE)


@pytest.mark.parametrize("message", ALL, ids=lambda m: type(m).__name__)
def test_round_trip_full(message):
    data = assert_valid(message)
    assert decode(data) == message


@pytest.mark.parametrize("message", ALL, ids=lambda m: type(m).__name__)
def test_round_trip_minimal(message):
    """Every optional field left out (None / empty / default) still validates and round-trips."""
    defaults = {
        f.name: f.default
        for f in dataclasses.fields(message)
        if f.default is not dataclasses.MISSING
    }
    minimal = dataclasses.replace(message, **defaults)
    data = assert_valid(minimal)
    assert decode(data) == minimal


def test_envelope_shape():
    root = to_element(Poll(ven_id="v"))
    assert root.tag == OADR_PAYLOAD
    (signed,) = root
    assert signed.tag == OADR_SIGNED_OBJECT
    assert signed.get(SIGNED_OBJECT_ID_ATTR) == "oadrSignedObject"
    validate(root)
    assert from_element(root) == Poll(ven_id="v")
    assert encode(Poll(ven_id="v")).startswith(b"<?xml version='1.0' encoding='UTF-8'?>")


def test_validate_names_the_problem():
    root = to_element(Poll(ven_id="v"))
    root[0][0].append(etree.Element("{urn:bogus}extra"))
    with pytest.raises(SchemaViolation, match="extra"):
        validate(root)


def test_distribute_event_sizes():
    for events, intervals in [(0, 1), (1, 1), (10, 4), (3, 96)]:
        message = examples.distribute_event(events, intervals=intervals)
        assert decode(assert_valid(message)) == message


def test_every_unit_kind_round_trips_in_a_signal():
    base = examples.oadr_event(full=False)
    signals = tuple(
        EventSignal(
            intervals=(Interval(payloads=(1.5,), duration=timedelta(hours=1), uid="0"),),
            signal_name=SignalName.LOAD_DISPATCH,
            signal_type=SignalType.SETPOINT,
            signal_id=f"s{i}",
            item_base=unit,
        )
        for i, unit in enumerate(examples.unit_examples())
    )
    event = dataclasses.replace(base.event, event_signals=signals)
    message = DistributeEvent(
        request_id="r", vtn_id="v", events=(dataclasses.replace(base, event=event),)
    )
    assert decode(assert_valid(message)) == message


def test_every_target_kind_round_trips():
    message = CreateOpt(
        opt_id="o",
        opt_type=examples.OptType.OPT_IN,
        opt_reason=ExtensionValue("x-custom"),
        ven_id="v",
        created_date_time=CLOCK.now(),
        request_id="r",
        target=examples.FULL_TARGET,
        device_class=examples.FULL_TARGET,
    )
    decoded = decode(assert_valid(message))
    assert decoded == message
    assert decoded.target.service_areas[0].pos_list == (37.4, -122.1, 37.5, -122.1, 37.5, -122.0)


def test_extension_values_and_unlisted_response_codes():
    signal = dataclasses.replace(
        examples.oadr_event(full=False).event.event_signals[0],
        signal_name=ExtensionValue("x-utilitySpecial"),
    )
    base = examples.oadr_event(full=False)
    event = dataclasses.replace(base.event, event_signals=(signal,))
    message = DistributeEvent(
        request_id="r",
        vtn_id="v",
        events=(dataclasses.replace(base, event=event),),
        response=EiResponse(response_code=201, request_id="r"),
    )
    decoded = decode(assert_valid(message))
    assert decoded.events[0].event.event_signals[0].signal_name == ExtensionValue(
        "x-utilitySpecial"
    )
    assert decoded.response.response_code == 201
    assert not isinstance(decoded.response.response_code, ResponseCode)
    error = Response(response=EiResponse(response_code=ResponseCode.INVALID_ID, request_id="r"))
    assert decode(assert_valid(error)).response.response_code is ResponseCode.INVALID_ID


def test_empty_collections_are_written_as_the_schema_allows():
    created = next(m for m in ALL if isinstance(m, CreatedPartyRegistration))
    empty = dataclasses.replace(created, service_specific_info=(), extensions=())
    assert decode(assert_valid(empty)) == empty
    opt = next(m for m in ALL if isinstance(m, CreateOpt))
    no_schedule = dataclasses.replace(opt, vavailability=(), target=Target())
    assert decode(assert_valid(no_schedule)) == no_schedule
    assert decode(assert_valid(CanceledOpt(response=examples.ok()))).opt_id is None


def test_datetimes_come_back_utc_aware():
    message = next(m for m in ALL if isinstance(m, CreateOpt))
    plus_two = timezone(timedelta(hours=2))
    shifted = dataclasses.replace(message, created_date_time=CLOCK.now().astimezone(plus_two))
    decoded = decode(assert_valid(shifted))
    assert decoded.created_date_time == CLOCK.now()
    assert decoded.created_date_time.tzinfo is UTC


def test_naive_datetimes_and_fractional_durations_are_refused_on_write():
    message = next(m for m in ALL if isinstance(m, CreateOpt))
    with pytest.raises(ValueError, match="naive"):
        encode(dataclasses.replace(message, created_date_time=datetime(2026, 1, 1)))
    with pytest.raises(ValueError, match="whole seconds"):
        write_duration(timedelta(seconds=1.5))


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("PT0S", timedelta(0)),
        ("PT1H", timedelta(hours=1)),
        ("PT15M", timedelta(minutes=15)),
        ("P1D", timedelta(days=1)),
        ("P1DT2H3M4S", timedelta(days=1, hours=2, minutes=3, seconds=4)),
        ("-PT5M", -timedelta(minutes=5)),
        ("+PT5M", timedelta(minutes=5)),
        ("P2W", timedelta(weeks=2)),
        ("2W", timedelta(weeks=2)),
        ("P0Y0M1D", timedelta(days=1)),
    ],
)
def test_read_duration(text, value):
    assert read_duration(text) == value


@pytest.mark.parametrize("text", ["", "PT", "1H", "P1Y", "P2M", "PT1.5S", "bogus"])
def test_read_duration_refuses(text):
    if text == "PT":  # the schema's pattern accepts it; it means zero
        assert read_duration(text) == timedelta(0)
        return
    with pytest.raises(InvalidData):
        read_duration(text)


def test_write_duration_round_trips():
    for value in [
        timedelta(0),
        timedelta(seconds=59),
        timedelta(days=3, seconds=7),
        -timedelta(hours=2),
    ]:
        assert read_duration(write_duration(value)) == value


def test_datetime_text():
    moment = datetime(2026, 3, 1, 12, 0, 5, 120000, tzinfo=UTC)
    assert write_datetime(moment) == "2026-03-01T12:00:05.120000Z"
    assert read_datetime("2026-03-01T12:00:05.12Z") == moment
    assert read_datetime("2026-03-01T12:00:05") == moment.replace(microsecond=0)
    with pytest.raises(InvalidData):
        read_datetime("yesterday")


def test_decoded_messages_are_typed_all_the_way_down():
    message = decode(encode(examples.distribute_event(1)))
    event = message.events[0].event
    assert isinstance(event.active_period.dtstart, datetime)
    assert isinstance(event.event_signals[0].intervals[0].duration, timedelta)
    assert isinstance(event.event_signals[0].intervals[0].payloads[0], float)
    assert parse(encode(message)).tag == OADR_PAYLOAD


def test_public_api_is_pinned():
    import inspect

    import common.xml

    assert set(common.xml.__all__) == {
        "DEFAULT_LIMITS",
        "Codec",
        "Limits",
        "Signer",
        "decode",
        "encode",
        "from_element",
        "parse",
        "to_element",
        "validate",
    }
    assert list(inspect.signature(common.xml.parse).parameters) == ["data", "limits"]
    assert list(inspect.signature(common.xml.decode).parameters) == ["data", "limits"]
    assert list(inspect.signature(common.xml.encode).parameters) == ["message", "signer"]
    for function, name in [(common.xml.parse, "limits"), (common.xml.encode, "signer")]:
        kind = inspect.signature(function).parameters[name].kind
        assert kind is inspect.Parameter.KEYWORD_ONLY


def test_prototype_copies_do_not_leak_between_messages():
    first = examples.distribute_event(2, intervals=3)
    second = examples.distribute_event(1, intervals=2, full=False)
    for _ in range(2):
        assert decode(encode(first)) == first
        assert decode(encode(second)) == second


def test_encode_and_decode_from_several_threads():
    from concurrent.futures import ThreadPoolExecutor

    messages = [examples.distribute_event(n % 3 + 1, intervals=n % 4 + 1) for n in range(12)]

    def round_trip(message):
        return decode(encode(message)) == message

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert all(pool.map(round_trip, messages * 5))
