"""The kit's VTN side (``vtn.conformance``) against this project's VEN, run for real.

The VEN is ``python -m ven run`` in a subprocess pointed at the harness's URL (plain HTTP); it
knows nothing of the harness. The outcomes asserted are today's, failures included: a case
our VEN fails is reported ``fail`` with its findings, and the test pins that so a change in
either the VEN or the harness shows up here.

Cases run here, at least one per family: pull N1_0020, N1_0070, N1_0030, N1_0040
(registration), E1_1020 (events), A_E1_0280, A_E1_0300, A_E1_0330 (ported events), A_E1_0086
(event states), A_E1_0267 (observations), P1_2010 (opts), R1_3050 (reports), G1_4015
(general); push N0_5020, N0_5070, N0_5040, E0_6020, E0_6065, A_E0_0390, R0_8020. The other
cases of each family take the same VEN code paths; the whole catalog (79 pull, 78 push cases)
runs in ``make conformance`` (``tests/conformance_runs.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import sys
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from tests.support.network import free_port
from tests.support.processes import ROOT, oadr_vtn
from ven.cli import main as oadr_ven
from vtn.conformance import ScriptedVtn, run_cases, select
from vtn.conformance import operator as harness_operator
from vtn.conformance.observation_cases import judge_spread
from vtn.conformance.operator import Observation, OptWindow, Step, StepOutcome, make_operator
from vtn.conformance.records import CaseResult, Outcome
from vtn.conformance.report import write_reports
from vtn.conformance.scenarios import Case

PASS, FAIL, OPERATOR = Outcome.PASS, Outcome.FAIL, Outcome.NEEDS_OPERATOR

TODAY = {
    "N1_0020_TH_VTN": PASS,
    "E1_1020_TH_VTN": PASS,
    "A_E1_0280_TH_VTN": PASS,
    "N1_0070_TH_VTN": PASS,
    "A_E1_0300_TH_VTN": PASS,
    "A_E1_0086_TH_VTN": PASS,
    "A_E1_0330_TH_VTN": PASS,
    "A_E1_0267_TH_VTN": PASS,
    "P1_2010_TH_VTN": PASS,
    "R1_3050_TH_VTN": PASS,
    "G1_4015_TH_VTN": PASS,
    "N1_0030_TH_VTN": PASS,
    "N1_0040_TH_VTN": PASS,
}
"""Our VEN today, on one or more cases of each family (every case runs in make conformance):
every case passes. The VEN delivers what a poll's answer made it queue
(oadrCreatedEvent) before it polls again (rule ``event.answer-before-poll``), and N1_0030's
cancellation is made with ``oadr-ven registration cancel`` through the running VEN's state
file (then ``oadr-ven registration reregister`` brings it back for N1_0040). The observation
case (A_E1_0267) reads the VEN's event states through its building API (``[api] port``)."""


def ven_config(tmp_path: Path, url: str, *, push_port: int | None = None) -> Path:
    """Our VEN's config against the harness at `url`; with `push_port` it registers for push
    with a plain-HTTP endpoint on that loopback port."""
    push = "" if push_port is None else (
        f'[push]\nlisten = "127.0.0.1:{push_port}"\n'
        f'address = "http://127.0.0.1:{push_port}"\nallow_plain_http = true\n')
    config = tmp_path / "ven.toml"
    config.write_text(push + f"""
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

[events]
market_contexts = ["http://conformance.example/market"]

[reports]
min_sampling_s = 1

[api]
port = {free_port()}
""")
    return config


@pytest.fixture
def oadr_ven_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """The ``ours-ven`` operator's ``oadr-ven`` commands (``answer``, ``opt schedule``,
    ``registration cancel|reregister``) run through the CLI's ``main`` in a worker thread of
    this process instead of ``python -m ven`` (seconds of imports per step): the same commands
    on the same config, reaching the running VEN through its state file as a subprocess would.
    The subprocess runner itself is the script operator's, tested below."""
    spawn = harness_operator._run

    async def run(argv: list[str], env: dict[str, str], cwd: str | None = None
                  ) -> tuple[StepOutcome, str]:
        if argv[:3] != [sys.executable, "-m", "ven"]:
            return await spawn(argv, env, cwd)

        def call() -> tuple[int, str]:
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    code = oadr_ven(argv[3:])
                except SystemExit as exc:  # argparse refusing the arguments
                    code = exc.code if isinstance(exc.code, int) else 2
            return code, (err.getvalue() or out.getvalue()).strip()

        code, text = await asyncio.to_thread(call)
        return (StepOutcome.DONE, "") if code == 0 else (
            StepOutcome.FAILED, f"exit status {code}: {text}")

    monkeypatch.setattr(harness_operator, "_run", run)


@pytest.fixture
async def harness() -> AsyncIterator[ScriptedVtn]:
    vtn = ScriptedVtn()
    await vtn.start("127.0.0.1", 0)
    yield vtn
    await vtn.stop()


