"""Fault: a worker of ``oadr-vtn serve`` with ``workers = 2`` SIGKILLed while VENs write: the
other worker carries on, the supervisor starts the killed one again, the VENs lose at most the
requests they had in flight, and everything acknowledged is in the database."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import aiohttp

from tests.support.faults import Ledger, committed, event_load, lost, register, served_vtn, ven_load
from tests.support.waiting import until

VENS = 6
WAIT_S = 30.0
"""Bound on each wait for the load or the processes to reach a state [s]."""
RECOVERED_IN_A_ROW = 60


def _workers(supervisor: int) -> list[int]:
    """The supervisor's worker processes (spawned children, not its resource tracker), oldest
    first."""
    children = Path(f"/proc/{supervisor}/task/{supervisor}/children").read_text().split()
    found = []
    for child in map(int, children):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes()
            started = int(Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()[19])
        except (FileNotFoundError, ProcessLookupError):
            continue  # it just exited
        if b"spawn_main" in command:
            found.append((started, child))
    return [pid for _, pid in sorted(found)]


async def _admin_answers(session: aiohttp.ClientSession, admin: str) -> bool:
    try:
        async with session.get(f"{admin}/ready") as reply:
            return reply.status == 200
    except aiohttp.ClientError:
        return False


async def test_a_worker_killed_under_load_is_restarted_and_nothing_acknowledged_is_lost(
    tmp_path: Path,
) -> None:
    # a new connection per request, so that the kernel spreads them over both workers
    connector = aiohttp.TCPConnector(force_close=True)
    async with (served_vtn(tmp_path, "workers = 2") as served,
                aiohttp.ClientSession(connector=connector) as session):
        ven_ids = [f"kill-fault-ven-{n}" for n in range(VENS)]
        for ven_id in ven_ids:
            await register(session, served.base, ven_id)
        assert await until(lambda: len(_workers(served.process.pid)) == 2, WAIT_S)
        worker_0, worker_1 = _workers(served.process.pid)
        ledger, stop = Ledger(), asyncio.Event()
        load = [asyncio.create_task(ven_load(session, served.base, ven_id, ledger, stop))
                for ven_id in ven_ids]
        load.append(asyncio.create_task(event_load(session, served, ledger, stop)))
        try:
            assert await until(lambda: len(ledger.opts) >= 3 * VENS and bool(ledger.events),
                               WAIT_S), (
                ledger.answers, served.log_text()[-3000:])
            # worker 0: it also runs the admin API, the push worker and housekeeping
            os.kill(worker_0, signal.SIGKILL)
            killed_at = ledger.answers["200"]
            assert await until(lambda: worker_0 not in _workers(served.process.pid), WAIT_S)
            # the other worker carries on while the supervisor starts worker 0 again
            assert await until(lambda: ledger.answers["200"] >= killed_at + 2 * VENS, WAIT_S), (
                ledger.answers, served.log_text()[-3000:])
            assert await until(lambda: len(_workers(served.process.pid)) == 2, WAIT_S), (
                served.log_text()[-3000:])
            assert worker_1 in _workers(served.process.pid)
            ready = False

            async def admin_back() -> None:
                nonlocal ready
                ready = await _admin_answers(session, served.admin)

            async with asyncio.timeout(WAIT_S):
                while not ready:
                    await admin_back()
                    await asyncio.sleep(0.1)  # worker 0 is starting (another process)
            ledger.successes_in_a_row = 0
            assert await until(lambda: ledger.successes_in_a_row >= RECOVERED_IN_A_ROW,
                               WAIT_S), (ledger.answers, served.log_text()[-3000:])
            events_before = len(ledger.events)
            assert await until(lambda: len(ledger.events) > events_before, WAIT_S)
        finally:
            stop.set()
            await asyncio.gather(*load)
        assert served.process.returncode is None, served.log_text()[-3000:]
        stored = await committed(f"sqlite+aiosqlite:///{tmp_path / 'vtn.sqlite'}")
    assert not lost(ledger, stored), lost(ledger, stored)
    # at most the requests in flight at the kill failed (each VEN has one at a time), and only
    # as broken connections: no 5xx, no error reply
    assert ledger.failures() <= VENS, ledger.answers
    assert set(ledger.answers) <= {"200", "ServerDisconnectedError", "ClientOSError"}, (
        ledger.answers)
    assert "Worker 0 exited with -9; starting it again" in served.log_text()
