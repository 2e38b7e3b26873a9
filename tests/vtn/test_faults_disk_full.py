"""Fault: the SQLite database's filesystem full while VENs write (a small tmpfs of the test's own,
filled up, then freed): meanwhile HTTP 503 with Retry-After and a log line that says "database or
disk is full"; afterwards the VTN writes again by itself, the file passes PRAGMA integrity_check,
and everything acknowledged is in it."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.support.faults import Ledger, committed, event_load, lost, register, served_vtn, ven_load
from tests.support.waiting import until

VENS = 6
WAIT_S = 30.0
"""Bound on each wait for the load to reach a state [s]."""
RECOVERED_IN_A_ROW = 60
FILESYSTEM_SIZE = "2m"
"""Room for the schema and a few seconds of load; the load soon needs more than is left."""


@contextlib.contextmanager
def small_filesystem(directory: Path) -> Iterator[Path]:
    """A tmpfs of ``FILESYSTEM_SIZE`` mounted on `directory` (root only; skips otherwise)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs to fill up needs root")
    directory.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={FILESYSTEM_SIZE}", "tmpfs",
                              str(directory)], capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield directory
    finally:
        subprocess.run(["umount", "-l", str(directory)], check=False)


def fill(path: Path) -> int:
    """Write `path` until the filesystem has no room left; the bytes written."""
    written = 0
    with path.open("wb", buffering=0) as filler:
        chunk = b"\0" * 4096
        while True:
            try:
                written += filler.write(chunk)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC, exc
                return written


async def test_a_full_disk_gets_503_with_a_clear_log_line_and_no_corruption(tmp_path: Path) -> None:
    with small_filesystem(tmp_path / "disk") as disk:
        database = disk / "vtn.sqlite"
        url = f"sqlite+aiosqlite:///{database}"
        async with (served_vtn(tmp_path, f'database_url = "{url}"') as served,
                    aiohttp.ClientSession() as session):
            ven_ids = [f"disk-fault-ven-{n}" for n in range(VENS)]
            for ven_id in ven_ids:
                await register(session, served.base, ven_id)
            ledger, stop = Ledger(), asyncio.Event()
            load = [asyncio.create_task(ven_load(session, served.base, ven_id, ledger, stop))
                    for ven_id in ven_ids]
            load.append(asyncio.create_task(event_load(session, served, ledger, stop)))
            try:
                assert await until(lambda: len(ledger.opts) >= 3 * VENS and bool(ledger.events),
                                   WAIT_S), (ledger.answers, served.log_text()[-3000:])
                assert fill(disk / "filler") > 0
                assert await until(lambda: ledger.answers["503"] >= 3 * VENS, WAIT_S), (
                    ledger.answers, served.log_text()[-3000:])
                assert "database or disk is full" in served.log_text()
                (disk / "filler").unlink()
                ledger.successes_in_a_row = 0
                assert await until(lambda: ledger.successes_in_a_row >= RECOVERED_IN_A_ROW,
                                   WAIT_S), (ledger.answers, served.log_text()[-3000:])
            finally:
                stop.set()
                await asyncio.gather(*load)
        with contextlib.closing(sqlite3.connect(database)) as db:
            assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        stored = await committed(url)
    assert not lost(ledger, stored), lost(ledger, stored)
    assert set(ledger.answers) == {"200", "503"}, ledger.answers
    assert ledger.missing_retry_after == 0
