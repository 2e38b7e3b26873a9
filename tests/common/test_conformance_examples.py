"""The rules over known messages: the project's examples, and messages openleadr produces."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from openleadr.messaging import create_message

from common.conformance import Exchange, Finding, check
from common.conformance.findings import Direction
from common.messages import examples
from common.messages.event import DistributeEvent
from common.messages.opt import CreateOpt
from common.messages.types import Message
from common.xml import decode
from tests.support.report_messages import MESSAGES as REPORT_MESSAGES

START = datetime(2026, 7, 1, 17, 0, tzinfo=UTC)
CREATED = datetime(2026, 7, 1, 16, 58, tzinfo=UTC)


def rules(findings: list[Finding]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for finding in findings:
        counts[finding.rule.id] = counts.get(finding.rule.id, 0) + 1
    return counts


def test_example_messages_pass_except_the_documented_violations():
    """examples.all_messages() fills every optional field, which breaks three rules:

    - its LOAD_DISPATCH signal is a ``delta`` where certification expects ``setpoint``, and its
      intervals carry a dtstart (4 intervals x 2 events);
    - its oadrCreateOpt names an event and carries a schedule and a marketContext (to show
      every field of the type), which an event opt must not.
    """
    found: dict[str, dict[str, int]] = {}
    for message in examples.all_messages():
        counts = rules(check(message))
        if counts:
            found[type(message).__name__] = counts
    assert found == {
        "DistributeEvent": {"event.no-interval-dtstart": 8, "event.signal-type-units": 2},
        "CreateOpt": {"opt.event-opt-bare": 2},
    }


def test_lean_example_event_passes():
    assert check(examples.distribute_event(3, full=False)) == []


def test_report_example_messages():
    """tests/support/report_messages fills fields as real peers do, warts included."""
    found = {name: rules(check(message)) for name, message in REPORT_MESSAGES.items()}
    found = {name: counts for name, counts in found.items() if counts}
    assert found == {
        # the private x-report carries an eiReportID, which metadata must not
        "register": {"report.metadata-bare": 1},
        # a VEN registering no report offers no telemetry
        "register-empty": {"report.telemetry-metadata": 2},
        # requests name data points by their own reading types, not x-notApplicable
        "registered": {"report.request-reading-type": 4},
        "create": {"report.request-reading-type": 4},
        "create-ven": {"report.request-reading-type": 2},
        # status-hvac-1 has loadControlState in its first interval only
        "update-status": {"report.load-control-state": 1},
    }


# ---- openleadr (the independent peer) -------------------------------------------------------


def from_openleadr(message_type: str, **payload: object) -> Message:
    return decode(create_message(message_type, **payload).encode("utf-8"))


def openleadr_event(event_id: str, start: datetime) -> dict[str, object]:
    """An event as openleadr's VTN builds it (utils/objects), one SIMPLE signal."""
    return {
        "event_descriptor": {
            "event_id": event_id, "modification_number": 0, "market_context": "http://mc",
            "event_status": "far", "created_date_time": CREATED, "priority": 0,
            "test_event": False,
        },
        "active_period": {"dtstart": start, "duration": timedelta(minutes=30)},
        "event_signals": [{
            "intervals": [
                {"dtstart": start + i * timedelta(minutes=15),
                 "duration": timedelta(minutes=15), "signal_payload": 1.0}
                for i in range(2)
            ],
            "signal_name": "SIMPLE", "signal_type": "level", "signal_id": "sig-1",
            "current_value": 0,
        }],
        "targets": [{"ven_id": "ven-1"}],
        "response_required": "always",
    }