async def run_against_our_ven(tmp_path: Path, vtn: ScriptedVtn,
                              cases: Sequence[Case] | None = None) -> list[CaseResult]:
    config = ven_config(tmp_path, vtn.url, push_port=free_port() if vtn.push else None)
    with (tmp_path / "ven.log").open("ab") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "ven", "run", "--config", str(config), cwd=ROOT,
            stdout=asyncio.subprocess.DEVNULL, stderr=log,
            env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        return await run_cases(vtn, select(TODAY) if cases is None else cases,
                               make_operator(f"ours-ven:{config}"),
                               timeout=20.0, quiet=1.0)
    finally:
        if process.returncode is None:
            process.terminate()
        await asyncio.wait_for(process.wait(), 10)


async def test_every_case_against_our_ven(tmp_path: Path, harness: ScriptedVtn,
                                          oadr_ven_in_process: None):
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

    # P1_2010: `oadr-ven opt schedule` made the VEN send the window the harness asked for.
    assert any(r.payload == "oadrCreateOpt" and b"vavailability" in r.request_body
               for r in by_id["P1_2010_TH_VTN"].transcript)
    # R1_3050: the cancellation rode on oadrUpdatedReport and the VEN acknowledged it.
    piggy = by_id["R1_3050_TH_VTN"].transcript
    assert any(r.answer == "oadrUpdatedReport" and b"oadrCancelReport" in r.response_body
               for r in piggy)
    # A_E1_0300: the event for another VEN was answered optOut 462, not taken.
    assert any(r.payload == "oadrCreatedEvent" and b"462" in r.request_body
               for r in by_id["A_E1_0300_TH_VTN"].transcript)

    # A_E1_0330: the invalid event was refused 454; A_E1_0267: the cancelled event stopped
    # at randomised moments within its startafter window (read through the building API).
    assert any(r.payload == "oadrCreatedEvent" and b"454" in r.request_body
               for r in by_id["A_E1_0330_TH_VTN"].transcript)
    assert by_id["A_E1_0267_TH_VTN"].reason.startswith("stops randomised at ")

    # Every exchange is kept byte for byte, with its headers.
    first = by_id["N1_0020_TH_VTN"].transcript[0]
    assert first.request_body.startswith(b"<") and first.response_body.startswith(b"<")
    assert first.request_headers["Content-Type"].startswith("application/xml")
    assert first.tls_version is None and first.client_fingerprint is None

    files = write_reports(tmp_path / "out", results, target=harness.url, started=first.at)
    document = json.loads(files[0].read_text())
    assert document["counts"] == {"pass": 13, "fail": 0, "needs-operator": 0, "n/a": 0}
    assert document["dut"] == "ven" and document["transport"] == "simpleHttp pull"
    suite = ET.parse(files[1]).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("13", "0", "0")
    markdown = files[2].read_text()
    assert "| E1_1020_TH_VTN | ELECTRICITY_PRICE event answered | pass |" in markdown


PUSH_SUBSET = ("N1_0020", "E1_1020", "E1_1065", "A_E1_0390", "R1_3020", "N1_0070", "N1_0040")
"""A case of each push family, one per behaviour the push test names (all the push variants run
in make conformance; the event-state and randomisation families run pull above)."""


async def test_the_push_variants_against_our_ven_in_push_mode(tmp_path: Path):
    """Our VEN registers for push (oadrTransportAddress); the harness POSTs each message to
    it and judges the HTTP answers: oadrRegisteredReport, oadrCreatedEvent, nothing for a
    responseRequired=never event, a refusal of a foreign vtnID and of a foreign
    registrationID, oadrCanceledPartyRegistration for the VTN's cancellation."""
    vtn = ScriptedVtn(push=True)
    await vtn.start("127.0.0.1", 0)
    try:
        results = await run_against_our_ven(tmp_path, vtn, select(PUSH_SUBSET, push=True))
    finally:
        await vtn.stop()
    log = (tmp_path / "ven.log").read_text()
    assert {r.case_id: r.outcome for r in results} == {
        "N0_5020_TH_VTN": PASS, "E0_6020_TH_VTN": PASS, "E0_6065_TH_VTN": PASS,
        "A_E0_0390_TH_VTN": PASS, "R0_8020_TH_VTN": PASS, "N0_5070_TH_VTN": PASS,
        "N0_5040_TH_VTN": PASS,
    }, ({r.case_id: r.reason for r in results}, log[-3000:])
    assert all(r.findings == [] for r in results)
    every = [record for r in results for record in r.transcript]
    assert not [r for r in every if r.payload == "oadrPoll"]  # a push VEN never polls
    by_id = {r.case_id: r for r in results}
    pushed = [(r.answer, r.payload) for r in by_id["E0_6020_TH_VTN"].transcript
              if r.direction == "vtn->ven"]
    assert ("oadrDistributeEvent", "oadrCreatedEvent") in pushed  # answered in the response
    (foreign,) = [r for r in by_id["N0_5070_TH_VTN"].transcript
                  if r.answer == "oadrCancelPartyRegistration"]
    assert foreign.payload == "oadrCanceledPartyRegistration" and b"452" in foreign.response_body
    document = json.loads(write_reports(tmp_path / "out", results, target=vtn.url,
                                        started=every[0].at, transport="simpleHttp push")[0]
                          .read_text())
    record = next(r for c in document["cases"] for r in c["transcript"]
                  if r["direction"] == "vtn->ven")
    assert record["request"]["body"].startswith("<") and record["response"]["status"] == 200


