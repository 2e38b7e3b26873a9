"""EiReport codec: round trips, XSD validity, invalid documents, interop with openleadr."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

import pytest
from openleadr import messaging as ol

from common.errors import NotRecognized, ResponseCode, SchemaViolation
from common.messages.enums import (
    ExtensionValue,
    ReadingType,
    ReportName,
    ReportType,
    SiScaleCode,
    TemperatureUnit,
)
from common.messages.report import (
    CanceledReport,
    CancelReport,
    CreatedReport,
    CreateReport,
    LoadControlStateValue,
    RegisteredReport,
    RegisterReport,
    Report,
    ReportDescription,
    ReportPayload,
    ReportRequest,
    ReportSpecifier,
    SamplingRate,
    SpecifierPayload,
    UpdatedReport,
    UpdateReport,
)
from common.messages.types import EiResponse, Interval, ItemBase, Message, Period, Target
from common.xml import decode, encode, parse, prototypes, skeletons, to_element, validate
from common.xml import report as report_codec
from common.xml.names import INTERVAL
from common.xml.registry import CODECS_BY_TYPE
from common.xml.report import intervals as report_intervals
from tests.support.report_messages import (
    CEST,
    CREATED,
    FAST,
    KWH,
    MARKET,
    MESSAGES,
    QUARTER,
    T0,
    cancel_report,
    full_status,
    register_report,
    report_requests,
    update_report_status,
    update_report_usage,
    usage_intervals,
)

# ---- round trips and schema validity --------------------------------------------------------


@pytest.mark.parametrize("message", MESSAGES.values(), ids=MESSAGES.keys())
def test_round_trip_is_exact_and_schema_valid(message: Message):
    validate(to_element(message))  # explicit XSD validation of the tree we build
    data = encode(message)
    parse(data)  # and of the bytes, through the hardened parser
    assert decode(data) == message


def test_every_report_payload_type_is_covered():
    codec_types = {codec.message_type for codec in report_codec.CODECS}
    assert len(codec_types) == 8
    assert codec_types == {type(m) for m in MESSAGES.values()}


def test_update_report_has_96_intervals_with_two_data_points():
    decoded = decode(encode(update_report_usage()))
    assert isinstance(decoded, UpdateReport)
    intervals = decoded.reports[0].intervals
    assert len(intervals) == 96
    assert intervals[95].dtstart == T0 + 95 * QUARTER
    assert [p.r_id for p in intervals[10].payloads] == ["usage", "baseline"]
    assert intervals[10].payloads[0].value == 47.5
    assert intervals[10].payloads[1].confidence == 90


def test_status_payload_keeps_every_load_control_value():
    decoded = decode(encode(update_report_status()))
    assert isinstance(decoded, UpdateReport)
    payload = decoded.reports[0].intervals[0].payloads[0]
    assert payload.value == full_status()
    state = payload.value.load_control_state  # type: ignore[union-attr]
    assert state.set_point == LoadControlStateValue(current=24.5, min=18.0, max=28.0, normal=22.0)


def test_extension_tokens_survive():
    decoded = decode(encode(register_report()))
    assert isinstance(decoded, RegisterReport)
    private = decoded.reports[3]
    assert private.report_name == ExtensionValue("x-buildingComfort")
    assert private.report_descriptions[0].report_type == ExtensionValue("x-comfortIndex")


def test_cloned_intervals_equal_the_element_by_element_build(monkeypatch: pytest.MonkeyPatch):
    # The writer copies intervals from prototypes; without prototypes every interval is built
    # with SubElement. Both must give the same bytes, with namespaces declared on the root only.
    message = UpdateReport(
        request_id="upd-4",
        reports=(
            update_report_usage().reports[0],
            update_report_status().reports[0],
            Report(
                report_request_id="rr",
                report_specifier_id="spec",
                created_date_time=CREATED,
                intervals=tuple(
                    Interval(
                        # sub-second starts, and a non-UTC zone, take the slower formatting path
                        dtstart=(T0 + i * QUARTER + timedelta(microseconds=1500 * i)).astimezone(
                            CEST if i % 2 else UTC
                        ),
                        duration=QUARTER,
                        payloads=(
                            ReportPayload(r_id="a", value=1.0 * i, accuracy=0.5),
                            ReportPayload(r_id="b", value=2.0, confidence=i),
                            ReportPayload(r_id="c", value=3.0),
                        ),
                    )
                    for i in range(4)
                ),
            ),
        ),
    )
    copied: list[object] = []
    real_clone = prototypes.clone
    # (whole-message skeletons, tested in test_codec_skeletons.py, would bypass both writers)
    monkeypatch.setattr(skeletons, "element", lambda key, texts, build: build())

    def counting_clone(key: Any, build: Any) -> Any:
        copied.append(key)
        return real_clone(key, build)

    monkeypatch.setattr(prototypes, "clone", counting_clone)
    cloned = encode(message)
    assert sum(key[0] == INTERVAL for key in copied) == 96 + 4  # not the status intervals
    monkeypatch.setattr(report_intervals, "_admit", lambda shape: False)
    assert encode(message) == cloned
    assert cloned.count(b"xmlns:") == len(CODECS_BY_TYPE[UpdateReport].nsmap)
    assert decode(cloned) == message


# ---- invalid documents ----------------------------------------------------------------------


def _tamper(message: Message, old: bytes, new: bytes) -> bytes:
    data = encode(message)
    assert old in data
    return data.replace(old, new, 1)


INVALID = {
    # confidence is 0-100
    "confidence-over-100": (
        _tamper(update_report_status(), b"<ei:confidence>100<", b"<ei:confidence>101<"),
        "confidence",
    ),
    # oadrReport must end with ei:createdDateTime
    "report-without-created": (
        _tamper(
            update_report_usage(),
            b"<ei:createdDateTime>2026-07-01T18:00:05.125000Z</ei:createdDateTime>",
            b"",
        ),
        "createdDateTime",
    ),
    # oadrCancelReport needs at least one reportRequestID
    "cancel-without-ids": (
        _tamper(
            CancelReport(request_id="c", report_request_ids=("x",), report_to_follow=False),
            b"<ei:reportRequestID>x</ei:reportRequestID>",
            b"",
        ),
        "reportRequestID",
    ),
    # oadrCurrent is mandatory in a load control state value
    "control-without-current": (
        _tamper(update_report_status(), b"<oadr:oadrCurrent>50.0</oadr:oadrCurrent>", b""),
        "oadrCurrent",
    ),
    # readingType is not an enumerated value nor an x- extension
    "bad-reading-type": (
        _tamper(register_report(), b"<ei:readingType>Direct Read<", b"<ei:readingType>Guessed<"),
        "ReadingTypeType",
    ),
}


@pytest.mark.parametrize(("data", "culprit"), INVALID.values(), ids=INVALID.keys())
def test_schema_invalid_documents_are_refused_with_454(data: bytes, culprit: str):
    with pytest.raises(SchemaViolation) as caught:
        decode(data)
    assert caught.value.code == ResponseCode.INVALID_DATA == 454
    assert culprit in caught.value.description


def test_non_report_payload_in_a_report_interval_is_not_recognized():
    # ei:signalPayload is a valid strm:streamPayloadBase, but not something a report carries.
    data = _tamper(
        update_report_usage(),
        b"<oadr:oadrReportPayload><ei:rID>usage</ei:rID><ei:payloadFloat><ei:value>40.0"
        b"</ei:value></ei:payloadFloat></oadr:oadrReportPayload>",
        b"<ei:signalPayload><ei:payloadFloat><ei:value>40.0</ei:value></ei:payloadFloat>"
        b"</ei:signalPayload>",
    )
    parse(data)  # schema-valid
    with pytest.raises(NotRecognized):
        decode(data)


# ---- interop: openleadr -> us ---------------------------------------------------------------


def _ol(message_type: str, **payload: Any) -> bytes:
    return ol.create_message(message_type, **payload).encode("utf-8")


OL_RESPONSE = {"response_code": 200, "response_description": "OK", "request_id": "req-9"}
OL_REPORT_REQUEST = {
    "report_request_id": "rr-1",
    "report_specifier": {
        "report_specifier_id": "spec-1",
        "granularity": QUARTER,
        "report_back_duration": timedelta(hours=1),
        "report_interval": {"dtstart": T0, "duration": timedelta(hours=4)},
        "specifier_payloads": [
            {"r_id": "usage", "reading_type": "Direct Read"},
            {"r_id": "baseline", "reading_type": "Projected"},
        ],
    },
}
OL_RESPONSE_OURS = EiResponse(
    response_code=ResponseCode.OK, request_id="req-9", response_description="OK"
)
OUR_REPORT_REQUEST = ReportRequest(
    report_request_id="rr-1",
    report_specifier=ReportSpecifier(
        report_specifier_id="spec-1",
        granularity=QUARTER,
        report_back_duration=timedelta(hours=1),
        report_interval=Period(dtstart=T0, duration=timedelta(hours=4)),
        specifier_payloads=(
            SpecifierPayload(r_id="usage", reading_type=ReadingType.DIRECT_READ),
            SpecifierPayload(r_id="baseline", reading_type=ReadingType.PROJECTED),
        ),
    ),
)


def test_openleadr_register_report_decodes():
    descriptions = [
        {
            "r_id": "usage",
            "report_subject": None,
            "report_data_source": {"resource_id": "meter-1"},
            "report_type": "usage",
            "reading_type": "Direct Read",
            "market_context": MARKET,
            "sampling_rate": {
                "min_period": timedelta(minutes=1),
                "max_period": QUARTER,
                "on_change": False,
            },
            "measurement": {
                "name": "powerReal",
                "description": "RealPower",
                "unit": "W",
                "scale": "k",
                "power_attributes": {"hertz": 60, "voltage": 120, "ac": True},
            },
        },
        {
            "r_id": "temp",
            "report_subject": {"end_device_asset": {"mrid": "Thermostat"}},
            "report_data_source": {"resource_id": "zone-1"},
            "report_type": "reading",
            "reading_type": "Direct Read",
            "market_context": MARKET,
            "sampling_rate": {
                "min_period": timedelta(minutes=1),
                "max_period": QUARTER,
                "on_change": True,
            },
            "measurement": {
                "name": "temperature",
                "description": "temperature",
                "unit": "celsius",
                "scale": "none",
            },
        },
        {
            "r_id": "pulses",
            "report_subject": None,
            "report_data_source": {"resource_id": "meter-2"},
            "report_type": "reading",
            "reading_type": "Direct Read",
            "market_context": MARKET,
            "sampling_rate": None,
            "measurement": {
                "name": "pulseCount",
                "description": "pulse count",
                "unit": "count",
                "pulse_factor": 1000,
            },
        },
        {
            "r_id": "price",
            "report_subject": None,
            "report_data_source": None,
            "report_type": "price",
            "reading_type": "Projected",
            "market_context": MARKET,
            "sampling_rate": None,
            "measurement": {
                "name": "currencyPerKWh",
                "description": "currencyPerKWh",
                "unit": "USD",
                "scale": "none",
            },
        },
        {
            "r_id": "energy",
            "report_subject": None,
            "report_data_source": {"resource_id": "meter-1"},
            "report_type": "usage",
            "reading_type": "Net",
            "market_context": MARKET,
            "sampling_rate": None,
            "measurement": {
                "name": "energyReal",
                "description": "RealEnergy",
                "unit": "Wh",
                "scale": "k",
            },
        },
    ]
    data = _ol(
        "oadrRegisterReport",
        request_id="req-1",
        ven_id="ven-1",
        reports=[
            {
                "report_specifier_id": "spec-1",
                "report_name": "TELEMETRY_USAGE",
                "report_request_id": None,
                "created_date_time": CREATED,
                "duration": timedelta(hours=2),
                "report_descriptions": descriptions,
            }
        ],
    )
    message = decode(data)
    assert isinstance(message, RegisterReport)
    assert message.request_id == "req-1"
    assert message.ven_id == "ven-1"
    assert message.report_request_id is None
    (report,) = message.reports
    assert report.report_name is ReportName.METADATA_TELEMETRY_USAGE  # openleadr adds METADATA_
    assert report.report_specifier_id == "spec-1"
    assert report.report_request_id == "0"
    assert report.created_date_time == CREATED
    assert report.duration == timedelta(hours=2)
    assert report.intervals == ()
    usage, temp, pulses, price, energy = report.report_descriptions
    assert usage == ReportDescription(
        r_id="usage",
        report_data_source=Target(resource_ids=("meter-1",)),
        report_type=ReportType.USAGE,
        item_base=ItemBase.power(scale=SiScaleCode.KILO, hertz=60, voltage=120),
        reading_type=ReadingType.DIRECT_READ,
        market_context=MARKET,
        sampling_rate=FAST,
    )
    assert temp.item_base == ItemBase.temperature(TemperatureUnit.CELSIUS)
    assert temp.report_subject == Target(end_device_assets=("Thermostat",))
    assert pulses.item_base == ItemBase.pulse_count(1000.0)
    assert pulses.report_data_source == Target(resource_ids=("meter-2",))
    assert price.item_base == ItemBase.currency("USD")
    assert price.report_type is ReportType.PRICE
    assert price.report_data_source is None
    assert temp.report_type is ReportType.READING
    assert temp.sampling_rate == SamplingRate(
        min_period=timedelta(minutes=1), max_period=QUARTER, on_change=True
    )
    assert energy.item_base == KWH
    assert energy.reading_type is ReadingType.NET
    assert energy.sampling_rate is None


def test_openleadr_update_report_decodes():
    intervals = [
        {
            "dtstart": T0 + i * QUARTER,
            "duration": QUARTER,
            "report_payload": {
                "r_id": "usage",
                "value": 10.0 + i,
                "confidence": 80 if i == 0 else None,
                "accuracy": 2 if i == 0 else None,
            },
        }
        for i in range(96)
    ]
    data = _ol(
        "oadrUpdateReport",
        request_id="upd-9",
        ven_id="ven-1",
        reports=[
            {
                "report_id": "report-1",
                "report_request_id": "rr-1",
                "report_specifier_id": "spec-1",
                "report_name": "TELEMETRY_USAGE",
                "created_date_time": CREATED,
                "dtstart": T0,
                "intervals": intervals,
            }
        ],
    )
    message = decode(data)
    assert isinstance(message, UpdateReport)
    assert (message.request_id, message.ven_id) == ("upd-9", "ven-1")
    (report,) = message.reports
    assert report.report_id == "report-1"
    assert report.report_request_id == "rr-1"
    assert report.report_specifier_id == "spec-1"
    assert report.report_name is ReportName.TELEMETRY_USAGE
    assert report.dtstart == T0
    assert report.created_date_time == CREATED
    assert len(report.intervals) == 96
    first, last = report.intervals[0], report.intervals[95]
    assert first == Interval(
        dtstart=T0,
        duration=QUARTER,
        payloads=(ReportPayload(r_id="usage", value=10.0, confidence=80, accuracy=2.0),),
    )
    assert last.dtstart == T0 + 95 * QUARTER
    assert last.payloads == (ReportPayload(r_id="usage", value=105.0),)


def test_openleadr_create_and_registered_report_decode():
    created = decode(
        _ol("oadrCreateReport", request_id="create-9", ven_id="ven-1",
            report_requests=[OL_REPORT_REQUEST])
    )  # fmt: skip
    assert created == CreateReport(
        request_id="create-9", report_requests=(OUR_REPORT_REQUEST,), ven_id="ven-1"
    )
    registered = decode(
        _ol("oadrRegisteredReport", response=OL_RESPONSE, ven_id="ven-1",
            report_requests=[OL_REPORT_REQUEST])
    )  # fmt: skip
    assert registered == RegisteredReport(
        response=OL_RESPONSE_OURS, report_requests=(OUR_REPORT_REQUEST,), ven_id="ven-1"
    )


def test_openleadr_acknowledgements_decode():
    pending = [{"report_request_id": "rr-1"}, {"report_request_id": "rr-2"}]
    assert decode(
        _ol("oadrCreatedReport", response=OL_RESPONSE, pending_reports=pending, ven_id="ven-1")
    ) == CreatedReport(response=OL_RESPONSE_OURS, pending_reports=("rr-1", "rr-2"), ven_id="ven-1")
    assert decode(
        _ol("oadrCanceledReport", response=OL_RESPONSE, pending_reports=[])
    ) == CanceledReport(response=OL_RESPONSE_OURS)
    assert decode(
        _ol("oadrCancelReport", request_id="cancel-9", report_request_id="rr-1",
            report_to_follow=True, ven_id="ven-1")
    ) == CancelReport(
        request_id="cancel-9", report_request_ids=("rr-1",), report_to_follow=True, ven_id="ven-1"
    )  # fmt: skip
    cancel = {
        "request_id": "cancel-8",
        "report_request_id": ["rr-1", "rr-2"],
        "report_to_follow": False,
        "ven_id": "ven-1",
    }
    assert decode(
        _ol("oadrUpdatedReport", response=OL_RESPONSE, cancel_report=cancel, ven_id="ven-1")
    ) == UpdatedReport(
        response=OL_RESPONSE_OURS,
        cancel_report=CancelReport(
            request_id="cancel-8",
            report_request_ids=("rr-1", "rr-2"),
            report_to_follow=False,
            ven_id="ven-1",
        ),
        ven_id="ven-1",
    )


# ---- interop: us -> openleadr ---------------------------------------------------------------


def _parsed(message: Message) -> tuple[str, dict[str, Any]]:
    return ol.parse_message(encode(message))


def test_openleadr_parses_our_register_report():
    kind, payload = _parsed(register_report())
    assert kind == "oadrRegisterReport"
    assert payload["request_id"] == "reg-req-7"
    assert payload["ven_id"] == "ven-123"
    assert payload["report_request_id"] == "metadata-request-1"
    usage, status, history, _ = payload["reports"]
    assert usage["report_name"] == "METADATA_TELEMETRY_USAGE"
    assert usage["report_specifier_id"] == "telemetry-usage"
    assert usage["created_date_time"] == CREATED
    assert usage["duration"] == timedelta(hours=2)
    first = usage["report_descriptions"][0]
    assert first["r_id"] == "usage"
    assert first["report_type"] == "usage"
    assert first["reading_type"] == "Direct Read"
    assert first["market_context"] == MARKET
    assert first["report_data_source"] == {"resource_id": "meter-1"}
    assert first["sampling_rate"] == {
        "min_period": timedelta(minutes=1),
        "max_period": QUARTER,
        "on_change": False,
    }
    assert first["measurement"] == {
        "name": "powerReal",
        "description": "RealPower",
        "unit": "W",
        "scale": "k",
        "power_attributes": {"hertz": 60.0, "voltage": 120.0, "ac": True},
    }
    assert [d["r_id"] for d in status["report_descriptions"]] == [
        "status-hvac-1",
        "status-battery-1",
    ]
    assert status["report_descriptions"][0]["report_type"] == "x-resourceStatus"
    descriptions = history["report_descriptions"]
    assert [d["measurement"]["name"] for d in descriptions[:10]] == [
        "powerApparent", "powerReactive", "energyReal", "energyApparent", "energyReactive",
        "voltage", "current", "frequency", "Therm", "currency",
    ]  # fmt: skip
    assert descriptions[0]["measurement"]["power_attributes"]["hertz"] == 50.0
    assert descriptions[6]["measurement"]["scale"] == "m"
    # openleadr's unit table misspells currencyPerKW, and its normaliser stops turning units into
    # "measurement" dicts at the first one it does not know: the rest stay as parsed elements.
    assert descriptions[10]["currency_per_kw"]["item_units"] == "EUR"
    assert descriptions[13]["temperature"]["item_units"] == "fahrenheit"
    assert descriptions[14]["pulseCount"]["pulse_factor"] == 0.25
    assert descriptions[15]["customUnit"]["item_description"] == "Irradiance"


def test_openleadr_parses_our_update_report():
    kind, payload = _parsed(update_report_usage())
    assert kind == "oadrUpdateReport"
    assert (payload["request_id"], payload["ven_id"]) == ("upd-1", "ven-123")
    (report,) = payload["reports"]
    assert report["report_id"] == "report-usage-1"
    assert report["report_request_id"] == "rr-usage"
    assert report["report_specifier_id"] == "telemetry-usage"
    assert report["report_name"] == "TELEMETRY_USAGE"
    assert report["dtstart"] == T0
    assert report["duration"] == timedelta(hours=24)
    assert report["created_date_time"] == CREATED
    intervals = report["intervals"]
    assert len(intervals) == 96
    expected = usage_intervals(96)
    for ours, theirs in zip(expected, intervals, strict=True):
        assert theirs["dtstart"] == ours.dtstart
        assert theirs["duration"] == QUARTER
        usage, baseline = theirs["report_payload"]
        assert usage["r_id"] == "usage"
        assert float(usage["payload_float"]["value"]) == ours.payloads[0].value
        assert baseline["r_id"] == "baseline"
        assert float(baseline["payload_float"]["value"]) == ours.payloads[1].value
        assert baseline["confidence"] == 90
        assert baseline["accuracy"] == 1.5


def test_openleadr_parses_a_single_payload_interval_as_its_value():
    message = UpdateReport(
        request_id="upd-3",
        reports=(
            Report(
                report_id="r",
                report_request_id="rr-usage",
                report_specifier_id="telemetry-usage",
                created_date_time=CREATED,
                intervals=(
                    Interval(
                        dtstart=T0,
                        duration=QUARTER,
                        payloads=(ReportPayload(r_id="usage", value=42.25, confidence=70),),
                    ),
                ),
            ),
        ),
    )
    _, payload = _parsed(message)
    (interval,) = payload["reports"][0]["intervals"]
    assert interval["report_payload"] == {"r_id": "usage", "confidence": 70, "value": 42.25}


def test_openleadr_parses_our_resource_status():
    _, payload = _parsed(update_report_status())
    report = payload["reports"][0]
    assert report["report_name"] == "TELEMETRY_STATUS"
    hvac, battery = report["intervals"][0]["report_payload"]
    assert hvac["r_id"] == "status-hvac-1"
    status = hvac["payload_resource_status"]
    assert status["online"] is True
    assert status["manual_override"] is False
    state = status["load_control_state"]
    assert state["capacity"] == {"min": 0, "max": 1, "current": 0.6, "normal": 1}
    assert state["percent_offset"] == {"current": -12.5}
    assert state["set_point"] == {"min": 18, "max": 28, "current": 24.5, "normal": 22}
    assert battery["payload_resource_status"]["online"] is False
    assert battery["data_quality"] == "Quality Bad - Comm Failure"


def test_openleadr_parses_our_requests():
    kind, payload = _parsed(CreateReport(request_id="create-1", report_requests=report_requests()))
    assert kind == "oadrCreateReport"
    assert payload["request_id"] == "create-1"
    usage, status, history = payload["report_requests"]
    assert usage["report_request_id"] == "rr-usage"
    spec = usage["report_specifier"]
    assert spec["report_specifier_id"] == "telemetry-usage"
    assert spec["granularity"] == QUARTER
    assert spec["report_back_duration"] == timedelta(hours=1)
    assert spec["report_interval"] == {"dtstart": T0, "duration": timedelta(hours=24)}
    assert [(p["r_id"], p["reading_type"]) for p in spec["specifier_payloads"]] == [
        ("usage", "Direct Read"),
        ("baseline", "Projected"),
    ]
    assert status["report_specifier"]["granularity"] == timedelta(0)
    assert history["report_specifier"]["report_back_duration"] == timedelta(0)

    kind, payload = _parsed(MESSAGES["registered"])
    assert kind == "oadrRegisteredReport"
    assert payload["response"] == {
        "response_code": 200,
        "response_description": "OK",
        "request_id": "reg-req-7",
    }
    assert [r["report_request_id"] for r in payload["report_requests"]] == [
        "rr-usage",
        "rr-status",
        "rr-history",
    ]


def test_openleadr_parses_our_acknowledgements():
    kind, payload = _parsed(MESSAGES["created"])
    assert kind == "oadrCreatedReport"
    assert payload["pending_reports"] == [
        {"report_request_id": "rr-usage"},
        {"report_request_id": "rr-status"},
    ]
    assert payload["ven_id"] == "ven-123"
    _, payload = _parsed(MESSAGES["created-none-pending"])
    assert payload["pending_reports"] == []
    kind, payload = _parsed(MESSAGES["canceled"])
    assert kind == "oadrCanceledReport"
    assert payload["pending_reports"] == [{"report_request_id": "rr-history"}]
    kind, payload = _parsed(cancel_report())
    assert kind == "oadrCancelReport"
    assert payload == {
        "request_id": "cancel-1",
        "report_request_id": ["rr-usage", "rr-status"],
        "report_to_follow": True,
        "ven_id": "ven-123",
    }
    kind, payload = _parsed(MESSAGES["updated-cancel"])
    assert kind == "oadrUpdatedReport"
    assert payload["response"]["response_code"] == 200
    assert payload["cancel_report"] == {
        "request_id": "cancel-2",
        "report_request_id": "rr-history",
        "report_to_follow": False,
    }
