"""The run's report in three forms, written to one directory: ``report.json`` (everything,
with byte-exact transcripts), ``junit.xml`` (one testcase per case, for CI) and
``report.md`` (per case: outcome, reason, findings, and a transcript summary).

Not VTN-specific: it reads only ``CaseResult``s. If the VEN-side kit grows a writer of its
own, one of the two belongs in ``common/conformance/``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from xml.etree import ElementTree as ET

from vtn.conformance.records import CaseResult, Outcome

__all__ = ["summary", "write_reports"]


def summary(results: Sequence[CaseResult]) -> dict[str, int]:
    """How many cases ended in each outcome."""
    counts = Counter(str(r.outcome) for r in results)
    return {str(outcome): counts.get(str(outcome), 0) for outcome in Outcome}


def write_reports(out: Path, results: Sequence[CaseResult], *, target: str, started: datetime
                  ) -> list[Path]:
    """Write the three reports into `out` (created if needed); their paths."""
    out.mkdir(parents=True, exist_ok=True)
    files = [out / "report.json", out / "junit.xml", out / "report.md"]
    document = {"kit": "oadr-vtn conformance run-ven", "target": target,
                "started": started.isoformat(), "summary": summary(results),
                "cases": [r.as_dict() for r in results]}
    files[0].write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    files[1].write_bytes(_junit(results))
    files[2].write_text(_markdown(results, target, started))
    return files


def _junit(results: Sequence[CaseResult]) -> bytes:
    counts = summary(results)
    suite = ET.Element("testsuite", name="openadr-2.0b-ven", tests=str(len(results)),
                       failures=str(counts[Outcome.FAIL]),
                       skipped=str(len(results) - counts[Outcome.PASS] - counts[Outcome.FAIL]),
                       time=f"{sum(r.seconds for r in results):.3f}")
    for result in results:
        case = ET.SubElement(suite, "testcase", classname="conformance.ven", name=result.case_id,
                             time=f"{result.seconds:.3f}")
        if result.outcome is Outcome.FAIL:
            failure = ET.SubElement(case, "failure", message=result.reason)
            failure.text = "\n".join(f"{f.rule.id} at {f.path}: {f.message}"
                                     for f in result.findings)
        elif result.outcome is not Outcome.PASS:
            ET.SubElement(case, "skipped", message=f"{result.outcome}: {result.reason}")
    return ET.tostring(suite, encoding="utf-8", xml_declaration=True)


def _markdown(results: Sequence[CaseResult], target: str, started: datetime) -> str:
    counts = summary(results)
    lines = [f"# OpenADR 2.0b VEN conformance: {target}", "",
             f"Started {started.isoformat()}. " + ", ".join(
                 f"{name}: {n}" for name, n in counts.items()), "",
             "| Case | Title | Outcome | Reason |", "|---|---|---|---|"]
    lines += [f"| {r.case_id} | {r.title} | {r.outcome} | {_cell(r.reason)} |" for r in results]
    for result in results:
        lines += ["", f"## {result.case_id}: {result.title}", "",
                  f"**{result.outcome}**" + (f": {result.reason}" if result.reason else "")]
        if result.findings:
            lines += ["", "Findings:", ""]
            lines += [f"- `{f.rule.id}` at `{f.path}`: {f.message} (expected {f.expected}; "
                      f"seen {f.seen})" for f in result.findings]
        lines += ["", "Transcript:", ""]
        for record in result.transcript:
            tls = f" {record.tls_version} {record.cipher}" if record.tls_version else ""
            note = f" ({record.note})" if record.note else ""
            lines.append(f"- {record.at.isoformat(timespec='milliseconds')} "
                         f"{record.service}: {record.payload or '?'} -> "
                         f"{record.status} {record.answer}{tls}{note}")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
