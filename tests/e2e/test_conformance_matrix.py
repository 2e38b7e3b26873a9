"""``python -m tests.conformance_runs`` (``make conformance``, ``--matrix``): pull and push
outcomes side by side per case, the counts, the docs between their markers, and one short run
through its code path (the kit's runs are tested at length in tests/ven/test_conformance_kit.py
and tests/vtn/test_conformance_harness.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from common.conformance.run_report import RunReport
from tests.conformance_runs import (
    MATRIX_BEGIN,
    MATRIX_END,
    Run,
    matrix,
    our_ven,
    summary_line,
    write_matrix,
)

WHEN = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def _run(name: str, dut: str, transport: str, outcomes: dict[str, str]) -> Run:
    cases: list[dict[str, Any]] = [
        {"case_id": c, "title": c, "outcome": o, "reason": None, "seconds": 0.0, "checks": [],
         "findings": [], "transcript": []} for c, o in outcomes.items()]
    return Run(name, dut, transport, RunReport(kit="k", dut=dut, target="t", operator="none",
                                               started_at=WHEN, finished_at=WHEN, cases=cases))


RUNS = [
    _run("ours", "vtn", "pull", {"N1_0010": "pass", "E1_1020": "pass"}),
    _run("ours", "vtn", "push", {"N0_5010": "pass", "E0_6020": "fail"}),
    _run("openleadr", "vtn", "pull", {"N1_0010": "pass", "E1_1020": "needs-operator"}),
    _run("ours", "ven", "pull", {"N1_0010_TH_VTN": "pass", "A_E1_0110_TH_VTN": "pass"}),
    _run("ours", "ven", "push", {"N0_5010_TH_VTN": "pass", "A_E0_0110_TH_VTN": "n/a"}),
    _run("openleadr", "ven", "pull", {"N1_0010_TH_VTN": "fail"}),
]


def test_the_matrix_puts_push_twins_in_the_row_of_their_pull_case():
    table = matrix(RUNS, when=WHEN)
    assert "Generated 2026-12-07 12:00 UTC" in table and "openleadr 0.5.36" in table
    assert "| case | ours | openleadr |" in table
    assert "| E1_1020 | pass / fail | needs-operator / - |" in table
    assert "| N1_0010 | pass / pass | pass / - |" in table
    assert "| A_E1_0110 | pass / n/a | - / - |" in table
    assert "| N1_0010 | pass / pass | fail / - |" in table  # the VEN table
    assert "pull 1/0/1/0" in table and "push 1/1/0/0" in table


def test_the_push_twins_of_the_opt_report_general_and_ported_cases_share_their_row():
    runs = [_run("ours", "vtn", "pull", {"P1_2010": "pass", "R1_3110": "n/a",
                                         "G1_4011": "pass", "A_E3_0420": "pass"}),
            _run("ours", "vtn", "push", {"P0_7010": "pass", "R0_8110": "n/a",
                                         "G0_9011": "fail", "A_E2_0420": "pass"})]
    table = matrix(runs, when=WHEN)
    for row in ("| P1_2010 | pass / pass |", "| R1_3110 | n/a / n/a |",
                "| G1_4011 | pass / fail |", "| A_E3_0420 | pass / pass |"):
        assert row in table


def test_the_matrix_replaces_what_is_between_the_markers(tmp_path: Path):
    docs = tmp_path / "conformance.md"
    docs.write_text(f"before\n{MATRIX_BEGIN}\nold table\n{MATRIX_END}\nafter\n")
    write_matrix(docs, "new table")
    assert docs.read_text() == f"before\n{MATRIX_BEGIN}\n\nnew table\n{MATRIX_END}\nafter\n"
    docs.write_text("no markers\n")
    with pytest.raises(SystemExit, match="markers"):
        write_matrix(docs, "new table")


async def test_a_make_conformance_run_of_our_ven_on_two_cases(tmp_path: Path):
    """The code path of ``make conformance`` (``our_ven``: the harness, our VEN as a
    subprocess, the shared report), on two cases."""
    run = await our_ven(tmp_path, push=True, cases=["N1_0020", "E1_1020"])
    assert run.label == "ven-ours-push"
    assert run.outcomes() == {"N0_5020_TH_VTN": "pass", "E0_6020_TH_VTN": "pass"}, (
        [c["reason"] for c in run.report.cases], (tmp_path / "ven.log").read_text()[-2000:])
    assert summary_line(run) == ("ven-ours-push            2 pass, 0 fail, 0 needs-operator, "
                                 "0 n/a")
