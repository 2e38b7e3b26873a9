"""Fixtures shared by every test area: the test PKIs, PostgreSQL, a served admin API; and the
Hypothesis profiles (`short` for `make test`, `ci`, `fuzz` for `make fuzz`)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from hypothesis import HealthCheck, settings

from certs.pki import Pki, make_test_pki
from common.clock import ManualClock
from tests.support.admin_api import T0 as ADMIN_T0
from tests.support.admin_api import Vtn, admin_app, open_seeded_store

# ---- Hypothesis: the short run of `make test`, or the long one of `make fuzz` -----------------

FUZZ_SCALE = 20
"""How many times more examples the ``fuzz`` profile draws than the default short run."""
settings.register_profile(
    "short",
    max_examples=50,
    deadline=None,  # a loaded 2-core machine must not turn slowness into failures
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile("ci", settings.get_profile("short"), derandomize=True)
settings.register_profile(
    "fuzz", settings.get_profile("short"), max_examples=50 * FUZZ_SCALE, print_blob=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "short"))
"""Tests scale their example counts from ``settings.default.max_examples``; choose a profile
with HYPOTHESIS_PROFILE (``short`` by default, ``ci`` = short and derandomised, ``fuzz``)."""

TEST_PKI_ISSUED = datetime(2020, 1, 2, tzinfo=UTC)
TEST_PKI_DAYS = 365 * 30
"""Test certificates are valid 2020-2050, so that tests whose ManualClock stands at a fixed
date (signature checks compare the certificate's validity with the injected clock) and real
TLS handshakes (checked against the wall clock) both see them as valid."""


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A test PKI (RSA and ECC CA, VTN and VEN certificates) generated once per session."""
    return make_test_pki(
        tmp_path_factory.mktemp("pki"), now=TEST_PKI_ISSUED, days=TEST_PKI_DAYS
    )


@pytest.fixture(scope="session")
def other_pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A second, unrelated test PKI: its certificates are not trusted by `pki`'s CAs."""
    return make_test_pki(
        tmp_path_factory.mktemp("other-pki"),
        ven_cn="intruder",
        now=TEST_PKI_ISSUED,
        days=TEST_PKI_DAYS,
    )


# ---- PostgreSQL: a fresh database per test (VTN storage), skipped when no server answers ----

POSTGRES_ADMIN_DSN_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"
"""The test server's admin database; override with the OADR_TEST_POSTGRES environment variable."""


@pytest.fixture(scope="session")
def postgres_admin_dsn() -> str:
    """The DSN of the PostgreSQL test server; skips the test (with the reason) if it is absent."""
    import asyncio
    import os

    import asyncpg

    dsn = os.environ.get("OADR_TEST_POSTGRES", POSTGRES_ADMIN_DSN_DEFAULT)

    async def probe() -> None:
        connection = await asyncpg.connect(dsn, timeout=3)
        await connection.close()

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(probe())
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        pytest.skip(f"PostgreSQL test server not available at {dsn}: {exc!r}")
    finally:
        loop.close()
    return dsn


@pytest.fixture
async def postgres_url(postgres_admin_dsn: str) -> AsyncIterator[str]:
    """A SQLAlchemy URL (``postgresql+asyncpg://``) of a new, uniquely named, empty database;
    dropped after the test."""
    import uuid

    import asyncpg
    from sqlalchemy.engine import make_url

    name = f"oadr_test_{uuid.uuid4().hex[:20]}"
    admin = await asyncpg.connect(postgres_admin_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = make_url(postgres_admin_dsn).set(drivername="postgresql+asyncpg", database=name)
    yield url.render_as_string(hide_password=False)
    admin = await asyncpg.connect(postgres_admin_dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database per test: a SQLite file in tmp_path, then (a second run of the
    test) a new PostgreSQL database; the PostgreSQL run skips when no server answers."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'vtn.sqlite'}"
    return request.getfixturevalue("postgres_url")


# ---- the admin API served on a port (for the CLI; the VTN and end-to-end tests use it) -------


@pytest.fixture
async def vtn(tmp_path: Path) -> AsyncIterator[Vtn]:
    """The admin API served on a free port of 127.0.0.1, for ``oadr-vtn`` subprocesses."""
    clock = ManualClock(ADMIN_T0)
    store = await open_seeded_store(tmp_path, clock)
    token_file = tmp_path / "admin-token"
    server = TestServer(admin_app(token_file, store, clock), host="127.0.0.1", port=0)
    await server.start_server()
    try:
        yield Vtn(f"http://127.0.0.1:{server.port}", token_file, store, clock)
    finally:
        await server.close()
        await store.close()
