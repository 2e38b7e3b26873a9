"""A run's report in three forms, written to one directory: ``report.json`` (everything),
``junit.xml`` (one testcase per case: failure / skipped), ``report.md`` (for people: the
results table, each case's checks, findings and transcript)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from ven.conformance.scenario import CaseResult, Outcome

__all__ = ["RunInfo", "counts", "write_reports"]


@dataclass(frozen=True, slots=True)
class RunInfo:
    """What was tested, how, and when."""

    vtn_url: str
    operator: str
    started_at: datetime
    finished_at: datetime

    def as_dict(self) -> dict[str, str]:
        return {"vtn_url": self.vtn_url, "operator": self.operator,
                "started_at": self.started_at.isoformat(),
                "finished_at": self.finished_at.isoformat()}


def counts(results: Sequence[CaseResult]) -> dict[str, int]:
    """Cases per outcome (every outcome listed, zero included)."""
    seen = Counter(str(r.outcome) for r in results)
    return {str(o): seen.get(str(o), 0) for o in Outcome}


def as_json(info: RunInfo, results: Sequence[CaseResult]) -> dict[str, Any]:
    return {"run": info.as_dict(), "counts": counts(results),
            "cases": [r.as_dict() for r in results]}


def write_reports(out: Path, info: RunInfo, results: Sequence[CaseResult]) -> dict[str, Path]:
    """Write the three reports into `out` (created); their paths by kind."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "report.json", "junit": out / "junit.xml",
             "markdown": out / "report.md"}
    paths["json"].write_text(json.dumps(as_json(info, results), indent=2) + "\n",
                             encoding="utf-8")
    paths["junit"].write_bytes(junit(info, results))
    paths["markdown"].write_text(markdown(info, results), encoding="utf-8")
    return paths


def _failure_text(result: CaseResult) -> str:
    lines = [result.reason or ""]
    lines += [f"finding {f['rule']} in {f['payload']} at {f['path']}: {f['message']}"
              for f in result.findings]
    return "\n".join(lines)


def junit(info: RunInfo, results: Sequence[CaseResult]) -> bytes:
    """The JUnit XML of the run (``testsuites/testsuite/testcase``)."""
    tally = counts(results)
    skipped = tally[str(Outcome.NEEDS_OPERATOR)] + tally[str(Outcome.NOT_APPLICABLE)]
    suites = ET.Element("testsuites", name="openadr-2.0b-vtn-conformance",
                        tests=str(len(results)), failures=str(tally[str(Outcome.FAIL)]),
                        errors="0", skipped=str(skipped))
    suite = ET.SubElement(suites, "testsuite", name=f"VTN {info.vtn_url}",
                          tests=str(len(results)), failures=str(tally[str(Outcome.FAIL)]),
                          errors="0", skipped=str(skipped),
                          timestamp=info.started_at.isoformat(),
                          time=f"{sum(r.seconds for r in results):.3f}")
    for result in results:
        case = ET.SubElement(suite, "testcase", name=f"{result.case_id} {result.title}",
                             classname=f"oadr.conformance.{result.case_id[:2]}",
                             time=f"{result.seconds:.3f}")
        if result.outcome is Outcome.FAIL:
            failure = ET.SubElement(case, "failure", message=result.reason or "failed",
                                    type="conformance")
            failure.text = _failure_text(result)
        elif result.outcome is not Outcome.PASS:
            ET.SubElement(case, "skipped", message=f"{result.outcome}: {result.reason or ''}")
        if result.transcript:
            out = ET.SubElement(case, "system-out")
            out.text = "\n\n".join(_exchange_text(r.as_dict()) for r in result.transcript)
    return ET.tostring(suites, encoding="utf-8", xml_declaration=True)


def _exchange_text(record: dict[str, Any]) -> str:
    request, response, tls = record["request"], record["response"], record["tls"]
    lines = [f"POST {record['url']} ({request['payload']}) at {record['sent_at']}"]
    lines += [f"> {k}: {v}" for k, v in request["headers"].items()]
    lines += [request["body"]]
    if record["error"]:
        lines.append(f"! {record['error']}")
    else:
        lines.append(f"< HTTP {response['status']} ({response['payload'] or 'no payload'}) "
                     f"at {record['received_at']}")
        lines += [f"< {k}: {v}" for k, v in response["headers"].items()]
        lines += [response["body"]]
    if tls:
        lines.append(f"TLS {tls['version']} {tls['cipher']}; VTN certificate fingerprint "
                     f"{tls['peer_fingerprint']} (SHA-256 {tls['peer_sha256']})")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(info: RunInfo, results: Sequence[CaseResult]) -> str:
    """The report for people."""
    tally = counts(results)
    lines = ["# OpenADR 2.0b VTN conformance run", "",
             f"- VTN: `{info.vtn_url}`", f"- operator: `{info.operator}`",
             f"- started {info.started_at.isoformat()}, finished "
             f"{info.finished_at.isoformat()}",
             "- " + ", ".join(f"{n} {o}" for o, n in tally.items()), "",
             "| case | title | outcome | reason |", "|---|---|---|---|"]
    lines += [f"| {r.case_id} | {_cell(r.title)} | {r.outcome} | {_cell(r.reason or '')} |"
              for r in results]
    for result in results:
        if result.outcome is Outcome.NOT_APPLICABLE:
            continue
        lines += ["", f"## {result.case_id} {result.title}: {result.outcome}", ""]
        if result.reason:
            lines += [f"Reason: {result.reason}", ""]
        lines += [f"- {'ok  ' if c.ok else 'FAIL'} {c.text}"
                  + (f": {c.detail}" if c.detail else "") for c in result.checks]
        if result.findings:
            lines += ["", "Findings:", "", "| rule | payload | path | expected | seen |",
                      "|---|---|---|---|---|"]
            lines += [f"| {f['rule']} | {f['payload']} | {_cell(f['path'])} | "
                      f"{_cell(f['expected'])} | {_cell(f['seen'])} |" for f in result.findings]
        if result.transcript:
            lines += ["", "<details><summary>Transcript</summary>", "", "```"]
            lines += ["\n\n".join(_exchange_text(r.as_dict()) for r in result.transcript)]
            lines += ["```", "", "</details>"]
    return "\n".join(lines) + "\n"
