"""Each automatic conformance rule: one exchange that passes it and one that breaks it."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from common.conformance import RULES, Direction, Exchange, Finding, check
from common.messages.enums import (
    EventStatus,
    ItemKind,
    OptType,
    ReadingType,
    ReportName,
    ResponseCode,
    ResponseRequired,
    SignalName,
    SignalType,
)
from common.messages.event import CreatedEvent, EventResponse, EventSignal, RequestEvent
from common.messages.poll import Poll
from common.messages.report import (
    LoadControlState,
    LoadControlStateValue,
    RegisteredReport,
    ReportPayload,
    ResourceStatus,
)
from common.messages.types import EiResponse, Interval, ItemBase, Message, QualifiedEventId, Target
from tests.support.conformance import (
    KW,
    MARKET,
    NOW,
    QUARTER,
    START,
    create_opt,
    create_report,
    distribute,
    event,
    metadata,
    register_report,
    registered,
    registration,
    request,
    simple_signal,
    update_report,
)

VEN, VTN = Direction.VEN_TO_VTN, Direction.VTN_TO_VEN
Step = tuple[Message, Direction | None]


def run(steps: list[Step], *, at: datetime = NOW) -> list[Finding]:
    """Feed `steps` to a context that knows vtn-1, ven-1 and MARKET; every finding."""
    exchange = Exchange(vtn_ids={"vtn-1"}, ven_ids={"ven-1"}, market_contexts={MARKET})
    findings: list[Finding] = []
    for message, direction in steps:
        findings += exchange.feed(message, at=at, direction=direction)
    return findings


def dispatch(name: SignalName, kind: SignalType, item: ItemBase | None) -> EventSignal:
    return simple_signal(signal_name=name, signal_type=kind, item_base=item, levels=(5.0, 6.0))


def answer(event_id: str, modification: int = 0) -> CreatedEvent:
    ok = EiResponse(response_code=ResponseCode.OK, request_id="d1")
    return CreatedEvent(response=ok, ven_id="ven-1", event_responses=(EventResponse(
        response_code=ResponseCode.OK, request_id="d1", opt_type=OptType.OPT_IN,
        qualified_event_id=QualifiedEventId(event_id=event_id, modification_number=modification),
    ),))


def status(load_control: bool) -> ResourceStatus:
    state = LoadControlState(capacity=LoadControlStateValue(current=1.0))
    return ResourceStatus(online=True, manual_override=False,
                          load_control_state=state if load_control else None)


def status_update(first: bool, second: bool) -> Message:
    return update_report(tuple(
        Interval(dtstart=START + i * QUARTER, duration=QUARTER,
                 payloads=(ReportPayload(r_id="status", value=status(flag)),))
        for i, flag in enumerate((first, second))))


LATER = START + timedelta(days=1)
CASES: dict[str, tuple[list[Step], list[Step]]] = {
    "event.all-events-present": (
        [(distribute(event("e1")), VTN), (distribute(event("e1"), request_id="d2"), VTN)],
        [(distribute(event("e1")), VTN), (distribute(request_id="d2"), VTN)],
    ),
    "event.cancelled-modification": (
        [(distribute(event("e1")), VTN),
         (distribute(event("e1", status=EventStatus.CANCELLED, modification=1)), VTN)],
        [(distribute(event("e1")), VTN),
         (distribute(event("e1", status=EventStatus.CANCELLED, modification=0)), VTN)],
    ),
    "event.order": (
        [(distribute(event("e1"), event("e2", start=LATER)), VTN)],
        [(distribute(event("e2", start=LATER), event("e1")), VTN)],
    ),
    "event.no-overlap": (
        [(distribute(event("e1"), event("e2", start=START + 2 * QUARTER)), VTN)],
        [(distribute(event("e1"), event("e2", start=START + QUARTER)), VTN)],
    ),
    "event.unique-event-ids": (
        [(distribute(event("e1"), event("e2", start=LATER)), VTN)],
        [(distribute(event("e1"), event("e1", start=LATER)), VTN)],
    ),
    "event.unique-signal-ids": (
        [(distribute(event(signals=(simple_signal(),
                                    simple_signal(signal_id="sig-2", current_value=None)))), VTN)],
        [(distribute(event(signals=(simple_signal(), simple_signal()))), VTN)],
    ),
    "event.one-ven-id": (
        [(distribute(event(ven_ids=("ven-1",))), VTN)],
        [(distribute(event(ven_ids=("ven-1", "ven-2"))), VTN)],
    ),
    "event.interval-durations-sum": (
        [(distribute(event(duration=2 * QUARTER)), VTN)],
        [(distribute(event(duration=3 * QUARTER)), VTN)],
    ),
    "event.no-interval-dtstart": (
        [(distribute(event()), VTN)],
        [(distribute(event(signals=(simple_signal(intervals=(
            Interval(payloads=(1.0,), dtstart=START, duration=2 * QUARTER, uid="0"),)),))), VTN)],
    ),
    "event.interval-uids": (
        [(distribute(event()), VTN)],
        [(distribute(event(signals=(simple_signal(intervals=(
            Interval(payloads=(1.0,), duration=QUARTER, uid="1"),
            Interval(payloads=(1.0,), duration=QUARTER))),))), VTN)],
    ),
    "event.current-value-inactive": (
        [(distribute(event(status=EventStatus.ACTIVE, signals=(simple_signal(current_value=2.0),),
                           start=NOW - QUARTER)), VTN)],
        [(distribute(event(signals=(simple_signal(current_value=2.0),))), VTN)],
    ),
    "event.simple-levels": (
        [(distribute(event(signals=(simple_signal(levels=(0.0, 3.0)),))), VTN)],
        [(distribute(event(signals=(simple_signal(levels=(1.0, 4.0)),))), VTN)],
    ),
    "event.signal-type-units": (
        [(distribute(event(signals=(
            dispatch(SignalName.LOAD_DISPATCH, SignalType.SETPOINT, KW),
            replace(dispatch(SignalName.ELECTRICITY_PRICE, SignalType.PRICE,
                             ItemBase.currency("USD")), signal_id="sig-price"),
        ))), VTN)],
        [(distribute(event(signals=(dispatch(SignalName.LOAD_DISPATCH, SignalType.DELTA,
                                             KW),))), VTN)],
    ),
    "event.created-date-time": (
        [(distribute(event(created=NOW - timedelta(minutes=4))), VTN)],
        [(distribute(event(created=NOW - timedelta(minutes=6))), VTN)],
    ),
    "event.known-market-context": (
        [(distribute(event(market=MARKET)), VTN)],
        [(distribute(event(market="http://elsewhere.example.com")), VTN)],
    ),
    "event.known-vtn-id": (
        [(distribute(event()), VTN)],
        [(replace(distribute(event()), vtn_id="VTN-1"), VTN)],
    ),
    "event.known-ven-id": (
        [(distribute(event(ven_ids=("ven-1",))), VTN)],
        [(distribute(event(ven_ids=("ven-9",))), VTN)],
    ),
    "event.request-id": (
        [(distribute(event()), VTN)],
        [(distribute(event(), request_id=""), VTN)],
    ),
    "event.answer-before-poll": (
        [(distribute(event("e1")), VTN), (answer("e1"), VEN), (Poll(ven_id="ven-1"), VEN)],
        [(distribute(event("e1")), VTN), (Poll(ven_id="ven-1"), VEN)],
    ),
    "opt.opt-id": ([(create_opt(), VEN)], [(create_opt(opt_id=" "), VEN)]),
    "opt.event-opt-bare": (
        [(create_opt(market_context=None, vavailability=None,
                     qualified_event_id=QualifiedEventId(event_id="e1", modification_number=0)),
          VEN)],
        [(create_opt(qualified_event_id=QualifiedEventId(event_id="e1", modification_number=0)),
          VEN)],
    ),
    "opt.vavailability-plain": (
        [(create_opt(), VEN)],
        [(create_opt(vavailability=(replace(create_opt().vavailability[0],  # type: ignore[index]
                                            ramp_up=QUARTER),)), VEN)],
    ),
    "opt.device-class": (
        [(create_opt(device_class=Target(end_device_assets=("Water_Heater", "x-heatPump"))),
          VEN)],
        [(create_opt(device_class=Target(end_device_assets=("Toaster",))), VEN)],
    ),
    "report.telemetry-metadata": (
        [(register_report(), VEN)],
        [(replace(register_report(), reports=register_report().reports[1:]), VEN)],
    ),
    "report.sampling-rate": (
        [(register_report(), VEN)],
        [(register_report(metadata(ReportName.METADATA_TELEMETRY_USAGE, "usage-2", ("x",),
                                   rate=None)), VEN)],
    ),
    "report.register-request-id-zero": (
        [(register_report(), VEN)],
        [(register_report(replace(metadata(ReportName.METADATA_TELEMETRY_USAGE, "u2", ("y",)),
                                  report_request_id="rr-7")), VEN)],
    ),
    "report.request-id-nonzero": (
        [(create_report(request("rr-1")), VTN)],
        [(create_report(request("0")), VTN)],
    ),
    "report.request-id-unique": (
        [(create_report(request("rr-1")), VTN), (create_report(request("rr-2")), VTN)],
        [(create_report(request("rr-1")), VTN), (create_report(request("rr-1")), VTN)],
    ),
    "report.metadata-bare": (
        [(register_report(), VEN)],
        [(register_report(replace(metadata(ReportName.METADATA_TELEMETRY_USAGE, "u2", ("y",)),
                                  report_id="r-9", dtstart=START)), VEN)],
    ),
    "report.request-reading-type": (
        [(create_report(request()), VTN)],
        [(create_report(request(reading=ReadingType.DIRECT_READ)), VTN)],
    ),
    "report.granularity-min-period": (
        [(register_report(), VEN), (create_report(request(granularity=timedelta(minutes=1))),
                                    VTN)],
        [(register_report(), VEN), (create_report(request(granularity=timedelta(seconds=30))),
                                    VTN)],
    ),
    "report.history-request": (
        [(register_report(), VEN),
         (create_report(request(specifier="history", r_id="energy", granularity=timedelta(0),
                                back=timedelta(0))), VTN)],
        [(register_report(), VEN),
         (create_report(request(specifier="history", r_id="energy")), VTN)],
    ),
    "report.update-rids-known": (
        [(register_report(), VEN), (update_report(), VEN)],
        [(register_report(), VEN), (update_report(tuple(
            Interval(dtstart=START, duration=QUARTER,
                     payloads=(ReportPayload(r_id="nobody", value=1.0),)) for _ in range(1))),
          VEN)],
    ),
    "report.update-timing": (
        [(update_report(), VEN)],
        [(update_report(duration=QUARTER), VEN)],
    ),
    "report.load-control-state": (
        [(status_update(True, True), VEN), (status_update(False, False), VEN)],
        [(status_update(True, False), VEN)],
    ),
    "registration.poll-frequency": (
        [(registration(pull=True), VEN), (registered(), VTN)],
        [(registration(pull=None), VEN), (registered(poll=None), VTN)],
    ),
    "registration.transport-address": (
        [(registration(pull=False, address="https://ven.example.com/"), VEN)],
        [(registration(pull=False), VEN)],
    ),
    "registration.no-poll-in-push": (
        [(registration(pull=True), VEN), (registered(), VTN), (Poll(ven_id="ven-1"), VEN)],
        [(registration(pull=False, address="https://ven.example.com/"), VEN),
         (registered(poll=None), VTN), (Poll(ven_id="ven-1"), VEN)],
    ),
}


def test_every_rule_has_a_case():
    assert set(CASES) == {rule.id for rule in RULES}
    assert len(RULES) == len({rule.id for rule in RULES}) == 38


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_passes_a_conforming_exchange(rule_id: str):
    passing, _ = CASES[rule_id]
    assert run(passing) == []


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_flags_a_violation(rule_id: str):
    _, failing = CASES[rule_id]
    findings = run(failing)
    assert rule_id in {f.rule.id for f in findings}, findings
    flagged = [f for f in findings if f.rule.id == rule_id]
    assert all(f.path and f.message for f in flagged)


def test_context_rules_are_silent_without_context():
    """A message judged alone: the rules that need earlier messages or the time stay quiet."""
    old = distribute(event(created=NOW - timedelta(days=30), market="http://x", ven_ids=("v9",)))
    assert check(old) == []
    assert check(Poll(ven_id="ven-1")) == []
    assert check(registered(poll=None)) == []


def test_completed_or_ended_events_may_leave_the_list():
    first = distribute(event("e1", start=NOW - timedelta(hours=2)))
    exchange = Exchange()
    exchange.feed(first, at=NOW - timedelta(hours=2), direction=VTN)
    assert exchange.feed(distribute(request_id="d2"), at=NOW, direction=VTN) == []


def test_a_reply_limit_may_leave_events_out_of_its_answer():
    """A_E3_0655: an answer cut by the VEN's replyLimit is not missing events; the next
    unlimited distribution must list them all again."""
    two = distribute(event("e1"), event("e2", start=LATER))
    limited = RequestEvent(request_id="q", ven_id="ven-1", reply_limit=1)
    assert run([(two, VTN), (limited, VEN), (distribute(event("e1"), request_id="d2"), VTN),
                (answer("e1"), VEN), (answer("e2"), VEN)]) == []
    findings = run([(two, VTN), (limited, VEN), (distribute(event("e1"), request_id="d2"), VTN),
                    (distribute(event("e1"), request_id="d3"), VTN)])
    assert [f.rule.id for f in findings if f.rule.id == "event.all-events-present"] == [
        "event.all-events-present"]


def test_never_response_required_needs_no_answer():
    quiet = replace(event("e1"), response_required=ResponseRequired.NEVER)
    assert run([(distribute(quiet), VTN), (Poll(ven_id="ven-1"), VEN)]) == []


def test_piggy_backed_requests_are_requests_too():
    piggy = RegisteredReport(response=EiResponse(response_code=ResponseCode.OK, request_id="x"),
                             report_requests=(request("0"),))
    assert [f.rule.id for f in check(piggy)] == ["report.request-id-nonzero"]


def test_price_signal_units_are_checked():
    wrong = dispatch(SignalName.ELECTRICITY_PRICE, SignalType.PRICE,
                     ItemBase.currency("USD", kind=ItemKind.CURRENCY_PER_KW))
    findings = check(distribute(event(signals=(wrong,))))
    assert [(f.rule.id, f.expected, f.seen) for f in findings] == [
        ("event.signal-type-units", "currencyPerKWh", "currencyPerKW")]
