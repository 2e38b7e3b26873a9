"""The PostgreSQL connection pool: sized by ``[database]``, no TLS to a local server unless
asked, no ping per checkout, and a connection the server dropped costs one failed request."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.pool import QueuePool

from common.clock import ManualClock
from common.tomlconfig import ConfigProblems
from tests.support.vtn_harness import START
from vtn.config import DatabaseSettings, load_config
from vtn.storage import StorageUnavailable, open_store
from vtn.storage.database import create_engine_for, postgres_connect_args

PG = "postgresql+asyncpg://vtn@127.0.0.1:5432/vtn"


def test_the_database_section_sizes_the_pool(tmp_path: Path) -> None:
    file = tmp_path / "vtn.toml"
    file.write_text('plain_http = true\n[database]\npool_size = 40\nmax_overflow = 0\n'
                    'pool_timeout = 5\n')
    config = load_config(file)
    assert config.database == DatabaseSettings(pool_size=40, max_overflow=0,
                                               pool_timeout=config.database.pool_timeout)
    assert config.database.pool_timeout.total_seconds() == 5
    engine = create_engine_for(PG, config.database)  # no connection is made
    pool = engine.sync_engine.pool
    assert isinstance(pool, QueuePool)
    assert (pool.size(), pool._max_overflow, pool._timeout) == (40, 0, 5.0)
    assert pool._pre_ping is False
    defaults = create_engine_for(PG).sync_engine.pool
    assert isinstance(defaults, QueuePool) and defaults.size() == DatabaseSettings().pool_size


def test_a_pool_without_connections_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "vtn.toml"
    file.write_text("plain_http = true\n[database]\npool_size = 0\nmax_overflow = -1\n")
    with pytest.raises(ConfigProblems) as raised:
        load_config(file)
    text_ = str(raised.value)
    assert "database.pool_size" in text_ and "database.max_overflow" in text_


@pytest.mark.parametrize(("host", "query", "environ", "expected"), [
    ("127.0.0.1", {}, {}, {"ssl": False}),
    ("localhost", {}, {}, {"ssl": False}),
    ("::1", {}, {}, {"ssl": False}),
    (None, {}, {}, {"ssl": False}),  # the default: a Unix socket
    ("/run/postgresql", {}, {}, {"ssl": False}),
    ("db.example.net", {}, {}, {}),  # remote: asyncpg's default (TLS preferred)
    ("127.0.0.1", {"ssl": "require"}, {}, {}),  # the URL decides
    ("127.0.0.1", {"sslmode": "verify-full"}, {}, {}),
    ("127.0.0.1", {}, {"PGSSLMODE": "require"}, {}),  # so does the environment
    (None, {}, {"PGHOST": "db.example.net"}, {}),
])
def test_tls_is_left_off_only_for_a_local_server_nobody_asked_it_for(
    host: str | None, query: dict[str, str], environ: dict[str, str], expected: dict[str, bool]
) -> None:
    assert postgres_connect_args(host, query, environ) == expected


@pytest.mark.postgres
async def test_the_pool_keeps_its_size_and_a_dropped_connection_fails_one_request(
    postgres_url: str,
) -> None:
    store = await open_store(postgres_url, clock=ManualClock(START),
                             pool=DatabaseSettings(pool_size=2, max_overflow=0))
    try:
        pids: set[int] = set()

        async def backend() -> None:
            async with store._db.connect() as connection:
                pid = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
                pids.add(int(pid))
                await asyncio.sleep(0.01)

        await asyncio.gather(*(backend() for _ in range(20)))
        assert len(pids) <= 2  # 20 requests, 2 connections: the others waited for one
        # the server drops every connection of the pool (as a restart would)
        dsn = postgres_url.replace("postgresql+asyncpg", "postgresql")
        admin = await asyncpg.connect(dsn)
        try:
            await admin.execute("SELECT pg_terminate_backend(p) FROM unnest($1::int[]) p",
                                sorted(pids))
        finally:
            await admin.close()
        with pytest.raises(StorageUnavailable):  # no ping: the first use finds it dropped
            await store.status.ping()
        await store.status.ping()  # the pool was invalidated: a new connection serves
        await store.status.ping()
    finally:
        await store.close()
