"""Fixtures of the VTN tests: stores, in-process VTNs (plain, gated, push) and the admin API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from common.clock import ManualClock
from tests.support.admin_api import T0 as ADMIN_T0
from tests.support.admin_api import Admin, admin_app, open_seeded_store
from tests.support.push import start_push_harness
from tests.support.storage import T0 as STORAGE_T0
from tests.support.vtn_harness import START, Harness, gate_of, header_config, start_harness
from tests.support.waiting import until
from vtn.storage import Store, open_store

# ---- VTN storage: a store on each database, its clock at the storage tests' T0 ----------------


@pytest.fixture
def clock() -> ManualClock:
    """A manual clock at ``tests.support.storage.T0``."""
    return ManualClock(STORAGE_T0)


@pytest.fixture
async def store(database_url: str, clock: ManualClock) -> AsyncIterator[Store]:
    """An empty VTN store on `database_url` (each database in turn), on `clock`."""
    async with await open_store(database_url, clock=clock) as opened:
        yield opened


# ---- the VTN protocol: an in-process VTN and a client -----------------------------------------


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    """A VTN (header identity, no signatures) on a fresh database, its clock at START."""
    clock = ManualClock(START)
    built, client = await start_harness(header_config(tmp_path), clock)
    try:
        yield built
    finally:
        await client.close()
        await built.store.close()


@pytest.fixture
async def gated(tmp_path: Path, database_url: str) -> AsyncIterator[Harness]:
    """A VTN with the poll gate (listening for change notices) on each database in turn."""
    config = header_config(tmp_path, database_url=database_url)
    built, client = await start_harness(config, ManualClock(START))
    gate = gate_of(built)
    try:
        assert await until(lambda: gate.live), "the gate listens"
        yield built
    finally:
        await client.close()
        await built.store.close()


@pytest.fixture
async def push_harness(tmp_path: Path) -> AsyncIterator[Harness]:
    """A VTN (as `harness`) whose push workers the test runs itself."""
    h = await start_push_harness(tmp_path)
    try:
        yield h
    finally:
        await h.client.close()
        await h.store.close()



@pytest.fixture
async def admin(tmp_path: Path) -> AsyncIterator[Admin]:
    """The admin API through a test client, over a store holding the seeded VENs."""
    clock = ManualClock(ADMIN_T0)
    store = await open_seeded_store(tmp_path, clock)
    token_file = tmp_path / "var" / "admin-token"
    client = TestClient(TestServer(admin_app(token_file, store, clock)))
    await client.start_server()
    try:
        yield Admin(client, store, clock, token_file.read_text().strip(), token_file)
    finally:
        await client.close()
        await store.close()
