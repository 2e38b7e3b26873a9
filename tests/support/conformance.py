"""Messages that pass every conformance rule, to vary one field at a time in tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from common.messages.enums import (
    EventStatus,
    OptReason,
    OptType,
    ProfileName,
    ReadingType,
    ReportName,
    ReportType,
    ResponseCode,
    SignalName,
    SignalType,
    SiScaleCode,
    TransportName,
)
from common.messages.event import (
    DistributeEvent,
    EiEvent,
    EventDescriptor,
    EventSignal,
    OadrEvent,
)
from common.messages.opt import CreateOpt
from common.messages.registration import (
    CreatedPartyRegistration,
    CreatePartyRegistration,
    Profile,
)
from common.messages.report import (
    CreateReport,
    RegisterReport,
    Report,
    ReportDescription,
    ReportPayload,
    ReportRequest,
    ReportSpecifier,
    SamplingRate,
    SpecifierPayload,
    UpdateReport,
)
from common.messages.types import EiResponse, Interval, ItemBase, Period, Target

NOW = datetime(2026, 7, 1, 16, 0, tzinfo=UTC)
START = NOW + timedelta(hours=1)
QUARTER = timedelta(minutes=15)
MARKET = "http://market.example.com"
KW = ItemBase.power(scale=SiScaleCode.KILO)


def simple_signal(levels: tuple[float, ...] = (1.0, 2.0), **extra: object) -> EventSignal:
    fields: dict[str, object] = {
        "intervals": tuple(Interval(payloads=(level,), duration=QUARTER, uid=str(i))
                           for i, level in enumerate(levels)),
        "signal_name": SignalName.SIMPLE,
        "signal_type": SignalType.LEVEL,
        "signal_id": "sig-simple",
        "current_value": 0.0,
    }
    fields.update(extra)
    return EventSignal(**fields)  # type: ignore[arg-type]


def event(event_id: str = "e1", *, start: datetime = START, duration: timedelta = 2 * QUARTER,
          signals: tuple[EventSignal, ...] | None = None, status: EventStatus = EventStatus.FAR,
          modification: int = 0, market: str = MARKET, ven_ids: tuple[str, ...] = ("ven-1",),
          created: datetime = NOW) -> OadrEvent:
    """A clean one-signal SIMPLE event of two quarter-hours (far, created at NOW)."""
    return OadrEvent(event=EiEvent(
        event_descriptor=EventDescriptor(
            event_id=event_id, modification_number=modification, market_context=market,
            created_date_time=created, event_status=status),
        active_period=Period(dtstart=start, duration=duration),
        event_signals=signals if signals is not None else (simple_signal(),),
        target=Target(ven_ids=ven_ids),
    ))


def distribute(*events: OadrEvent, request_id: str = "d1") -> DistributeEvent:
    return DistributeEvent(request_id=request_id, vtn_id="vtn-1", events=events)


def create_opt(**extra: object) -> CreateOpt:
    fields: dict[str, object] = {
        "opt_id": "opt-1", "opt_type": OptType.OPT_OUT, "opt_reason": OptReason.X_SCHEDULE,
        "ven_id": "ven-1", "created_date_time": NOW, "request_id": "o1",
        "market_context": MARKET,
        "vavailability": (Period(dtstart=START, duration=timedelta(hours=2)),),
    }
    fields.update(extra)
    return CreateOpt(**fields)  # type: ignore[arg-type]


RATE = SamplingRate(min_period=timedelta(minutes=1), max_period=QUARTER, on_change=False)


def metadata(name: ReportName, specifier: str, r_ids: tuple[str, ...],
             rate: SamplingRate | None = RATE) -> Report:
    return Report(
        report_request_id="0", report_specifier_id=specifier, report_name=name,
        created_date_time=NOW, duration=timedelta(hours=1),
        report_descriptions=tuple(
            ReportDescription(r_id=r_id, report_type=ReportType.USAGE, item_base=KW,
                              reading_type=ReadingType.DIRECT_READ, sampling_rate=rate)
            for r_id in r_ids))


def register_report(*extra: Report) -> RegisterReport:
    """A VEN's clean oadrRegisterReport: telemetry usage and status, and HISTORY_USAGE."""
    return RegisterReport(request_id="reg-1", ven_id="ven-1", reports=(
        metadata(ReportName.METADATA_TELEMETRY_USAGE, "usage", ("power",)),
        metadata(ReportName.METADATA_TELEMETRY_STATUS, "status", ("status",)),
        metadata(ReportName.METADATA_HISTORY_USAGE, "history", ("energy",), None),
        *extra))


def request(request_id: str = "rr-1", specifier: str = "usage", r_id: str = "power",
            granularity: timedelta = QUARTER, back: timedelta = QUARTER,
            reading: ReadingType = ReadingType.X_NOT_APPLICABLE) -> ReportRequest:
    return ReportRequest(report_request_id=request_id, report_specifier=ReportSpecifier(
        report_specifier_id=specifier, granularity=granularity, report_back_duration=back,
        specifier_payloads=(SpecifierPayload(r_id=r_id, reading_type=reading),)))


def create_report(*requests: ReportRequest, request_id: str = "c1") -> CreateReport:
    return CreateReport(request_id=request_id, report_requests=requests or (request(),))


def update_report(intervals: tuple[Interval[ReportPayload], ...] | None = None,
                  duration: timedelta = 2 * QUARTER) -> UpdateReport:
    if intervals is None:
        intervals = tuple(Interval(dtstart=START + i * QUARTER, duration=QUARTER,
                                   payloads=(ReportPayload(r_id="power", value=10.0 + i),))
                          for i in range(2))
    return UpdateReport(request_id="u1", ven_id="ven-1", reports=(Report(
        report_id="rep-1", report_request_id="rr-1", report_specifier_id="usage",
        report_name=ReportName.TELEMETRY_USAGE, created_date_time=NOW, dtstart=START,
        duration=duration, intervals=intervals),))


def registration(pull: bool | None = True, address: str | None = None
                 ) -> CreatePartyRegistration:
    return CreatePartyRegistration(
        request_id="r1", profile_name=ProfileName.B, transport_name=TransportName.SIMPLE_HTTP,
        report_only=False, xml_signature=False, http_pull_model=pull, transport_address=address)


def registered(poll: timedelta | None = timedelta(seconds=10)) -> CreatedPartyRegistration:
    return CreatedPartyRegistration(
        response=EiResponse(response_code=ResponseCode.OK, request_id="r1"),
        vtn_id="vtn-1", ven_id="ven-1", registration_id="reg-1",
        profiles=(Profile(profile_name=ProfileName.B, transports=(TransportName.SIMPLE_HTTP,)),),
        requested_oadr_poll_freq=poll)
