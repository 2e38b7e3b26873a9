"""The shared report writer of the conformance kit (``common.conformance.run_report``):
one run written as JSON, JUnit XML and Markdown, whichever side produced it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from common.conformance.run_report import RunReport, counts, write_reports

WHEN = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)

RECORD: dict[str, Any] = {
    "direction": "vtn->ven", "at": WHEN.isoformat(), "url": "http://127.0.0.1:9/EiEvent",
    "request": {"payload": "oadrDistributeEvent", "headers": {"Content-Type": "application/xml"},
                "body": "<oadrPayload/>"},
    "response": {"status": 200, "payload": "oadrResponse", "headers": {}, "body": "<r/>"},
    "tls": {"version": "TLSv1.2", "cipher": "ECDHE-RSA-AES128-GCM-SHA256",
            "peer_fingerprint": "AA:BB", "peer_sha256": None},
    "error": None, "note": "", "findings": [],
}
FINDING = {"rule": "event.order", "description": "d", "path": "oadrEvent[eventID=e1]",
           "expected": "by start", "seen": "e2 before e1", "message": "out of order",
           "payload": "oadrDistributeEvent"}


def _case(case_id: str, outcome: str, **more: object) -> dict[str, object]:
    return {"case_id": case_id, "title": f"title of {case_id}", "outcome": outcome,
            "reason": more.get("reason"), "seconds": 1.5, "checks": more.get("checks", []),
            "findings": more.get("findings", []), "transcript": more.get("transcript", [])}


REPORT = RunReport(kit="oadr-ven conformance", dut="vtn", target="http://vtn/OpenADR2",
                   operator="ours", started_at=WHEN, finished_at=WHEN, transport="simpleHttp push",
                   cases=[
                       _case("N0_5010", "pass", transcript=[RECORD],
                             checks=[{"ok": True, "text": "answers", "detail": ""}]),
                       _case("E0_6020", "fail", reason="1 finding", findings=[FINDING],
                             transcript=[RECORD]),
                       _case("E0_6040", "needs-operator", reason="no operator"),
                       _case("E0_6070", "n/a", reason="a VEN test"),
                   ])


def test_the_three_reports(tmp_path: Path):
    paths = write_reports(tmp_path / "out", REPORT)
    document = json.loads(paths["json"].read_text())
    assert document["counts"] == {"pass": 1, "fail": 1, "needs-operator": 1, "n/a": 1}
    assert document["dut"] == "vtn" and document["transport"] == "simpleHttp push"
    assert document["cases"][0]["transcript"][0]["request"]["body"] == "<oadrPayload/>"

    suites = ET.parse(paths["junit"]).getroot()
    assert (suites.get("tests"), suites.get("failures"), suites.get("skipped")) == ("4", "1", "2")
    cases = {c.get("name", "").split()[0]: c for c in suites.iter("testcase")}
    failure = cases["E0_6020"].find("failure")
    assert failure is not None and "finding event.order in oadrDistributeEvent" in (
        failure.text or "")
    skipped = cases["E0_6040"].find("skipped")
    assert skipped is not None and skipped.get("message") == "needs-operator: no operator"
    out = cases["N0_5010"].find("system-out")
    assert out is not None and "[vtn->ven] POST http://127.0.0.1:9/EiEvent" in (out.text or "")
    assert "TLS TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256; peer certificate fingerprint AA:BB" in (
        out.text or "")

    markdown = paths["markdown"].read_text()
    assert markdown.startswith("# OpenADR 2.0b VTN conformance run")
    assert "| E0_6020 | title of E0_6020 | fail | 1 finding |" in markdown
    assert "| event.order | oadrDistributeEvent | oadrEvent[eventID=e1] |" in markdown
    assert "- ok   answers" in markdown
    assert "## E0_6070" not in markdown  # n/a without a transcript: the table says it all


def test_an_unknown_outcome_is_refused():
    with pytest.raises(ValueError, match="unknown outcome"):
        counts([{"outcome": "passed"}])
