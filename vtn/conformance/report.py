"""The run's reports (``report.json``, ``junit.xml``, ``report.md``), written by the shared
writer ``common.conformance.run_report`` from this side's ``CaseResult``s."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from common.conformance.run_report import RunReport, counts
from common.conformance.run_report import write_reports as write_run_report
from vtn.conformance.records import CaseResult

__all__ = ["run_report", "summary", "write_reports"]

KIT = "oadr-vtn conformance run-ven"


def summary(results: Sequence[CaseResult]) -> dict[str, int]:
    """How many cases ended in each outcome."""
    return counts([{"outcome": str(r.outcome)} for r in results])


def run_report(results: Sequence[CaseResult], *, target: str, started: datetime,
               operator: str = "", transport: str = "simpleHttp pull") -> RunReport:
    """The shared report of a run against the VEN that talked to `target`."""
    return RunReport(kit=KIT, dut="ven", target=target, operator=operator,
                     started_at=started, finished_at=datetime.now(UTC),
                     cases=[r.as_dict() for r in results], transport=transport)


def write_reports(out: Path, results: Sequence[CaseResult], *, target: str, started: datetime,
                  operator: str = "", transport: str = "simpleHttp pull") -> list[Path]:
    """Write the three reports into `out` (created if needed); their paths (JSON, JUnit XML,
    Markdown)."""
    paths = write_run_report(out, run_report(results, target=target, started=started,
                                             operator=operator, transport=transport))
    return [paths["json"], paths["junit"], paths["markdown"]]
