"""EiReport rules: metadata (oadrRegisterReport), requests (oadrCreateReport, and the requests
piggy-backed on oadrRegisteredReport), and data (oadrUpdateReport).

Which party's metadata a request is checked against: the other party's, as registered
earlier in the conversation (``Exchange.metadata_of``); without it, the rules on
granularity, HISTORY requests and known rIDs stay silent.

Interpretations:

- "Telemetry metadata carries oadrSamplingRate": every data point of a
  METADATA_TELEMETRY_USAGE or METADATA_TELEMETRY_STATUS report.
- "reportRequestID unique in oadrCreateReport": within the message, and across the requests
  the same party made earlier in the conversation.
- "dtStart and duration are consistent": each interval lies inside the report's window
  [dtstart, dtstart + duration) and starts no earlier than the previous interval ends.
- "loadControlState in all intervals or none": per report and per rID, over the
  TELEMETRY_STATUS payloads.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING

from common.conformance.context import sender
from common.conformance.findings import Direction, Finding, Rule
from common.messages.enums import ReadingType, ReportName
from common.messages.report import (
    CreateReport,
    RegisteredReport,
    RegisterReport,
    Report,
    ReportRequest,
    ResourceStatus,
    UpdateReport,
)

if TYPE_CHECKING:
    from common.conformance.context import Exchange

__all__ = ["RULES", "check_register_report", "check_report_requests", "check_update_report"]

TELEMETRY_METADATA = Rule("report.telemetry-metadata",
                          "the VEN's oadrRegisterReport must contain METADATA_TELEMETRY_USAGE "
                          "and METADATA_TELEMETRY_STATUS")
SAMPLING_RATE = Rule("report.sampling-rate", "telemetry metadata must carry oadrSamplingRate")
REGISTER_REQUEST_ID = Rule("report.register-request-id-zero",
                           "reportRequestID must be 0 in oadrRegisterReport")
CREATE_REQUEST_ID = Rule("report.request-id-nonzero",
                         "reportRequestID must never be 0 in oadrCreateReport")
UNIQUE_REQUEST_ID = Rule("report.request-id-unique",
                         "reportRequestID must be unique in oadrCreateReport")
METADATA_BARE = Rule("report.metadata-bare",
                     "metadata reports must have no intervals, dtstart or eiReportID")
READING_TYPE = Rule("report.request-reading-type",
                    "readingType in report requests must be x-notApplicable")
GRANULARITY = Rule("report.granularity-min-period",
                   "granularity must be >= the metadata minPeriod", True)
HISTORY = Rule("report.history-request",
               "HISTORY requests must have granularity and reportBackDuration of 0", True)
KNOWN_RIDS = Rule("report.update-rids-known", "rIDs in oadrUpdateReport must be known", True)
TIMING = Rule("report.update-timing",
              "dtStart and duration must be consistent in oadrUpdateReport")
LOAD_CONTROL_STATE = Rule("report.load-control-state",
                          "loadControlState must appear in all intervals or none")

RULES = (TELEMETRY_METADATA, SAMPLING_RATE, REGISTER_REQUEST_ID, CREATE_REQUEST_ID,
         UNIQUE_REQUEST_ID, METADATA_BARE, READING_TYPE, GRANULARITY, HISTORY, KNOWN_RIDS,
         TIMING, LOAD_CONTROL_STATE)

_TELEMETRY = {ReportName.METADATA_TELEMETRY_USAGE, ReportName.METADATA_TELEMETRY_STATUS}
_HISTORY = {ReportName.METADATA_HISTORY_USAGE, ReportName.METADATA_HISTORY_GREENBUTTON,
            ReportName.HISTORY_USAGE, ReportName.HISTORY_GREENBUTTON}


def _other(party: Direction) -> Direction:
    return Direction.VTN_TO_VEN if party is Direction.VEN_TO_VTN else Direction.VEN_TO_VTN


def _report_path(index: int, report: Report) -> str:
    return f"oadrReport[{index}][reportSpecifierID={report.report_specifier_id}]"


def check_register_report(message: RegisterReport, exchange: Exchange) -> list[Finding]:
    """The metadata rules; the telemetry rule only for a VEN's registration."""
    findings: list[Finding] = []
    if sender(message, exchange.direction) is Direction.VEN_TO_VTN:
        names = {r.report_name for r in message.reports}
        for wanted in (ReportName.METADATA_TELEMETRY_USAGE,
                       ReportName.METADATA_TELEMETRY_STATUS):
            if wanted not in names:
                findings.append(Finding(rule=TELEMETRY_METADATA, path="oadrReport",
                                        expected=wanted.value, seen="absent",
                                        message=f"the VEN does not offer {wanted.value}"))
    for index, report in enumerate(message.reports):
        path = _report_path(index, report)
        if report.report_request_id != "0":
            findings.append(Finding(rule=REGISTER_REQUEST_ID, path=f"{path}/reportRequestID",
                                    expected="0", seen=report.report_request_id,
                                    message="a metadata report's reportRequestID is 0"))
        extras = {"strm:intervals": bool(report.intervals),
                  "dtstart": report.dtstart is not None,
                  "eiReportID": report.report_id is not None}
        for name, present in extras.items():
            if present:
                findings.append(Finding(rule=METADATA_BARE, path=f"{path}/{name}",
                                        expected="absent", seen="present",
                                        message=f"a metadata report carries {name}"))
        if report.report_name in _TELEMETRY:
            for number, description in enumerate(report.report_descriptions):
                if description.sampling_rate is None:
                    findings.append(Finding(
                        rule=SAMPLING_RATE,
                        path=f"{path}/oadrReportDescription[{number}][rID={description.r_id}]",
                        expected="oadrSamplingRate", seen="absent",
                        message=f"telemetry data point {description.r_id!r} has no "
                                "oadrSamplingRate"))
    return findings


