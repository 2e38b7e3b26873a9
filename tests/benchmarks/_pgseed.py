"""Bulk-seed a VTN database with VENs (pull or push), and make the scale benchmarks' database.

Run: ``python -m tests.benchmarks._pgseed DATABASE_URL PREFIX COUNT [POLL_SECONDS [PUSH_BASE]]``.
Each VEN is what a plain-HTTP oadrCreatePartyRegistration stores (not report-only, unsigned,
the synthetic ``unauthenticated:<venID>`` identity), written as multi-row INSERTs of 1,000 rows
per statement into ``vens`` once the schema is migrated (``_seed_vtn`` goes through the storage
API one transaction per VEN: about 20 min for 100,000 on PostgreSQL). No oadrRegisterReport is
queued: the VENs have nothing pending. With PUSH_BASE the VENs are push VENs
(httpPullModel=false) with transportAddress ``PUSH_BASE/<venID>``. Prints the seconds it took.

Only for a database no VTN is serving yet: the rows bypass the change notices a running VTN
relies on (it reads every VEN when it starts).
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from common.clock import SystemClock
from common.messages.enums import ProfileName, TransportName
from tests.benchmarks._loadgen import ven_ids
from vtn.services.registration import UNAUTHENTICATED
from vtn.storage import open_store
from vtn.storage.database import create_engine_for
from vtn.storage.ids import new_id
from vtn.storage.tables import VenRow, table_of

ROWS_PER_STATEMENT = 1000
"""17 values per row: under the 32,767 values asyncpg and SQLite bind per statement."""
SCALE_DATABASE = "bench_scale"
"""The PostgreSQL database the scale benchmarks use (dropped and made again per run; never the
``test`` database, which the tests use)."""
POSTGRES_ADMIN_DSN_DEFAULT = "postgresql://postgres@127.0.0.1:5432/postgres"
"""Where ``CREATE DATABASE`` is sent (``OADR_BENCH_POSTGRES`` overrides)."""


def fresh_postgres(name: str = SCALE_DATABASE) -> str | None:
    """Drop and create the PostgreSQL database `name`; its SQLAlchemy URL, or None if no
    PostgreSQL server answers."""
    import asyncpg
    from sqlalchemy.engine import make_url

    if not name.startswith("bench"):
        raise ValueError(f"refusing to drop {name!r}: scale databases are named bench*")
    dsn = os.environ.get("OADR_BENCH_POSTGRES", POSTGRES_ADMIN_DSN_DEFAULT)

    async def run() -> None:
        connection = await asyncpg.connect(dsn, timeout=5)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()

    try:
        asyncio.run(run())
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return None
    url = make_url(dsn).set(drivername="postgresql+asyncpg", database=name)
    return url.render_as_string(hide_password=False)


def migrate(url: str) -> None:
    """Bring the database at `url` to the newest schema (an empty VTN can then start on it)."""

    async def run() -> None:
        store = await open_store(url, clock=SystemClock())
        await store.close()

    asyncio.run(run())


def rows(prefix: str, count: int, poll_seconds: float, push_base: str | None) -> list[dict]:
    """The ``vens`` rows of `count` VENs named ``<prefix><n>``."""
    now = datetime.now(UTC)
    frequency = timedelta(seconds=poll_seconds)
    return [
        {
            "ven_id": ven_id, "registration_id": new_id(),
            "fingerprint": f"{UNAUTHENTICATED}{ven_id}", "ven_name": ven_id,
            "profile": ProfileName.B.value, "transport": TransportName.SIMPLE_HTTP.value,
            "http_pull_model": push_base is None,
            "transport_address": f"{push_base}/{ven_id}" if push_base else None,
            "report_only": False, "xml_signature": False, "poll_frequency": frequency,
            "registered_at": now, "updated_at": now, "last_seen_at": now,
            "cancelled_at": None, "conflict_at": None, "conflict_ven_name": None,
        }
        for ven_id in ven_ids(prefix, count)
    ]


async def seed(url: str, prefix: str, count: int, poll_seconds: float,
               push_base: str | None = None) -> float:
    """Migrate, then insert the VENs; the seconds it took."""
    started = time.perf_counter()
    store = await open_store(url, clock=SystemClock())
    await store.close()
    engine = create_engine_for(url)
    table = table_of(VenRow)
    try:
        all_rows = rows(prefix, count, poll_seconds, push_base)
        async with engine.begin() as connection:
            for i in range(0, len(all_rows), ROWS_PER_STATEMENT):
                await connection.execute(insert(table).values(all_rows[i:i + ROWS_PER_STATEMENT]))
    finally:
        await engine.dispose()
    return time.perf_counter() - started


def main() -> None:
    url, prefix, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    poll_seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 10.0
    push_base = sys.argv[5] if len(sys.argv) > 5 else None
    print(f"{asyncio.run(seed(url, prefix, count, poll_seconds, push_base)):.3f}")


if __name__ == "__main__":
    main()
