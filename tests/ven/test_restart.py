"""A VEN process killed with SIGKILL mid-event resumes from its SQLite file (and the CLI)."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import sqlite3
import sys
from datetime import timedelta
from pathlib import Path

from tests.support.openleadr_vtn import OpenleadrVtn
from tests.support.waiting import until

ROOT = Path(__file__).resolve().parents[2]


def write_config(tmp_path: Path, url: str, extra: str = "") -> Path:
    config = tmp_path / "ven.toml"
    config.write_text(f"""{extra}
[vtn]
url = "{url}"
allow_plain_http = true

[ven]
name = "restart-ven"
database = "state/ven.sqlite"
poll_interval_s = 0.1

[retry]
initial_s = 0.1
max_s = 0.4
""")
    return config


async def start_ven(config: Path, log: Path) -> asyncio.subprocess.Process:
    with log.open("ab") as stderr:  # the child keeps its own copy of the descriptor
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "ven", "run", "--config", str(config),
            cwd=ROOT, stdout=asyncio.subprocess.DEVNULL, stderr=stderr,
            env={**os.environ, "PYTHONPATH": str(ROOT)})


async def cli(*args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ven", *args, cwd=ROOT, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})
    out, err = await asyncio.wait_for(process.communicate(), 20)
    return process.returncode or 0, (out + err).decode()


async def test_sigkill_mid_event_then_resume(tmp_path: Path, vtn: OpenleadrVtn):
    config = write_config(tmp_path, vtn.url)
    log = tmp_path / "ven.log"
    process = await start_ven(config, log)
    try:
        await vtn.wait_for(lambda: vtn.received.polls >= 1, timeout=20)
        vtn.add_event("ev-kill", level=2)
        await vtn.wait_for(lambda: vtn.received.opts == [("ven-0001", "ev-kill", "optIn")])
        # One more poll proves the VEN saw the VTN's acknowledgement and dropped the answer
        # from its outbox (a kill before that would resend it: delivery is at-least-once).
        answered_at = vtn.received.polls
        await vtn.wait_for(lambda: vtn.received.polls > answered_at)
        process.send_signal(signal.SIGKILL)
        await asyncio.wait_for(process.wait(), 10)
        assert process.returncode == -signal.SIGKILL

        polls = vtn.received.polls
        process = await start_ven(config, log)
        await vtn.wait_for(lambda: vtn.received.polls >= polls + 3, timeout=20)
        assert len(vtn.received.registrations) == 1, log.read_text()  # no new registration
        assert vtn.received.opts == [("ven-0001", "ev-kill", "optIn")]  # not answered twice

        code, out = await cli("status", "--config", str(config), "--json")
        assert code == 0, out
        status = json.loads(out)
        assert status["registration"]["ven_id"] == "ven-0001"
        (event,) = status["events"]
        assert (event["event_id"], event["opt"], event["phase"]) == ("ev-kill", "optIn", "active")
        assert "Resuming registration with VTN openleadr-vtn as venID ven-0001" in log.read_text()
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 10)
    assert process.returncode == 0
    assert "Event ev-kill (mod 0) received: SIMPLE level 2" in log.read_text()


def queued_reports(database: Path) -> int:
    if not database.exists():
        return 0
    with sqlite3.connect(database, timeout=5) as db:
        (count,) = db.execute(
            "SELECT COUNT(*) FROM outbox WHERE kind = 'update_report' AND state = 'queued'"
        ).fetchone()
    return int(count)


async def test_reports_queued_during_an_outage_survive_a_kill(tmp_path: Path):
    vtn = OpenleadrVtn(granularity=timedelta(seconds=1), report_back=timedelta(seconds=1))
    await vtn.start()
    config = write_config(tmp_path, vtn.url, "[reports]\nmin_sampling_s = 1\n")
    database = tmp_path / "state" / "ven.sqlite"
    log = tmp_path / "ven.log"
    process = await start_ven(config, log)
    try:
        await vtn.wait_for(lambda: len(vtn.values("usage")) >= 1, timeout=20)
        await vtn.pause()
        before = {t for t, _ in vtn.values("usage")}
        assert await until(lambda: queued_reports(database) >= 2, 20.0)
        process.send_signal(signal.SIGKILL)
        await asyncio.wait_for(process.wait(), 10)
        queued = queued_reports(database)
        await vtn.resume()
        process = await start_ven(config, log)
        assert await until(lambda: queued_reports(database) == 0, 20.0)
        await vtn.wait_for(lambda: len({t for t, _ in vtn.values("usage")}) >= len(before)
                           + queued)
        times = [t for t, _ in vtn.values("usage")]
        assert len(times) == len(set(times)), "a reading was delivered twice"
        assert times == sorted(times)
        steps = {b - a for a, b in itertools.pairwise(times)}
        assert steps == {timedelta(seconds=1)}, "a reading is missing"
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 10)
        await vtn.stop()
