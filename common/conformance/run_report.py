"""A conformance run's report, one writer for both sides of the kit: ``report.json``
(everything, byte-exact transcripts), ``junit.xml`` (one testcase per case, for CI) and
``report.md`` (for people: the results table, then per case its checks, findings and
transcript).

The kit's VEN side (the VTN is under test) and its VTN side (the VEN is under test) each turn
their results into ``RunReport`` (cases as plain dicts, below); this module knows nothing of
either side.

A case is ``{"case_id", "title", "outcome" (one of ``OUTCOMES``), "reason", "seconds",
"checks": [{"ok", "text", "detail"}], "findings": [Finding.as_dict() + "payload"],
"transcript": [record]}``. A record is one HTTP exchange: ``{"direction" (who sent the
request: ven->vtn or vtn->ven), "at", "url", "request": {"payload", "headers", "body"},
"response": {"status", "payload", "headers", "body"}, "tls": {"version", "cipher",
"peer_fingerprint", "peer_sha256"} or None, "error", "note", "findings"}``; ``peer`` is the
other side of the connection from the kit.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

__all__ = ["OUTCOMES", "RunReport", "counts", "write_reports"]

OUTCOMES = ("pass", "fail", "needs-operator", "n/a")
"""A case's possible outcomes, in report order."""


@dataclass(frozen=True, slots=True)
class RunReport:
    """One run of the kit: which command (``kit``), what was under test (``dut``: ``vtn`` or
    ``ven``; ``target``: its URL, or the harness's URL the VEN was pointed at), the operator,
    the transport(s), when, and the cases (dicts, see the module docstring)."""

    kit: str
    dut: str
    target: str
    operator: str
    started_at: datetime
    finished_at: datetime
    cases: Sequence[dict[str, Any]]
    transport: str = "simpleHttp"
    extra: dict[str, Any] = field(default_factory=dict)
    """More facts about the run (versions, options), shown in JSON and Markdown."""

    def as_dict(self) -> dict[str, Any]:
        return {"kit": self.kit, "dut": self.dut, "target": self.target,
                "operator": self.operator, "transport": self.transport,
                "started_at": self.started_at.isoformat(),
                "finished_at": self.finished_at.isoformat(), **self.extra,
                "counts": counts(self.cases), "cases": list(self.cases)}


def counts(cases: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Cases per outcome (every outcome listed, zero included)."""
    seen = Counter(str(c["outcome"]) for c in cases)
    unknown = set(seen) - set(OUTCOMES)
    if unknown:
        raise ValueError(f"unknown outcome(s) {sorted(unknown)}")
    return {outcome: seen.get(outcome, 0) for outcome in OUTCOMES}


def write_reports(out: Path, report: RunReport) -> dict[str, Path]:
    """Write the three reports into `out` (created if needed); their paths by kind
    (``json``, ``junit``, ``markdown``)."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "report.json", "junit": out / "junit.xml",
             "markdown": out / "report.md"}
    paths["json"].write_text(json.dumps(report.as_dict(), indent=2, ensure_ascii=False) + "\n",
                             encoding="utf-8")
    paths["junit"].write_bytes(junit(report))
    paths["markdown"].write_text(markdown(report), encoding="utf-8")
    return paths


def _failure_text(case: dict[str, Any]) -> str:
    lines = [case.get("reason") or ""]
    lines += [f"finding {f['rule']} in {f.get('payload', '?')} at {f['path']}: {f['message']}"
              for f in case["findings"]]
    return "\n".join(lines)