def check_report_requests(message: CreateReport | RegisteredReport,
                          exchange: Exchange) -> list[Finding]:
    """The request rules, for oadrCreateReport and oadrRegisteredReport's piggy-backed ones."""
    party = sender(message, exchange.direction)
    earlier = exchange.requests_by(party)
    metadata = exchange.metadata_of(_other(party))
    findings: list[Finding] = []
    seen: set[str] = set()
    for index, request in enumerate(message.report_requests):
        path = f"oadrReportRequest[{index}][reportRequestID={request.report_request_id}]"
        request_id = request.report_request_id
        if request_id == "0":
            findings.append(Finding(rule=CREATE_REQUEST_ID, path=f"{path}/reportRequestID",
                                    expected="not 0", seen="0",
                                    message="a report request's reportRequestID is never 0"))
        elif request_id in seen or request_id in earlier:
            where = "in this message" if request_id in seen else "in an earlier request"
            findings.append(Finding(rule=UNIQUE_REQUEST_ID, path=f"{path}/reportRequestID",
                                    expected="a new reportRequestID", seen=request_id,
                                    message=f"reportRequestID {request_id!r} is used {where}"))
        seen.add(request_id)
        findings += _request_payloads(request, path, metadata)
    return findings


def _request_payloads(request: ReportRequest, path: str,
                      metadata: dict[str, Report]) -> Iterator[Finding]:
    specifier = request.report_specifier
    where = f"{path}/reportSpecifier"
    for index, payload in enumerate(specifier.specifier_payloads):
        if payload.reading_type != ReadingType.X_NOT_APPLICABLE:
            yield Finding(rule=READING_TYPE,
                          path=f"{where}/specifierPayload[{index}][rID={payload.r_id}]"
                               "/readingType",
                          expected=ReadingType.X_NOT_APPLICABLE.value,
                          seen=str(payload.reading_type),
                          message="a report request names its data points with readingType "
                                  "x-notApplicable")
    offered = metadata.get(specifier.report_specifier_id)
    if offered is None:
        return
    if offered.report_name in _HISTORY:
        for name, value in (("granularity", specifier.granularity),
                            ("reportBackDuration", specifier.report_back_duration)):
            if value != timedelta(0):
                yield Finding(rule=HISTORY, path=f"{where}/{name}", expected="PT0S",
                              seen=str(value),
                              message=f"a HISTORY report request has {name} 0")
        return
    points = {d.r_id: d for d in offered.report_descriptions}
    for payload in specifier.specifier_payloads:
        point = points.get(payload.r_id)
        if point is None or point.sampling_rate is None:
            continue
        if specifier.granularity < point.sampling_rate.min_period:
            yield Finding(rule=GRANULARITY, path=f"{where}/granularity",
                          expected=f">= {point.sampling_rate.min_period} (minPeriod of "
                                   f"{payload.r_id})",
                          seen=str(specifier.granularity),
                          message=f"the requested granularity is finer than data point "
                                  f"{payload.r_id!r} can be sampled")


