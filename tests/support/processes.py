"""Running the project's commands as subprocesses (``python -m vtn``) from the repository root."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
"""The repository root (where ``python -m vtn`` finds the packages)."""

LISTEN_WAIT = 60.0
"""Seconds a started server may take to listen (workers starting on a busy machine)."""


@dataclass
class Run:
    """A finished command: exit code, stdout and stderr."""

    code: int
    out: str
    err: str

    def json(self) -> object:
        return json.loads(self.out)


async def oadr_vtn(
    *args: str, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> Run:
    """Run `python -m vtn ARGS` (in `cwd`) while this event loop keeps serving the API."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "vtn",
        *args,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "TZ": "UTC", "PYTHONPATH": str(ROOT), **(env or {})},
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return Run(process.returncode, out.decode(), err.decode())


async def listening(port: int, process: asyncio.subprocess.Process, log: Path) -> None:
    """Wait until something accepts connections on `port` of 127.0.0.1; fail (with `log`) if
    `process` exits first."""
    async with asyncio.timeout(LISTEN_WAIT):
        while True:
            assert process.returncode is None, log.read_text()
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.05)  # the workers are starting (another process)
                continue
            writer.close()
            return
