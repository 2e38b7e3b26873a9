"""Every command that has ``--json`` prints one JSON document and nothing else, in a subprocess.

A subprocess sees what an operator sees: third-party warnings at import and text a C library
writes straight to file descriptor 1 (the HiGHS banner) both end up there.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from common.messages.poll import Poll
from common.xml import encode
from tests.support.admin_api import Vtn, seed_reports
from tests.support.energy_api import energy_api
from tests.support.learning_data import write_load_csv, write_zone_csv
from tests.support.processes import ROOT, Run, oadr_vtn
from tests.support.ven_state import seed, write_config
from ven.cli import _parser as ven_parser
from ven.devices.config import load_building
from ven.devices.simulated import simulated_history
from ven.learning.simhistory import load_frame, simulated_zone_history
from vtn.cli.parser import build_parser as vtn_parser
from vtn.conformance import ScriptedVtn

OFFICE = ROOT / "examples" / "buildings" / "office.toml"


def json_leaves(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> set[str]:
    """The commands below `parser` that take --json, as 'group action'."""
    found: set[str] = set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found |= json_leaves(sub, (*path, name))
        elif "--json" in action.option_strings:
            found.add(" ".join(path))
    return found


# `run` logs one JSON object per line while it runs; its own test reads those lines.
VEN_JSON_COMMANDS = {"status", "invitations", "answer", "plan", "conformance",
                     "registration query", "registration reregister", "reports republish",
                     "registration cancel", "capacity", "model fit", "forecast",
                     "opt schedule", "opt cancel", "energy plan", "energy strategy"}
VTN_JSON_COMMANDS = {
    "ven list", "ven show", "ven cancel", "ven capacity",
    "event create", "event modify", "event cancel", "event list", "event show",
    "event responses", "opt list", "report list", "report export", "performance",
    "conformance check",
    "ven reregister", "report request", "report cancel",
    "audit list",
}


def test_every_json_command_is_covered_here():
    assert json_leaves(ven_parser()) - {"run"} == VEN_JSON_COMMANDS
    assert json_leaves(vtn_parser()) == VTN_JSON_COMMANDS


def one_document(run: Run) -> object:
    assert run.code == 0, run.err
    assert run.err == "", run.err  # no warning, no banner, no log line
    return json.loads(run.out)  # raises on anything before or after the document


async def test_vtn_commands_print_one_json_document(vtn: Vtn, tmp_path: Path):
    async def json_of(*args: str) -> object:
        return one_document(await oadr_vtn(*args, "--json", *vtn.options(),
                                           env={"PYTHONWARNINGS": ""}))

    seen: set[str] = set()

    async def check(*args: str) -> object:
        seen.add(" ".join(a for a in args[:2] if not a.startswith(("-", "ven-", "event-")))
                 if args[0] != "performance" else "performance")
        return await json_of(*args)

    created = await check("event", "create", "--all", "--level", "1", "--start", "+5m",
                          "--duration", "1h")
    assert isinstance(created, dict)
    event_id = created["event_id"]
    await check("event", "modify", event_id, "--level", "2")
    await check("event", "list")
    await check("event", "show", event_id)
    await check("event", "responses", event_id)
    await check("performance", event_id)
    await check("event", "cancel", event_id)
    audit = await check("audit", "list", "--object", event_id)
    assert isinstance(audit, dict)
    assert [e["action"] for e in audit["entries"]] == [
        "event.create", "event.modify", "event.cancel"]
    assert all(e["operator"] and e["actor"] == "admin-token" for e in audit["entries"])
    await check("ven", "list")
    await check("ven", "show", "ven-1")
    await check("ven", "capacity", "ven-1")
    await check("ven", "reregister", "ven-1")
    await check("ven", "cancel", "ven-3")
    await check("opt", "list")
    await check("report", "list")
    await check("report", "export")
    written = await check("report", "export", "--out", str(tmp_path / "readings.json"))
    assert written == {"written": 0, "out": str(tmp_path / "readings.json")}
    await seed_reports(vtn.store)
    requested = await check("report", "request", "ven-1", "telemetry")
    assert isinstance(requested, dict)
    await check("report", "cancel", requested["subscription"]["report_request_id"])
    # offline: judges a file, talks to no VTN (so no connection options)
    capture = tmp_path / "poll.xml"
    capture.write_bytes(encode(Poll(ven_id="ven-1")))
    one_document(await oadr_vtn("conformance", "check", str(capture), "--json",
                                env={"PYTHONWARNINGS": ""}))
    seen.add("conformance check")
    assert seen == VTN_JSON_COMMANDS


async def oadr_ven(*args: str) -> Run:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ven", *args, "--json", cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "TZ": "UTC", "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": ""})
    out, err = await process.communicate()
    assert process.returncode is not None
    return Run(process.returncode, out.decode(), err.decode())


def learning_csvs(tmp_path: Path) -> tuple[Path, Path]:
    """A zone CSV (the office's rtu-north, 3 simulated days) and a building CSV (2 weeks)."""
    building = load_building(OFFICE)
    start = datetime(2025, 7, 7, tzinfo=UTC)
    zone = simulated_zone_history(building, "rtu-north", start, 3 * 24)
    metered = simulated_history(building, start - timedelta(days=14), start)
    return (write_zone_csv(zone, tmp_path / "zone.csv"),
            write_load_csv(load_frame(building, metered), tmp_path / "load.csv"))


async def test_ven_commands_print_one_json_document(tmp_path: Path):
    harness = ScriptedVtn()  # the operator commands talk to a VTN (no `run`: directly)
    config = write_config(tmp_path, await harness.start("127.0.0.1", 0))
    await seed(tmp_path / "ven.sqlite")
    try:
        acted = {name: await oadr_ven(*name.split(), "--config", str(config))
                 for name in ("registration query", "registration reregister",
                              "reports republish")}
        acted["opt schedule"] = await oadr_ven(
            "opt", "schedule", "--id", "opt-1", "--type", "out", "--start",
            "2026-07-15T14:00Z", "--duration-min", "60", "--config", str(config))
        acted["opt cancel"] = await oadr_ven("opt", "cancel", "opt-1", "--config", str(config))
        acted["registration cancel"] = await oadr_ven("registration", "cancel", "--config",
                                                      str(config))
    finally:
        await harness.stop()
    async with energy_api(tmp_path / "running") as running:  # a running VEN's building API
        acted["energy strategy"] = await oadr_ven("energy", "strategy", "comfort", "--config",
                                                  str(running.config))
    zone_csv, load_csv = learning_csvs(tmp_path)
    local = {"status": await oadr_ven("status", "--config", str(config)),
             "invitations": await oadr_ven("invitations", "--config", str(config)),
             "answer": await oadr_ven("answer", "event-0", "--opt", "in", "--config",
                                      str(config))}
    offline = {  # no VTN, no state: run side by side
        "plan": ("plan", "--building", str(OFFICE), "--signal", "SIMPLE", "--level", "2",
                 "--start", "2026-07-15T14:00"),
        "capacity": ("capacity", "--building", str(OFFICE), "--at", "2026-07-15T14:00"),
        "model fit": ("model", "fit", "--csv", str(zone_csv), "--building", str(OFFICE),
                      "--zone", "rtu-north"),
        "forecast": ("forecast", "--csv", str(load_csv), "--building", str(OFFICE)),
        "energy plan": ("energy", "plan", "--building", str(OFFICE), "--start",
                        "2026-07-15T06:00", "--strategy", "balanced"),
        "conformance": (  # push cases, no listener: n/a, nothing is contacted
            "conformance", "--vtn-url", "http://127.0.0.1:9/OpenADR2/Simple/2.0b",
            "--plain-http", "--cases", "N0_*", "--out", str(tmp_path / "kit")),
    }
    done = await asyncio.gather(*(oadr_ven(*args) for args in offline.values()))
    runs = {**acted, **local, **dict(zip(offline, done, strict=True))}
    assert set(runs) == VEN_JSON_COMMANDS
    documents = {name: one_document(run) for name, run in runs.items()}
    assert isinstance(documents["plan"], dict) and documents["plan"]["intervals"]
    assert isinstance(documents["capacity"], dict) and documents["capacity"]["circuits"]
    assert isinstance(documents["model fit"], dict) and documents["model fit"]["zones"]
    assert isinstance(documents["forecast"], dict) and len(documents["forecast"]["intervals"]) == 96
    energy = documents["energy plan"]
    assert isinstance(energy, dict) and energy["status"] == "Optimal" and energy["commands"]
    assert documents["energy strategy"]["strategy"]["name"] == "comfort"  # type: ignore[index]
    scheduled = documents["opt schedule"]
    assert isinstance(scheduled, dict) and scheduled["result"]["opt_id"] == "opt-1"
    assert documents["opt cancel"]["result"] == {"opt_id": "opt-1", "cancelled": True}  # type: ignore[index]
    cancelled = documents["registration cancel"]
    assert isinstance(cancelled, dict)
    assert (cancelled["via"], cancelled["state"]) == ("this command", "done")
    assert cancelled["result"]["registration_id"].startswith("th-reg-")  # from reregister


@pytest.mark.parametrize("command", ["oadr-vtn", "oadr-ven", "oadr-certs"])
def test_installed_entry_points_start_without_a_word_on_stderr(command: str):
    """The console scripts of the installed package, as a newcomer runs them."""
    script = Path(sys.executable).parent / command
    if not script.exists():
        pytest.skip(f"{command} is not installed next to {sys.executable}")
    done = __import__("subprocess").run([str(script), "--help"], capture_output=True, text=True,
                                         timeout=120, check=False,
                                         env={**os.environ, "PYTHONWARNINGS": ""})
    assert done.returncode == 0 and done.stderr == "", done.stderr
