"""The README's quick start, run as written: a VTN over mutual TLS and two VENs, each with its
own certificate, register; an event for all of them is created and both answer it.

The shell block is read from README.md, so an edit that breaks it fails here. The steps run in a
temporary directory (with ``examples/`` linked in), each as its own subprocess; only what must
differ on a shared machine is substituted in the text (``SUBSTITUTIONS``), and the test waits
where a human would (for the VTN to listen, the VENs to register, the answers to arrive), by
polling with a deadline.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from tests.support.network import free_port
from tests.support.processes import LISTEN_WAIT, ROOT

SECTION = "## Quick start: a real VTN and a real VEN over mutual TLS"
FINGERPRINT_PLACEHOLDER = "PASTE:THE:VTN-RSA:FINGERPRINT:HERE"
SKIPPED = ("make install",)
"""Steps that prepare this checkout, already done for the tests (the running venv)."""
DEADLINE_S = 90.0
"""Seconds the VENs may take to register and to answer the event [s]."""
STEP_LIMIT_S = 120.0
"""Seconds one foreground step may take [s]."""
POLL_S = 0.2
"""How often a condition is checked again while waiting for other processes [s]."""
HEX32 = re.compile(r"[0-9a-f]{32}")


def quick_start() -> str:
    """The shell block(s) of the README's quick start section."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert SECTION in text, f"README.md has no section {SECTION!r}"
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```(?:sh|bash|shell)\n(.*?)```", section, flags=re.S)
    assert blocks, "the quick start has no ```sh block"
    return "".join(blocks)


def substitutions(vtn_port: int, admin_port: int) -> dict[str, str]:
    """What differs on a shared machine: free ports, and this interpreter's bin directory."""
    return {
        "8443": str(vtn_port),
        "8081": str(admin_port),
        ".venv/bin/": f"{Path(sys.executable).parent}/",
    }


def steps(script: str) -> list[str]:
    """The script's commands: one line each, or a whole ``<<'TOML'`` here-document."""
    found: list[str] = []
    lines = iter(script.splitlines())
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        heredoc = re.search(r"<<'(\w+)'", line)
        if heredoc:
            body = [line]
            for more in lines:
                body.append(more)
                if more == heredoc.group(1):
                    break
            found.append("\n".join(body) + "\n")
        else:
            found.append(line)
    return found


def background(step: str) -> str | None:
    """The command of a step run with ``&`` (without it), else None."""
    match = re.fullmatch(r"(.*?)\s*&\s*(#.*)?", step)
    return match.group(1) if match and not match.group(1).endswith("&") else None


def wait_for(what: str, condition: Callable[[], Any], limit: float = DEADLINE_S) -> Any:
    """`condition()`'s first truthy value, polled until `limit` seconds have passed."""
    deadline = time.monotonic() + limit
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"not within {limit:.0f} s: {what}"
        time.sleep(POLL_S)  # other processes are at work


def accepts(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def started(command: str, cwd: Path, env: dict[str, str], log: Path) -> Iterator[
        subprocess.Popen[bytes]]:
    """A background step (its own process group), stopped with SIGTERM at the end."""
    with log.open("wb") as out:
        process = subprocess.Popen(["bash", "-c", f"exec {command}"], cwd=cwd, env=env,
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_the_readme_quick_start_runs_as_written(tmp_path: Path) -> None:
    vtn_port, admin_port = free_port(), free_port()
    script = quick_start()
    for old, new in substitutions(vtn_port, admin_port).items():
        assert old in script, f"the quick start no longer mentions {old!r}"
        script = script.replace(old, new)
    assert FINGERPRINT_PLACEHOLDER in script
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TZ": "UTC"}
    outputs: dict[str, str] = {}
    logs: list[Path] = []

    def run(step: str) -> str:
        done = subprocess.run(["bash", "-c", step], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=STEP_LIMIT_S)
        assert done.returncode == 0, f"{step}\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def vtn_json(*args: str) -> Any:
        done = subprocess.run([f"{Path(sys.executable).parent}/oadr-vtn", *args, "--config",
                               "vtn.toml", "--json"], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=STEP_LIMIT_S)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def registered() -> list[str]:
        ids = [v["ven_id"] for v in vtn_json("ven", "list")["vens"]]
        return ids if len(ids) == 2 else []

    event_id = ""
    with ExitStack() as processes:
        try:
            for step in steps(script):
                if step.startswith(SKIPPED) or step.startswith("kill "):
                    continue
                if "oadr-vtn ven list" in step:  # a human looks again until both are there
                    ven_ids = wait_for("both VENs register", registered)
                if "EVENT_ID" in step:
                    step = step.replace("EVENT_ID", event_id)
                if "oadr-vtn performance" in step:
                    run(step)  # before the event: it says there is nothing to measure yet
                    continue
                if "oadr-vtn event responses" in step:
                    wait_for("both VENs answer", lambda e=event_id: answered(vtn_json(
                        "event", "responses", e)))
                command = background(step)
                if command is None:
                    if FINGERPRINT_PLACEHOLDER in step:
                        step = step.replace(FINGERPRINT_PLACEHOLDER, fingerprint(outputs))
                    outputs[step] = run(step)
                    if "oadr-vtn event create" in step:
                        event_id = the_event(vtn_json("event", "list"))
                    continue
                log = tmp_path / f"process-{len(logs)}.log"
                logs.append(log)
                process = processes.enter_context(started(command, tmp_path, env, log))
                if "oadr-vtn serve" in command:
                    wait_for("the VTN listens", lambda p=process: p.poll() is not None
                             or (accepts(vtn_port) and accepts(admin_port)), LISTEN_WAIT)
                assert process.poll() is None, log.read_text()
        except BaseException:
            for log in logs:
                sys.stderr.write(f"---- {log.name}\n{log.read_text()}\n")
            raise
    assert len(set(ven_ids)) == 2 and all(HEX32.fullmatch(v) for v in ven_ids), ven_ids
    assert event_id
    assert "kill %3 %2 %1" in script  # the README says how to stop them all


def fingerprint(outputs: dict[str, str]) -> str:
    """The vtn-rsa fingerprint `python -m certs` printed."""
    for out in outputs.values():
        match = re.search(r"vtn-rsa\s+((?:[0-9A-F]{2}:){9}[0-9A-F]{2})", out)
        if match:
            return match.group(1)
    raise AssertionError(f"no vtn-rsa fingerprint in {list(outputs.values())}")


def the_event(listed: Any) -> str:
    """The id of the one event there is."""
    events = listed["events"]
    assert len(events) == 1, events
    return str(events[0]["event_id"])


def answered(body: Any) -> bool:
    """Whether both targeted VENs have answered the event (opted in or out)."""
    rows = body["responses"]
    return len(rows) == 2 and all(row["opt"] for row in rows)
