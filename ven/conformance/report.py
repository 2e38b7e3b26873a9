"""The run's reports (``report.json``, ``junit.xml``, ``report.md``), written by the shared
writer ``common.conformance.run_report`` from this side's ``CaseResult``s."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from common.conformance.run_report import RunReport
from common.conformance.run_report import counts as count_outcomes
from common.conformance.run_report import write_reports as write_run_report
from ven.conformance.scenario import CaseResult

__all__ = ["RunInfo", "as_json", "counts", "run_report", "write_reports"]

KIT = "oadr-ven conformance"


@dataclass(frozen=True, slots=True)
class RunInfo:
    """What was tested, how, and when."""

    vtn_url: str
    operator: str
    started_at: datetime
    finished_at: datetime
    transport: str = "simpleHttp pull"


def counts(results: Sequence[CaseResult]) -> dict[str, int]:
    """Cases per outcome (every outcome listed, zero included)."""
    return count_outcomes([{"outcome": str(r.outcome)} for r in results])


def run_report(info: RunInfo, results: Sequence[CaseResult]) -> RunReport:
    return RunReport(kit=KIT, dut="vtn", target=info.vtn_url, operator=info.operator,
                     started_at=info.started_at, finished_at=info.finished_at,
                     cases=[r.as_dict() for r in results], transport=info.transport)


def as_json(info: RunInfo, results: Sequence[CaseResult]) -> dict[str, Any]:
    return run_report(info, results).as_dict()


def write_reports(out: Path, info: RunInfo, results: Sequence[CaseResult]) -> dict[str, Path]:
    """Write the three reports into `out` (created); their paths by kind."""
    return write_run_report(out, run_report(info, results))
