"""Fault: the PostgreSQL server restarted while VENs write (a private server of the test's own,
stopped cleanly or as if it crashed, and started again under ``oadr-vtn serve``): meanwhile
HTTP 503 with Retry-After and ``/ready`` says why; afterwards the VTN serves again by itself,
and every opt, report registration and event it acknowledged is in the database."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

from tests.support.faults import (
    Ledger,
    committed,
    event_load,
    lost,
    register,
    served_vtn,
    ven_load,
)
from tests.support.private_postgres import private_postgres
from tests.support.waiting import until

VENS = 8
WAIT_S = 30.0
"""Bound on each wait for the load to reach a state (a loaded 2-core machine) [s]."""
RECOVERED_IN_A_ROW = 60
"""Acknowledged requests in a row that show the VTN serving again."""


async def _ready(session: aiohttp.ClientSession, admin: str) -> tuple[int, dict]:
    async with session.get(f"{admin}/ready") as reply:
        return reply.status, await reply.json()


@pytest.mark.parametrize("mode", ["fast", "immediate"])
async def test_postgres_restarted_under_load_answers_503_then_recovers_losing_nothing(
    tmp_path: Path, mode: str
) -> None:
    """`mode`: how the server stops: ``fast`` (a clean restart: sessions ended, open
    transactions rolled back) or ``immediate`` (as if it crashed; recovery at the start)."""
    async with (private_postgres() as postgres,
                served_vtn(tmp_path, f'database_url = "{postgres.url}"') as served,
                aiohttp.ClientSession() as session):
        ven_ids = [f"pg-fault-ven-{n}" for n in range(VENS)]
        for ven_id in ven_ids:
            await register(session, served.base, ven_id)
        ledger, stop = Ledger(), asyncio.Event()
        load = [asyncio.create_task(ven_load(session, served.base, ven_id, ledger, stop))
                for ven_id in ven_ids]
        load.append(asyncio.create_task(event_load(session, served, ledger, stop)))
        try:
            assert await until(lambda: len(ledger.opts) >= 3 * VENS and bool(ledger.events),
                               WAIT_S), (
                ledger.answers, served.log_text()[-3000:])
            await postgres.stop(mode)
            assert await until(lambda: ledger.answers["503"] >= 3 * VENS, WAIT_S), (
                ledger.answers, served.log_text()[-3000:])
            status, body = await _ready(session, served.admin)
            assert status == 503 and any("database unreachable" in r for r in body["reasons"])
            acknowledged_during = ledger.answers["200"]
            await postgres.start()
            assert await until(lambda: ledger.successes_in_a_row >= RECOVERED_IN_A_ROW,
                               WAIT_S), (ledger.answers, served.log_text()[-3000:])
            assert await until(lambda: len(ledger.events) > 0, WAIT_S)
            status, body = await _ready(session, served.admin)
            assert status == 200, body
        finally:
            stop.set()
            await asyncio.gather(*load)
        stored = await committed(postgres.url)
    assert ledger.answers["200"] > acknowledged_during
    assert not lost(ledger, stored), lost(ledger, stored)
    # meanwhile only 503s, each with Retry-After: no hang, no other error, no 200 with an error
    assert set(ledger.answers) == {"200", "503"}, ledger.answers
    assert ledger.missing_retry_after == 0
    assert "The database is unavailable; answering HTTP 503" in served.log_text()