async def test_script_operator_contract(tmp_path: Path):
    script = tmp_path / "steps.sh"
    script.write_text('#!/bin/sh\n'
                      'case "$1" in\n'
                      '  opt-out) [ "$2" = "$OADR_EVENT_ID" ] && exit 0; exit 1 ;;\n'
                      '  opt-schedule) [ "$2" = "$OADR_OPT_ID" ] && [ "$OADR_OPT_TYPE" = in ] '
                      '&& [ -z "$OADR_OPT_DURATION_S" ] && [ "$OADR_OPT_RESOURCE" = r1 ] '
                      '&& exit 0; exit 1 ;;\n'
                      '  cancel-registration) echo "cannot cancel here" >&2; exit 3 ;;\n'
                      '  observe-event) [ "$2" = ev-1 ] && echo \'{"status": "active", '
                      '"start": "2026-07-15T14:00:00Z", "end": null}\' && exit 0; '
                      '[ "$2" = ev-2 ] && echo \'{"status": "on"}\' && exit 0; exit 3 ;;\n'
                      '  *) echo "broken" >&2; exit 9 ;;\n'
                      'esac\n')
    script.chmod(0o755)
    operator = make_operator(f"script:{script}")
    assert await operator.perform(Step("C", "opt-out", "opt out", "ev-1")) == (
        StepOutcome.DONE, "")
    open_ended = OptWindow("in", datetime(2026, 7, 15, 14, tzinfo=UTC), None, "r1")
    assert await operator.perform(Step("C", "opt-schedule", "schedule", opt_id="o-1",
                                       window=open_ended)) == (StepOutcome.DONE, "")
    assert (await operator.perform(Step("C", "opt-schedule", "schedule", opt_id="o-1",
                                        window=OptWindow("out", open_ended.start, None))))[0] \
        is StepOutcome.FAILED
    assert await operator.perform(Step("C", "cancel-registration", "cancel")) == (
        StepOutcome.UNSUPPORTED, "cannot cancel here")
    outcome, reason = await operator.perform(Step("C", "query-registration", "query"))
    assert (outcome, reason) == (StepOutcome.FAILED, "exit status 9: broken")
    outcome, reason = await make_operator("none").perform(Step("C", "opt-out", "opt out", "e"))
    assert outcome is StepOutcome.UNSUPPORTED
    # An observation: the script's stdout is the VEN's state of the event.
    seen = await operator.observe(Step("C", "observe-event", "observe", "ev-1"))
    assert seen == (StepOutcome.DONE, "", Observation(
        "active", datetime(2026, 7, 15, 14, tzinfo=UTC), None))
    outcome, reason, _ = await operator.observe(Step("C", "observe-event", "observe", "ev-2"))
    assert outcome is StepOutcome.FAILED and "status" in reason
    outcome, _, _ = await operator.observe(Step("C", "observe-event", "observe", "ev-3"))
    assert outcome is StepOutcome.UNSUPPORTED
    outcome, _, _ = await make_operator("none").observe(Step("C", "observe-event", "o", "e"))
    assert outcome is StepOutcome.UNSUPPORTED


async def test_run_ven_command_without_a_ven_writes_failing_reports(tmp_path: Path):
    run = await oadr_vtn("conformance", "run-ven", "--listen", "127.0.0.1:0", "--case",
                         "E1_1010", "--case", "n1_0040_th_vtn", "--timeout", "0.3",
                         "--out", str(tmp_path / "out"))
    assert run.code == 1, run.err
    assert "point the VEN at http://127.0.0.1:" in run.err
    assert "E1_1010_TH_VTN     fail            the VEN is not registered" in run.out
    document = json.loads((tmp_path / "out" / "report.json").read_text())
    assert [c["case_id"] for c in document["cases"]] == ["E1_1010_TH_VTN", "N1_0040_TH_VTN"]
    assert document["counts"]["fail"] == 2
    unknown = await oadr_vtn("conformance", "run-ven", "--listen", "127.0.0.1:0", "--case",
                             "Z9_9999", "--out", str(tmp_path / "out"))
    assert unknown.code == 2 and "unknown case(s) Z9_9999" in unknown.err


def test_randomisation_is_judged_on_the_spread_of_offsets():
    """A_E1_0260-0268: a VEN that starts (or stops) every event at the same offset from its
    dtstart (or cancellation), e.g. at once every time, is not randomising."""
    at_once = [timedelta(0)] * 3
    outcome, reason = judge_spread(at_once)
    assert outcome is FAIL and reason.startswith("not randomised: the 3 events came at the same")
    assert judge_spread([timedelta(seconds=s) for s in (1, 2, 2)])[0] is FAIL  # within SLACK
    assert judge_spread([timedelta(seconds=s) for s in (0, 642, 29)]) == (PASS, "")
