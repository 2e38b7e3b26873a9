"""The kit's VTN side against an independent VEN: openleadr 0.5.36's ``OpenADRClient``, run
in a subprocess (it knows nothing of this project), over plain HTTP, on a subset of cases.
The outcomes asserted are today's, failures included."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from vtn.conformance import ScriptedVtn, run_cases, select
from vtn.conformance.operator import make_operator
from vtn.conformance.records import Outcome

CLIENT = """\
import asyncio, sys
from openleadr import OpenADRClient

async def on_event(event):
    return "optIn"

async def main(url):
    client = OpenADRClient(ven_name="openleadr-ven", vtn_url=url)
    client.add_handler("on_event", on_event)
    await client.run()
    await asyncio.Event().wait()

asyncio.run(main(sys.argv[1]))
"""

CASES = ["N1_0010", "N1_0020", "E1_1020", "E1_1080", "N1_0070"]


@pytest.fixture
async def harness() -> AsyncIterator[ScriptedVtn]:
    vtn = ScriptedVtn(poll_freq=timedelta(seconds=1))  # openleadr polls as often as asked
    await vtn.start("127.0.0.1", 0)
    yield vtn
    await vtn.stop()


async def test_openleadr_ven_subset(tmp_path: Path, harness: ScriptedVtn):
    script = tmp_path / "openleadr_ven.py"
    script.write_text(CLIENT)
    with (tmp_path / "ven.log").open("ab") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, str(script), harness.url, stdout=log, stderr=log)
    try:
        results = await run_cases(harness, select(CASES), make_operator("none"),
                                  timeout=10.0, quiet=1.0)
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 10)
    outcomes = {r.case_id.removesuffix("_TH_VTN"): r.outcome for r in results}
    reasons = {r.case_id: r.reason for r in results}
    assert outcomes == {
        "N1_0010": Outcome.PASS,
        "N1_0020": Outcome.FAIL,
        "E1_1020": Outcome.PASS,
        "E1_1080": Outcome.FAIL,
        "N1_0070": Outcome.PASS,
    }, (reasons, (tmp_path / "ven.log").read_text()[-3000:])
    by_id = {r.case_id: r for r in results}
    # Its oadrRegisterReport offers no telemetry metadata.
    assert {(f.rule.id, f.message) for f in by_id["N1_0020_TH_VTN"].findings} == {
        ("report.telemetry-metadata", "the VEN does not offer METADATA_TELEMETRY_USAGE"),
        ("report.telemetry-metadata", "the VEN does not offer METADATA_TELEMETRY_STATUS"),
    }
    # It accepts an event from a case-swapped vtnID.
    assert "from vtnID 'th-vtn-1' (answered optIn 200)" in by_id["E1_1080_TH_VTN"].reason