def check_update_report(message: UpdateReport, exchange: Exchange) -> list[Finding]:
    """The data rules; rIDs are checked against the sender's registered metadata."""
    metadata = exchange.metadata_of(sender(message, exchange.direction))
    known = {d.r_id for r in metadata.values() for d in r.report_descriptions}
    findings: list[Finding] = []
    for index, report in enumerate(message.reports):
        path = _report_path(index, report)
        if known:
            findings += _known_rids(report, path, known)
        findings += _timing(report, path)
        findings += _load_control_state(report, path)
    return findings


def _known_rids(report: Report, path: str, known: set[str]) -> Iterator[Finding]:
    for index, interval in enumerate(report.intervals):
        for payload in interval.payloads:
            if payload.r_id not in known:
                yield Finding(rule=KNOWN_RIDS,
                              path=f"{path}/intervals/interval[{index}]/oadrReportPayload/rID",
                              expected="an rID of the registered metadata", seen=payload.r_id,
                              message=f"rID {payload.r_id!r} was never registered")


def _timing(report: Report, path: str) -> Iterator[Finding]:
    start = report.dtstart
    end = (start + report.duration if start is not None and report.duration
           and report.duration > timedelta(0) else None)
    previous_end = None
    for index, interval in enumerate(report.intervals):
        if interval.dtstart is None:
            previous_end = None
            continue
        where = f"{path}/intervals/interval[{index}]/dtstart"
        interval_end = interval.dtstart + (interval.duration or timedelta(0))
        if start is not None and interval.dtstart < start:
            yield Finding(rule=TIMING, path=where, expected=f">= {start.isoformat()}",
                          seen=interval.dtstart.isoformat(),
                          message="an interval starts before the report's dtstart")
        elif end is not None and interval_end > end:
            yield Finding(rule=TIMING, path=where, expected=f"ends by {end.isoformat()}",
                          seen=f"ends {interval_end.isoformat()}",
                          message="an interval ends after the report's dtstart + duration")
        if previous_end is not None and interval.dtstart < previous_end:
            yield Finding(rule=TIMING, path=where, expected=f">= {previous_end.isoformat()}",
                          seen=interval.dtstart.isoformat(),
                          message="an interval starts before the previous one ends")
        previous_end = interval_end


def _load_control_state(report: Report, path: str) -> Iterator[Finding]:
    by_rid: dict[str, list[tuple[int, bool]]] = {}
    for index, interval in enumerate(report.intervals):
        for payload in interval.payloads:
            if isinstance(payload.value, ResourceStatus):
                has = payload.value.load_control_state is not None
                by_rid.setdefault(payload.r_id, []).append((index, has))
    for r_id, marks in by_rid.items():
        with_state = [index for index, has in marks if has]
        if with_state and len(with_state) != len(marks):
            without = [index for index, has in marks if not has]
            yield Finding(rule=LOAD_CONTROL_STATE,
                          path=f"{path}/intervals/interval[{without[0]}]/oadrReportPayload"
                               f"[rID={r_id}]/oadrLoadControlState",
                          expected=f"in all {len(marks)} intervals or none",
                          seen=f"in {len(with_state)} of {len(marks)}",
                          message=f"rID {r_id!r} has loadControlState in some intervals only")

