"""The kit's opt (P), report (R), general (G) and ported A_E3 cases against real VTNs: ours (a
subprocess, its admin API as the operator) and openleadr's (in process, no operator).

At ours, at least one case per family: P1_2050 and P0_7020 (opts), R1_3050, R0_8050 and the
not-applicable R1_3070, R1_3130 (reports), G1_4015 and the not-applicable G1_4010, G1_4020
(general), A_E3_0420 (ported events), A_E3_0480 and its push sibling A_E2_0494 (event-state
sequences), A_E3_0530 (overlap at the console), A_E3_0657 (cancel retries). The other cases
of each family take the same VTN code paths (E1_1060 runs in test_conformance_kit.py); every
case runs in ``make conformance`` (``tests/conformance_runs.py``).

The expected outcomes pin what each VTN does today (see docs/conformance.md); a failing case
of openleadr is listed with the expectation that failed it, never relaxed here.
"""

from __future__ import annotations

from pathlib import Path

from common.messages.enums import EventStatus
from common.messages.event import DistributeEvent
from tests.support.openleadr_vtn import OpenleadrVtn
from tests.support.served_vtn import served_vtn
from ven.conformance.catalog import CATALOG, select
from ven.conformance.operator import NoOperator, OursOperator, read_token
from ven.conformance.runner import PushSetup, run_cases
from ven.conformance.scenario import CaseResult, Outcome

PUSH_FAST = "[push]\ninterval = 0.1\nbackoff = 0.2\n"

OURS_PULL = ("P1_2050,R1_3050,R1_3070,R1_3130,G1_4010,G1_4015,G1_4020,A_E3_0420,A_E3_0480,"
             "A_E3_0530,A_E3_0657")
OURS_PUSH = "P0_7020,R0_8050,A_E2_0494"
CONSOLE = "[events]\noverlap = \"refuse\"\n"
"""As ``make conformance`` runs our VTN: its admin API refuses overlapping events (A_E3_0530)."""

NO_VTN_REPORTS = ("the VTN produces no reports (optional in 2.0b): its METADATA "
                  "oadrRegisterReport lists none")


def _outcomes(results: list[CaseResult]) -> dict[str, tuple[Outcome, str | None]]:
    return {r.case_id: (r.outcome, r.reason) for r in results}


def test_every_pull_case_of_the_new_families_has_its_push_twin():
    assert CATALOG["P0_7050"].run is CATALOG["P1_2050"].run is not None
    assert CATALOG["R0_8190"].run is CATALOG["R1_3190"].run is not None
    assert CATALOG["A_E2_0780"].run is CATALOG["A_E3_0780"].run is not None
    assert CATALOG["G0_9011"].push and "G0_9015" not in CATALOG  # 4015 has no push twin
    assert CATALOG["R0_8130"].not_applicable == CATALOG["R1_3130"].not_applicable


async def test_the_new_families_pass_against_our_vtn(tmp_path: Path):
    """Pull and push cases at one VTN (each case registers a VEN of its own)."""
    with served_vtn(tmp_path, tables=PUSH_FAST + CONSOLE) as vtn:
        operator = OursOperator(vtn.admin_url, read_token(vtn.token_file))
        results = await run_cases(select(f"{OURS_PULL},{OURS_PUSH}"), vtn_url=vtn.url,
                                  operator=operator,
                                  push=PushSetup("127.0.0.1", 0, wait=10, quiet=0.5))
    outcomes = _outcomes(results)
    # R1_3050: the cancellation comes piggy-backed on the oadrUpdatedReport
    r1_3050 = next(r for r in results if r.case_id == "R1_3050")
    piggy = [r for r in r1_3050.transcript if r.request_name == "oadrUpdateReport"][-1]
    assert b"oadrCancelReport" in piggy.response_body
    # A_E3_0657: the kit leaves the cancellation unanswered on purpose; the rule that sees it
    # is waived for the case (the finding stays in the transcript), and the VTN re-sends it
    a_e3_0657 = next(r for r in results if r.case_id == "A_E3_0657")
    assert {f["rule"] for f in a_e3_0657.findings} == {"event.answer-before-poll"}
    resent = [r for r in a_e3_0657.transcript if isinstance(r.reply, DistributeEvent)
              and any(e.event.event_descriptor.event_status is EventStatus.CANCELLED
                      for e in r.reply.events)]
    assert len(resent) == 2
    # A_E3_0530: the second, overlapping event was refused by the admin API (409)
    a_e3_0530 = next(r for r in results if r.case_id == "A_E3_0530")
    assert any("HTTP 409" in c.text for c in a_e3_0530.checks)
    not_applicable = {"R1_3070", "R1_3130", "G1_4010", "G1_4020"}
    assert {case: outcome for case, (outcome, _) in outcomes.items()} == {
        case: Outcome.NOT_APPLICABLE if case in not_applicable else Outcome.PASS
        for case in (*OURS_PULL.split(","), *OURS_PUSH.split(","))}
    assert outcomes["R1_3070"][1] == NO_VTN_REPORTS
    assert (outcomes["G1_4010"][1] or "").startswith("a security case: the VTN under test is "
                                                     "reached over plain HTTP")


OPENLEADR = {
    "P1_2010": (Outcome.PASS, None),
    "P1_2020": (Outcome.FAIL, "the VTN cancels the opt schedule: expected oadrCanceledOpt, "
                              "got HTTP 500"),
    "P1_2050": (Outcome.FAIL, "an opt for an unknown eventID is refused: HTTP 200 "
                              "oadrCreatedOpt responseCode 200"),
    "R1_3010": (Outcome.NEEDS_OPERATOR, "step request_report needs an operator"),
    "R1_3170": (Outcome.FAIL, "the VTN accepts the METADATA request: expected "
                              "oadrCreatedReport, got HTTP 200 oadrResponse"),
    "R1_3190": (Outcome.FAIL, "data for a reportRequestID the VTN never made is refused: "
                              "HTTP 200 oadrUpdatedReport responseCode 200"),
    "G1_4011": (Outcome.PASS, None),
}


async def test_the_new_families_against_openleadrs_vtn():
    vtn = OpenleadrVtn()
    await vtn.start()
    try:
        results = await run_cases(select(",".join(OPENLEADR)), vtn_url=vtn.url,
                                  operator=NoOperator())
    finally:
        await vtn.stop()
    outcomes = _outcomes(results)
    assert {case: outcome for case, (outcome, _) in outcomes.items()} == {
        case: outcome for case, (outcome, _) in OPENLEADR.items()}
    for case, (_, reason) in OPENLEADR.items():
        if reason is not None:
            assert (outcomes[case][1] or "").startswith(reason), (case, outcomes[case][1])
