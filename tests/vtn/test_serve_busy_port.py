"""A port another program holds: ``oadr-vtn serve`` says so in one line, exits 1, and has
written nothing to its state directory (no database, no admin token) — one worker or several."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.network import free_port
from tests.support.processes import ROOT

START_LIMIT_S = 60.0
"""Seconds the refused start may take at most (it should take about one)."""


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("busy", ["port", "admin"])
def test_a_busy_port_is_one_clear_line_and_nothing_is_written(
    tmp_path: Path, busy: str, workers: int
) -> None:
    port, admin_port = free_port(), free_port()
    state = tmp_path / "state"
    config_file = tmp_path / "vtn.toml"
    config_file.write_text(f'plain_http = true\nport = {port}\nworkers = {workers}\n'
                           f'state_dir = "{state}"\n[admin]\nport = {admin_port}\n')
    held = port if busy == "port" else admin_port
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", held))
        holder.listen()
        done = subprocess.run(
            [sys.executable, "-m", "vtn", "serve", "--config", str(config_file)],
            cwd=ROOT, capture_output=True, text=True, timeout=START_LIMIT_S,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
    assert done.returncode == 1, done.stderr
    setting = "port = ..." if busy == "port" else "port = ... under [admin]"
    what = "port" if busy == "port" else "admin port"
    assert done.stderr == (
        f"oadr-vtn: {what} {held} on 127.0.0.1 is already in use (another oadr-vtn?): "
        f"stop it or set {setting} in vtn.toml\n"
    )
    assert done.stdout == ""
    assert not state.exists() or list(state.iterdir()) == []