def test_openleadr_distribute_event_findings():
    """openleadr writes each interval's dtstart when given one, and its documented
    ``add_event`` usage gives one per interval: a finding of event.no-interval-dtstart, not a
    reason to relax the rule."""
    message = from_openleadr("oadrDistributeEvent", request_id="d1", vtn_id="vtn-1",
                             events=[openleadr_event("e1", START),
                                     openleadr_event("e2", START + timedelta(hours=1))])
    assert isinstance(message, DistributeEvent)
    exchange = Exchange(vtn_ids={"vtn-1"}, ven_ids={"ven-1"}, market_contexts={"http://mc"})
    findings = exchange.feed(message, at=CREATED, direction=Direction.VTN_TO_VEN)
    assert rules(findings) == {"event.no-interval-dtstart": 4}
    assert {f.path for f in findings} == {
        f"oadrEvent[eventID={e}]/eiEventSignals/eiEventSignal[0]/intervals/interval[{i}]/dtstart"
        for e in ("e1", "e2") for i in (0, 1)
    }


def test_openleadr_create_opt_findings():
    """openleadr's ``create_opt`` forwards a market_context with an event_id without a word:
    a finding of opt.event-opt-bare (schedules are fine)."""
    event_opt = from_openleadr(
        "oadrCreateOpt", opt_id="opt-1", opt_type="optIn", opt_reason="participating",
        market_context="http://mc", ven_id="ven-1", created_date_time=CREATED,
        request_id="o1", event_id="e1", modification_number=0)
    assert isinstance(event_opt, CreateOpt)
    assert rules(check(event_opt)) == {"opt.event-opt-bare": 1}
    schedule = from_openleadr(
        "oadrCreateOpt", opt_id="opt-2", opt_type="optOut", opt_reason="x-schedule",
        market_context="http://mc", ven_id="ven-1", created_date_time=CREATED,
        request_id="o2",
        vavailability={"components": [{"dtstart": START, "duration": timedelta(hours=2)}]},
        signal_target_mrid="Thermostat")
    assert check(schedule) == []


def test_openleadr_report_conversation():
    """A VEN's metadata, the VTN's request and the VEN's data, all written by openleadr."""
    register = from_openleadr("oadrRegisterReport", request_id="r1", ven_id="ven-1", reports=[{
        "report_specifier_id": "spec-1", "report_name": "TELEMETRY_USAGE",
        "report_request_id": None, "created_date_time": CREATED,
        "duration": timedelta(hours=1),
        "report_descriptions": [{
            "r_id": "power", "report_subject": None,
            "report_data_source": {"resource_id": "meter-1"}, "report_type": "usage",
            "reading_type": "Direct Read", "market_context": "http://mc",
            "sampling_rate": {"min_period": timedelta(minutes=1),
                              "max_period": timedelta(minutes=15), "on_change": False},
            "measurement": {"name": "powerReal", "description": "RealPower", "unit": "W",
                            "scale": "k",
                            "power_attributes": {"hertz": 60, "voltage": 120, "ac": True}},
        }],
    }])
    create = from_openleadr("oadrCreateReport", request_id="c1", ven_id="ven-1",
                            report_requests=[{
        "report_request_id": "rr-1",
        "report_specifier": {
            "report_specifier_id": "spec-1", "granularity": timedelta(minutes=15),
            "report_back_duration": timedelta(minutes=15),
            "specifier_payloads": [{"r_id": "power", "reading_type": "Direct Read"}],
        },
    }])
    update = from_openleadr("oadrUpdateReport", request_id="u1", ven_id="ven-1", reports=[{
        "report_id": "rep-1", "report_request_id": "rr-1", "report_specifier_id": "spec-1",
        "report_name": "TELEMETRY_USAGE", "created_date_time": CREATED, "dtstart": START,
        "intervals": [{"dtstart": START, "duration": timedelta(minutes=15),
                       "report_payload": {"r_id": "power", "value": 12.5}}],
    }])
    exchange = Exchange()
    found = [rules(exchange.feed(message, at=CREATED, direction=way)) for message, way in (
        (register, Direction.VEN_TO_VTN), (create, Direction.VTN_TO_VEN),
        (update, Direction.VEN_TO_VTN))]
    assert found == [
        # openleadr offers only what the VEN's code registers: no TELEMETRY_STATUS here
        {"report.telemetry-metadata": 1},
        # openleadr's VTN requests with the metadata's readingType, not x-notApplicable
        {"report.request-reading-type": 1},
        {},
    ]
