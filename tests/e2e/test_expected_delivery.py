"""Said before the event, for real: our VTN (``python -m vtn serve``) and our VEN (``python -m
ven run`` on the simulated office) as separate processes over HTTP.

The VTN asks the office for 400 kW (LOAD_DISPATCH delta), more than the building can shed. Long
before the event starts, the VEN logs what it expects to deliver, shows it in ``oadr-ven
status``, and reports it (x-EXPECTED_DELIVERY, projected deltaUsage and baseline); the VTN
stores it and shows expected against requested in ``oadr-vtn event responses`` and
``oadr-vtn performance`` (text and --json). Waits poll for conditions with a deadline.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import ROOT
from tests.support.served_vtn import ServedVtn, served_vtn

OFFICE = ROOT / "examples" / "buildings" / "office.toml"
DEADLINE_S = 60.0  # bound of each wait [s]
ASKED_KW = 400.0  # more than the office can shed at any hour [kW]


@contextmanager
def _ven(config: Path, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TZ": "UTC"}
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "ven", "run", "--config", str(config)],
                                   cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _run(*args: str) -> str:
    done = subprocess.run([sys.executable, *args], cwd=ROOT, check=True, capture_output=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, text=True)
    return done.stdout


def _vtn_cli(vtn: ServedVtn, *args: str) -> str:
    return _run("-m", "vtn", *args, "--url", vtn.admin_url, "--token-file", str(vtn.token_file))


def _wait(condition: Callable[[], object], what: str, logs: tuple[Path, ...]) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        if time.monotonic() > deadline:
            tails = "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in logs)
            pytest.fail(f"timed out waiting for {what}\n{tails}")
        time.sleep(0.3)


def test_the_vtn_hears_before_the_event_what_the_office_expects_to_deliver(tmp_path: Path):
    with served_vtn(tmp_path) as vtn:
        ven_toml = tmp_path / "ven.toml"
        ven_toml.write_text(f"""\
[vtn]
url = "{vtn.url}"
allow_plain_http = true
[ven]
name = "office"
database = "{tmp_path / 'ven.sqlite'}"
building = "{OFFICE}"
poll_interval_s = 1
""")
        ven_log, vtn_log = tmp_path / "ven.log", tmp_path / "vtn.log"
        logs = (ven_log, vtn_log)
        with _ven(ven_toml, ven_log):
            _wait(lambda: "registered" in ven_log.read_text().lower(), "the VEN to register",
                  logs)
            created = json.loads(_vtn_cli(
                vtn, "event", "create", "--all", "--signal", "LOAD_DISPATCH", "--type", "delta",
                "--kw", f"{ASKED_KW:g}", "--start", "+20m", "--duration", "30m",
                "--intervals", "2", "--json"))
            event_id = created["event_id"]

            # the VEN says it in its log, interval by interval, with the reasons it knows
            said = re.compile(rf"Event {event_id}: expect (\d+) kW of the 400 kW asked in "
                              r"interval 1 \(.*\)")
            _wait(lambda: said.search(ven_log.read_text()), "the VEN's shortfall line", logs)

            def performance() -> dict[str, Any]:
                rows = json.loads(_vtn_cli(vtn, "performance", event_id, "--json"))
                return rows["performance"][0] if rows["performance"] else {}

            _wait(lambda: performance().get("expected_kw") is not None,
                  "the expected delivery at the VTN", logs)
            row = performance()
            assert row["data_points"] == 0  # before the event: nothing measured yet
            assert row["expected_requested_kw"] == pytest.approx(ASKED_KW)
            assert 0 < row["expected_kw"] < 0.9 * ASKED_KW
            assert row["expected_pct"] == pytest.approx(100 * row["expected_kw"] / ASKED_KW,
                                                        abs=0.1)
            assert len(row["expected_intervals"]) >= 2
            assert {i["requested_kw"] for i in row["expected_intervals"]} == {ASKED_KW}

            # the VEN's own view (stored with its telemetry) agrees with what the VTN stored
            def ven_view() -> dict[str, Any] | None:
                status = json.loads(_run("-m", "ven", "status", "--config", str(ven_toml),
                                         "--json"))
                return next((e for e in status["events"] if e["event_id"] == event_id
                             and e["expected"] is not None), None)

            _wait(ven_view, "the expectation in oadr-ven status", logs)
            event = ven_view()
            assert event is not None
            assert event["expected"]["expected_kw"] == pytest.approx(row["expected_kw"],
                                                                     abs=0.5)
            assert all(i["reasons"] for i in event["expected"]["intervals"])
            text = _run("-m", "ven", "status", "--config", str(ven_toml))
            assert f"of the {ASKED_KW:.0f} kW asked" in text

            # expected against requested in the VTN's CLI, text and JSON
            responses = json.loads(_vtn_cli(vtn, "event", "responses", event_id, "--json"))
            (answer,) = responses["responses"]
            assert (answer["expected_kw"], answer["expected_requested_kw"]) == (
                row["expected_kw"], row["expected_requested_kw"])
            table = _vtn_cli(vtn, "event", "responses", event_id)
            assert "EXPECTS" in table
            assert f"{row['expected_kw']:.0f} of {ASKED_KW:.0f} kW" in table
            shown = _vtn_cli(vtn, "performance", event_id)
            assert "EXPECTED kW" in shown and "% EXPECTED" in shown