def junit(report: RunReport) -> bytes:
    """The JUnit XML of the run (``testsuites/testsuite/testcase``; needs-operator and n/a
    are ``skipped`` with the reason; the transcript in ``system-out``)."""
    tally = counts(report.cases)
    total, failures = len(report.cases), tally["fail"]
    skipped = tally["needs-operator"] + tally["n/a"]
    suites = ET.Element("testsuites", name=f"openadr-2.0b-{report.dut}-conformance",
                        tests=str(total), failures=str(failures), errors="0",
                        skipped=str(skipped))
    suite = ET.SubElement(suites, "testsuite", name=f"{report.dut.upper()} {report.target}",
                          tests=str(total), failures=str(failures), errors="0",
                          skipped=str(skipped), timestamp=report.started_at.isoformat(),
                          time=f"{sum(c.get('seconds', 0.0) for c in report.cases):.3f}")
    for case in report.cases:
        element = ET.SubElement(suite, "testcase", name=f"{case['case_id']} {case['title']}",
                                classname=f"oadr.conformance.{report.dut}",
                                time=f"{case.get('seconds', 0.0):.3f}")
        if case["outcome"] == "fail":
            failure = ET.SubElement(element, "failure", message=case.get("reason") or "failed",
                                    type="conformance")
            failure.text = _failure_text(case)
        elif case["outcome"] != "pass":
            ET.SubElement(element, "skipped",
                          message=f"{case['outcome']}: {case.get('reason') or ''}")
        if case["transcript"]:
            system_out = ET.SubElement(element, "system-out")
            system_out.text = "\n\n".join(exchange_text(r) for r in case["transcript"])
    document: bytes = ET.tostring(suites, encoding="utf-8", xml_declaration=True)
    return document


def exchange_text(record: dict[str, Any]) -> str:
    """One HTTP exchange as text: request line, headers and body; answer; TLS."""
    request, response, tls = record["request"], record["response"], record.get("tls")
    lines = [f"[{record['direction']}] POST {record['url']} ({request['payload'] or '?'}) "
             f"at {record['at']}"]
    lines += [f"> {k}: {v}" for k, v in request["headers"].items()]
    lines += [request["body"]]
    if record.get("error"):
        lines.append(f"! {record['error']}")
    else:
        lines.append(f"< HTTP {response['status']} ({response['payload'] or 'no payload'})")
        lines += [f"< {k}: {v}" for k, v in response["headers"].items()]
        lines += [response["body"]]
    if record.get("note"):
        lines.append(f"note: {record['note']}")
    if tls:
        lines.append(f"TLS {tls['version']} {tls['cipher']}; peer certificate fingerprint "
                     f"{tls['peer_fingerprint']} (SHA-256 {tls.get('peer_sha256')})")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(report: RunReport) -> str:
    """The report for people."""
    tally = counts(report.cases)
    what = "VTN" if report.dut == "vtn" else "VEN"
    lines = [f"# OpenADR 2.0b {what} conformance run", "",
             f"- {what} under test: `{report.target}`", f"- kit: `{report.kit}`",
             f"- operator: `{report.operator}`", f"- transport: {report.transport}",
             *(f"- {key}: {value}" for key, value in report.extra.items()),
             f"- started {report.started_at.isoformat()}, finished "
             f"{report.finished_at.isoformat()}",
             "- " + ", ".join(f"{n} {o}" for o, n in tally.items()), "",
             "| case | title | outcome | reason |", "|---|---|---|---|"]
    lines += [f"| {c['case_id']} | {_cell(c['title'])} | {c['outcome']} | "
              f"{_cell(c.get('reason') or '')} |" for c in report.cases]
    for case in report.cases:
        if case["outcome"] == "n/a" and not case["transcript"]:
            continue
        lines += ["", f"## {case['case_id']} {case['title']}: {case['outcome']}", ""]
        if case.get("reason"):
            lines += [f"Reason: {case['reason']}", ""]
        lines += [f"- {'ok  ' if c['ok'] else 'FAIL'} {c['text']}"
                  + (f": {c['detail']}" if c.get("detail") else "") for c in case["checks"]]
        if case["findings"]:
            lines += ["", "Findings:", "", "| rule | payload | path | expected | seen |",
                      "|---|---|---|---|---|"]
            lines += [f"| {f['rule']} | {f.get('payload', '')} | {_cell(f['path'])} | "
                      f"{_cell(f['expected'])} | {_cell(f['seen'])} |" for f in case["findings"]]
        if case["transcript"]:
            lines += ["", "<details><summary>Transcript</summary>", "", "```"]
            lines += ["\n\n".join(exchange_text(r) for r in case["transcript"])]
            lines += ["```", "", "</details>"]
    return "\n".join(lines) + "\n"
