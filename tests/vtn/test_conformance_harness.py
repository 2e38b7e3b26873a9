"""The kit's VTN side (``vtn.conformance``) against this project's VEN, run for real.

The VEN is ``python -m ven run`` in a subprocess pointed at the harness's URL (plain HTTP); it
knows nothing of the harness. The outcomes asserted are today's, failures included: a case
our VEN fails is reported ``fail`` with its findings, and the test pins that so a change in
either the VEN or the harness shows up here.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from tests.support.processes import ROOT, oadr_vtn
from vtn.conformance import ScriptedVtn, run_cases, select
from vtn.conformance.operator import Step, StepOutcome, make_operator
from vtn.conformance.records import CaseResult, Outcome
from vtn.conformance.report import write_reports

PASS, FAIL, OPERATOR = Outcome.PASS, Outcome.FAIL, Outcome.NEEDS_OPERATOR

TODAY = {
    "N1_0010_TH_VTN": PASS,
    "N1_0020_TH_VTN": PASS,
    "E1_1010_TH_VTN": PASS,
    "E1_1020_TH_VTN": PASS,
    "E1_1025_TH_VTN": PASS,
    "E1_1030_TH_VTN": PASS,
    "E1_1065_TH_VTN": PASS,
    "E1_1070_TH_VTN": PASS,
    "E1_1080_TH_VTN": PASS,
    "A_E1_0110_TH_VTN": PASS,
    "A_E1_0130_TH_VTN": PASS,
    "A_E1_0280_TH_VTN": PASS,
    "A_E1_0390_TH_VTN": PASS,
    "N1_0050_TH_VTN": PASS,
    "N1_0070_TH_VTN": PASS,
    "N1_0030_TH_VTN": PASS,
    "N1_0040_TH_VTN": PASS,
}
"""Our VEN today: every case passes. The VEN delivers what a poll's answer made it queue
(oadrCreatedEvent) before it polls again (rule ``event.answer-before-poll``), and N1_0030's
cancellation is made with ``oadr-ven registration cancel`` through the running VEN's state
file (then ``oadr-ven registration reregister`` brings it back for N1_0040)."""


def ven_config(tmp_path: Path, url: str) -> Path:
    config = tmp_path / "ven.toml"
    config.write_text(f"""
[vtn]
url = "{url}"
allow_plain_http = true

[ven]
name = "conformance-ven"
database = "state/ven.sqlite"
poll_interval_s = 0.1

