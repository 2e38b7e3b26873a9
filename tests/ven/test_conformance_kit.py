"""`oadr-ven conformance`: the kit plays the VEN against real VTNs, ours (a subprocess, with
its admin API as the operator) and openleadr's (in process, no operator).

The expected outcomes pin what each VTN does today; a failing case is listed with the
expectation or finding that failed it (see docs/conformance.md), never relaxed here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from tests.support.openleadr_vtn import OpenleadrVtn
from tests.support.served_vtn import ServedVtn, served_vtn
from ven.cli import main
from ven.conformance.catalog import CATALOG, NO_LISTENER, select
from ven.conformance.operator import NoOperator, OperatorUnavailable, ScriptOperator, Step
from ven.conformance.runner import run_cases
from ven.conformance.scenario import CaseResult, Outcome

KIT_SENDS = {"oadrQueryRegistration", "oadrCreatePartyRegistration", "oadrRegisterReport",
             "oadrRegisteredReport", "oadrCreatedReport", "oadrPoll", "oadrRequestEvent",
             "oadrCreatedEvent", "oadrCancelPartyRegistration", "oadrCanceledPartyRegistration"}

NOT_APPLICABLE = {"E1_1070", "N1_0025"}

OURS_FAILING = {
    # plain HTTP without an identity (no certificate, no fingerprint header): the VTN knows a
    # VEN by the venID it names, and oadrQueryRegistration names none. With an identity it
    # passes (test_the_registration_cases_pass_against_our_vtn_given_an_identity).
    "N1_0015": "the answer carries the VEN's venID and registrationID",
}

IDENTITY_HEADER = "X-Client-Fingerprint"
KIT_FINGERPRINT = "4B:49:54:00:00:00:00:00:00:01"
"""The kit's identity at our VTN, as a TLS-terminating proxy would pass it."""

OPENLEADR = {
    "N1_0010": Outcome.PASS, "N1_0060": Outcome.PASS, "N1_0065": Outcome.PASS,
    "N1_0015": Outcome.FAIL, "N1_0020": Outcome.FAIL, "N1_0030": Outcome.FAIL,
    "N1_0070": Outcome.FAIL, "N1_0080": Outcome.FAIL, "E1_1010": Outcome.FAIL,
    "E1_1080": Outcome.PASS,
    "N1_0040": Outcome.NEEDS_OPERATOR, "N1_0050": Outcome.NEEDS_OPERATOR,
    **{case: Outcome.NEEDS_OPERATOR
       for case in ("E1_1020", "E1_1025", "E1_1027", "E1_1030", "E1_1040", "E1_1050", "E1_1060",
                    "E1_1065")},
    **dict.fromkeys(NOT_APPLICABLE, Outcome.NOT_APPLICABLE),
}


def _kit_findings(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f for c in cases for f in c["findings"] if f["payload"] in KIT_SENDS]


def test_the_kit_against_our_vtn_with_our_admin_api_as_operator(tmp_path: Path, capsys):
    out = tmp_path / "report"
    with served_vtn(tmp_path) as vtn:
        code = main(["conformance", "--vtn-url", vtn.url, "--plain-http",
                     "--cases", "N1_*,E1_*", "--operator", "ours",
                     "--operator-url", vtn.admin_url,
                     "--operator-token-file", str(vtn.token_file), "--out", str(out)])
    captured = capsys.readouterr()
    assert code == (1 if OURS_FAILING else 0), captured.err
    report = json.loads((out / "report.json").read_text())
    outcomes = {c["case_id"]: c["outcome"] for c in report["cases"]}
    expected = {case.case_id: "pass" for case in select("N1_*,E1_*")}
    expected.update(dict.fromkeys(NOT_APPLICABLE, "n/a"))
    expected.update(dict.fromkeys(OURS_FAILING, "fail"))
    assert outcomes == expected
    for case in report["cases"]:
        if case["case_id"] in OURS_FAILING:
            assert case["reason"].startswith(OURS_FAILING[case["case_id"]]), case["reason"]
    assert _kit_findings(report["cases"]) == []
    assert report["counts"] == {"pass": 19, "fail": 1, "needs-operator": 0, "n/a": 2}
    # a line per case and a summary on the console
    assert "N1_0010 pass" in captured.err and "22 cases: 19 pass, 1 fail" in captured.err

    # the transcript: bytes, headers, the payload names
    bootstrap = next(c for c in report["cases"] if c["case_id"] == "N1_0020")
    first = bootstrap["transcript"][0]
    assert first["request"]["payload"] == "oadrQueryRegistration"
    assert "<oadr:oadrQueryRegistration" in first["request"]["body"]
    assert {"Host", "Content-Type", "Content-Length"} <= set(first["request"]["headers"])
    assert first["response"]["status"] == 200
    assert first["response"]["payload"] == "oadrCreatedPartyRegistration"
    assert first["tls"] is None  # plain HTTP

    # the other reports: JUnit XML, Markdown
    suites = ET.parse(out / "junit.xml").getroot()
    assert suites.tag == "testsuites" and suites.get("failures") == str(len(OURS_FAILING))
    cases = suites.findall("testsuite/testcase")
    assert len(cases) == 22
    failed = {c.get("name", "").split()[0] for c in cases if c.find("failure") is not None}
    assert failed == set(OURS_FAILING)
    assert all(c.find("system-out") is not None for c in cases
               if c.find("skipped") is None)
    markdown = (out / "report.md").read_text()
    assert "| N1_0030 | VEN Cancel registration (pull) | pass |" in markdown
    assert "POST http://127.0.0.1:" in markdown


