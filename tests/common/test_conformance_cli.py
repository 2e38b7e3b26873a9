"""``oadr-vtn conformance check`` in a subprocess, on a capture log and on XML files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from common.messages.poll import Poll
from common.messages.types import Message
from common.xml import encode
from tests.support.conformance import NOW, distribute, event, registered, registration
from tests.support.processes import ROOT


def oadr_vtn(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vtn", "conformance", "check", *args], cwd=ROOT,
        capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": ""})


def line(message: Message | bytes, direction: str, minutes: int = 0) -> str:
    body = message if isinstance(message, bytes) else encode(message)
    return json.dumps({"time": (NOW + timedelta(minutes=minutes)).isoformat(),
                       "direction": direction, "body": body.decode("utf-8")})


def test_capture_log_with_findings(tmp_path: Path):
    capture = tmp_path / "capture.jsonl"
    capture.write_text("\n".join([
        line(registration(pull=True), "ven->vtn"),
        line(registered(), "vtn->ven"),
        line(distribute(event("e1")), "vtn->ven", 1),
        "",
        line(Poll(ven_id="ven-1"), "ven->vtn", 2),  # e1 not answered yet
        line(b"<oadrPayload>not 2.0b</oadrPayload>", "ven->vtn", 3),
    ]) + "\n")
    text = oadr_vtn(str(capture))
    assert text.returncode == 1, text.stderr
    assert "event.answer-before-poll" in text.stdout and "payload.decodes" in text.stdout
    assert text.stdout.rstrip().endswith("2 finding(s) in 5 message(s) of 1 file(s)")

    document = oadr_vtn(str(capture), "--json")
    assert document.returncode == 1 and document.stderr == ""
    data = json.loads(document.stdout)
    assert data["findings"] == 2
    (checked,) = data["files"]
    found = [(m["index"], m["payload"], f["rule"]) for m in checked["messages"]
             for f in m["findings"]]
    # the index is the line number (line 4 is blank)
    assert found == [(5, "oadrPoll", "event.answer-before-poll"), (6, "?", "payload.decodes")]


def test_clean_xml_file_and_unreadable_input(tmp_path: Path):
    clean = tmp_path / "distribute.xml"
    clean.write_bytes(encode(distribute(event("e1"))))
    run = oadr_vtn(str(clean), "--at", NOW.isoformat(), "--market-context",
                   "http://market.example.com")
    assert (run.returncode, run.stdout) == (0, "0 finding(s) in 1 message(s) of 1 file(s)\n")
    stale = oadr_vtn(str(clean), "--at", (NOW + timedelta(hours=1)).isoformat())
    assert stale.returncode == 1 and "event.created-date-time" in stale.stdout

    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"time": "2026-07-01T16:00:00Z", "direction": "sideways", "body": ""}\n')
    bad = oadr_vtn(str(broken))
    assert bad.returncode == 2 and "direction" in bad.stderr
    assert oadr_vtn(str(tmp_path / "missing.xml")).returncode == 2