[retry]
initial_s = 0.1
max_s = 0.4
""")
    return config


@pytest.fixture
async def harness() -> AsyncIterator[ScriptedVtn]:
    vtn = ScriptedVtn()
    await vtn.start("127.0.0.1", 0)
    yield vtn
    await vtn.stop()


async def run_against_our_ven(tmp_path: Path, vtn: ScriptedVtn) -> list[CaseResult]:
    config = ven_config(tmp_path, vtn.url)
    with (tmp_path / "ven.log").open("ab") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "ven", "run", "--config", str(config), cwd=ROOT,
            stdout=asyncio.subprocess.DEVNULL, stderr=log,
            env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        return await run_cases(vtn, select(None), make_operator(f"ours-ven:{config}"),
                               timeout=10.0, quiet=1.0)
    finally:
        if process.returncode is None:
            process.terminate()
        await asyncio.wait_for(process.wait(), 10)


async def test_every_case_against_our_ven(tmp_path: Path, harness: ScriptedVtn):
    results = await run_against_our_ven(tmp_path, harness)
    log = (tmp_path / "ven.log").read_text()
    outcomes = {r.case_id: r.outcome for r in results}
    assert outcomes == TODAY, ({r.case_id: r.reason for r in results}, log[-3000:])

    by_id = {r.case_id: r for r in results}
    assert all(r.findings == [] for r in results)
    # Each oadrCreatedEvent follows the poll that brought its event, before the next poll.
    transcript = by_id["E1_1020_TH_VTN"].transcript
    offered = next(i for i, r in enumerate(transcript) if r.answer == "oadrDistributeEvent")
    assert [r.payload for r in transcript[offered + 1:offered + 3]] == [
        "oadrCreatedEvent", "oadrPoll"]
    # N1_0030: the VEN cancelled its own registration, at the operator's command.
    cancelled = by_id["N1_0030_TH_VTN"].transcript
    assert any(r.payload == "oadrCancelPartyRegistration" for r in cancelled)
    # A_E1_0280's opt-out went through `oadr-ven answer`: the VEN sent optOut on its own.
    assert any(r.payload == "oadrCreatedEvent" and b"optOut" in r.request_body
               for r in by_id["A_E1_0280_TH_VTN"].transcript)
    # N1_0070: the foreign cancellation was answered 452 and not taught to the exchange.
    (foreign,) = [r for r in by_id["N1_0070_TH_VTN"].transcript
                  if r.answer == "oadrCancelPartyRegistration"]
    assert "deliberate" in foreign.note
    assert any(r.payload == "oadrCanceledPartyRegistration" and b"452" in r.request_body
               for r in by_id["N1_0070_TH_VTN"].transcript)

    # Every exchange is kept byte for byte, with its headers.
    first = by_id["N1_0020_TH_VTN"].transcript[0]
    assert first.request_body.startswith(b"<") and first.response_body.startswith(b"<")
    assert first.request_headers["Content-Type"].startswith("application/xml")
    assert first.tls_version is None and first.client_fingerprint is None

    files = write_reports(tmp_path / "out", results, target=harness.url, started=first.at)
    document = json.loads(files[0].read_text())
    assert document["summary"] == {"pass": 17, "fail": 0, "needs-operator": 0, "n/a": 0}
    suite = ET.parse(files[1]).getroot()
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("17", "0", "0")
    markdown = files[2].read_text()
    assert "| E1_1020_TH_VTN | ELECTRICITY_PRICE event answered | pass |" in markdown


async def test_script_operator_contract(tmp_path: Path):
    script = tmp_path / "steps.sh"
    script.write_text('#!/bin/sh\n'
                      'case "$1" in\n'
                      '  opt-out) [ "$2" = "$OADR_EVENT_ID" ] && exit 0; exit 1 ;;\n'
                      '  cancel-registration) echo "cannot cancel here" >&2; exit 3 ;;\n'
                      '  *) echo "broken" >&2; exit 9 ;;\n'
                      'esac\n')
    script.chmod(0o755)
    operator = make_operator(f"script:{script}")
    assert await operator.perform(Step("C", "opt-out", "opt out", "ev-1")) == (
        StepOutcome.DONE, "")
    assert await operator.perform(Step("C", "cancel-registration", "cancel")) == (
        StepOutcome.UNSUPPORTED, "cannot cancel here")
    outcome, reason = await operator.perform(Step("C", "query-registration", "query"))
    assert (outcome, reason) == (StepOutcome.FAILED, "exit status 9: broken")
    outcome, reason = await make_operator("none").perform(Step("C", "opt-out", "opt out", "e"))
    assert outcome is StepOutcome.UNSUPPORTED


async def test_run_ven_command_without_a_ven_writes_failing_reports(tmp_path: Path):
    run = await oadr_vtn("conformance", "run-ven", "--listen", "127.0.0.1:0", "--case",
                         "E1_1010", "--case", "n1_0040_th_vtn", "--timeout", "0.3",
                         "--out", str(tmp_path / "out"))
    assert run.code == 1, run.err
    assert "point the VEN at http://127.0.0.1:" in run.err
    assert "E1_1010_TH_VTN     fail            the VEN is not registered" in run.out
    document = json.loads((tmp_path / "out" / "report.json").read_text())
    assert [c["case"] for c in document["cases"]] == ["E1_1010_TH_VTN", "N1_0040_TH_VTN"]
    assert document["summary"]["fail"] == 2
    unknown = await oadr_vtn("conformance", "run-ven", "--listen", "127.0.0.1:0", "--case",
                             "Z9_9999", "--out", str(tmp_path / "out"))
    assert unknown.code == 2 and "unknown case(s) Z9_9999" in unknown.err