PUSH_FAST = "[push]\ninterval = 0.1\nbackoff = 0.2\n"
"""Our VTN's push worker looks for due pushes every 0.1 s (default 1 s)."""


@pytest.fixture(scope="module")
def identity_vtn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedVtn]:
    """Our VTN behind a TLS-terminating proxy (the kit's identity in a header), pushing fast:
    the registration cases (pull) and the push variants run at it, one VTN start-up for both
    (each case registers the kit anew, as ``make conformance`` runs N1_* and N0_*)."""
    with served_vtn(tmp_path_factory.mktemp("identity-vtn"), identity_header=IDENTITY_HEADER,
                    tables=PUSH_FAST) as vtn:
        yield vtn


def test_the_registration_cases_pass_against_our_vtn_given_an_identity(
        tmp_path: Path, capsys, identity_vtn: ServedVtn):
    """Behind a TLS-terminating proxy (the fingerprint header) the VTN knows who asks
    oadrQueryRegistration (N1_0015). N1_* only: one identity for every case would gather
    the E1 cases' events on one VEN."""
    out, vtn = tmp_path / "report", identity_vtn
    code = main(["conformance", "--vtn-url", vtn.url, "--plain-http",
                 "--identity-header", f"{IDENTITY_HEADER}: {KIT_FINGERPRINT}",
                 "--cases", "N1_*", "--operator", "ours", "--operator-url", vtn.admin_url,
                 "--operator-token-file", str(vtn.token_file), "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    report = json.loads((out / "report.json").read_text())
    assert {c["case_id"]: c["outcome"] for c in report["cases"]} == {
        case.case_id: "n/a" if case.case_id in NOT_APPLICABLE else "pass"
        for case in select("N1_*")}
    query = next(c for c in report["cases"] if c["case_id"] == "N1_0015")["transcript"][-1]
    assert query["request"]["headers"][IDENTITY_HEADER] == KIT_FINGERPRINT


async def test_the_kit_against_openleadrs_vtn_without_an_operator():
    vtn = OpenleadrVtn()
    await vtn.start()
    try:
        results = await run_cases(select("N1_*,E1_*"), vtn_url=vtn.url, operator=NoOperator())
    finally:
        await vtn.stop()
    by_id: dict[str, CaseResult] = {r.case_id: r for r in results}
    assert {case: r.outcome for case, r in by_id.items()} == OPENLEADR
    assert by_id["E1_1010"].reason == (
        "the VTN answers oadrRequestEvent: expected oadrDistributeEvent, got HTTP 200 "
        "oadrResponse")
    assert by_id["N1_0020"].reason == (
        "the VTN sends its own oadrRegisterReport after the registration: polls brought "
        "nothing")
    assert by_id["N1_0030"].reason == (
        "the VTN cancels the registration: expected oadrCanceledPartyRegistration, got HTTP "
        "200 oadrResponse")
    assert by_id["N1_0080"].reason == (
        "Poll while unregistered: no payload or 463: oadrRequestReregistration with "
        "responseCode None")
    assert _kit_findings([r.as_dict() for r in results]) == []


async def test_push_variants_without_a_listener_are_not_applicable_with_the_reason():
    cases = select("N0_*,E0_6010")
    assert [c.case_id for c in cases][:2] == ["E0_6010", "N0_5010"]
    assert all(c.push for c in cases) and len(CATALOG) == 173
    # every push twin runs the scenario of its pull twin
    assert CATALOG["E0_6020"].run is CATALOG["E1_1020"].run is not None
    results = await run_cases(cases, vtn_url="http://127.0.0.1:9/OpenADR2/Simple/2.0b",
                              operator=NoOperator())
    assert {r.outcome for r in results} == {Outcome.NOT_APPLICABLE}
    assert {r.reason for r in results if r.case_id != "N0_5025"} == {NO_LISTENER}
    assert all(r.transcript == [] for r in results)  # nothing was sent


def test_the_push_variants_pass_against_our_vtn(tmp_path: Path, capsys,
                                                identity_vtn: ServedVtn):
    """The kit registers for push with its listener's address; our VTN pushes (the VTN's
    oadrRegisterReport, the event, the cancellation, the re-registration request) and the
    kit answers in the HTTP answer. N0_* and one event case (E0_6020: the push twins share
    their pull twins' scenarios, e.g. E0_6027's baseline runs as E1_1027 above); every push
    case runs in make conformance."""
    out, vtn = tmp_path / "report", identity_vtn
    code = main(["conformance", "--vtn-url", vtn.url, "--plain-http",
                 "--identity-header", f"{IDENTITY_HEADER}: {KIT_FINGERPRINT}",
                 "--cases", "N0_*,E0_6020", "--push-listen", "127.0.0.1:0",
                 "--push-wait", "10", "--push-quiet", "0.5",
                 "--operator", "ours", "--operator-url", vtn.admin_url,
                 "--operator-token-file", str(vtn.token_file), "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    report = json.loads((out / "report.json").read_text())
    assert report["transport"] == "simpleHttp push"
    assert {c["case_id"]: c["outcome"] for c in report["cases"]} == {
        case.case_id: "n/a" if case.case_id == "N0_5025" else "pass"
        for case in select("N0_*,E0_6020")}
    by_id = {c["case_id"]: c for c in report["cases"]}
    event = by_id["E0_6020"]["transcript"]
    pushed = [(r["request"]["payload"], r["response"]["payload"]) for r in event
              if r["direction"] == "vtn->ven"]
    assert ("oadrDistributeEvent", "oadrResponse") in pushed
    assert ("oadrRegisterReport", "oadrRegisteredReport") in pushed
    registration = next(r for r in event if r["request"]["payload"]
                        == "oadrCreatePartyRegistration")
    assert "<oadr:oadrTransportAddress>http://127.0.0.1:" in registration["request"]["body"]
    assert "<oadr:oadrHttpPullModel>false<" in registration["request"]["body"]
    # the kit never polls in push mode
    assert not [r for c in report["cases"] for r in c["transcript"]
                if r["request"]["payload"] == "oadrPoll" and c["case_id"] != "N0_5080"]
    cancelled = [r["request"]["payload"] for r in by_id["N0_5040"]["transcript"]
                 if r["direction"] == "vtn->ven"]
    assert "oadrCancelPartyRegistration" in cancelled
    assert _kit_findings(report["cases"]) == []


async def test_a_script_operator_is_run_with_the_step_and_its_parameters(tmp_path: Path):
    script = tmp_path / "operator.sh"
    script.write_text('echo "$1 $2" > "$(dirname "$0")/seen"\n'
                      'echo \'{"event_id": "e-1"}\'\n')
    script.chmod(0o755)
    result = await ScriptOperator(str(script)).perform(Step.CREATE_EVENT, {"ven_id": "v 1"})
    assert result == {"event_id": "e-1"}
    assert (tmp_path / "seen").read_text() == 'create_event {"ven_id": "v 1"}\n'


async def test_a_script_that_cannot_do_a_step_makes_the_case_need_an_operator(tmp_path: Path):
    with pytest.raises(OperatorUnavailable, match="no such button"):
        await ScriptOperator("echo no such button >&2; exit 3;").perform(
            Step.CANCEL_REGISTRATION, {"ven_id": "v"})
