"""VTN schema and durability: migrations match the models, workers migrate safely, restarts
(even SIGKILL) lose nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
import textwrap
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection

import vtn.storage
from common.clock import ManualClock
from common.errors import ConfigError
from tests.support.storage import HOUR, T0, assert_everything_is_there, populate
from vtn.domain import VenRegistration
from vtn.storage import NotFound, StorageError, open_store
from vtn.storage.columns import UtcDateTime
from vtn.storage.database import create_engine_for
from vtn.storage.migrate import alembic_config, current_revision, head_revision, upgrade
from vtn.storage.tables import Base

ROOT = Path(__file__).resolve().parents[2]


def schema_differences(connection: Connection) -> list:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, Base.metadata)


async def differences(url: str) -> tuple[list, str | None]:
    engine = create_engine_for(url)
    try:
        async with engine.connect() as connection:
            diffs = await connection.run_sync(schema_differences)
            revision = await connection.run_sync(current_revision)
        return diffs, revision
    finally:
        await engine.dispose()


async def test_the_migrated_schema_matches_the_models(database_url):
    empty, revision = await differences(database_url)
    assert empty, "the comparison must see that an empty database lacks every table"
    assert revision is None

    engine = create_engine_for(database_url)
    await upgrade(engine)
    await engine.dispose()
    diffs, revision = await differences(database_url)
    assert diffs == []
    assert revision == head_revision()


async def test_migrations_go_down_and_up_again(database_url):
    engine = create_engine_for(database_url)
    try:
        await upgrade(engine)

        def down(connection: Connection) -> None:
            command.downgrade(alembic_config(connection), "base")

        async with engine.begin() as connection:
            await connection.run_sync(down)
        await upgrade(engine)
    finally:
        await engine.dispose()
    assert await differences(database_url) == ([], head_revision())


_OUTBOX_0001 = sa.table(
    "push_outbox",
    *(sa.column(name, UtcDateTime()) for name in (
        "created_at", "next_attempt_at", "claimed_until", "delivered_at", "given_up_at")),
    sa.column("item_id", sa.String()), sa.column("ven_id", sa.String()),
    sa.column("payload", sa.LargeBinary()), sa.column("attempts", sa.Integer()),
    sa.column("claimed_by", sa.String()), sa.column("last_error", sa.Text()),
)
_PULL_ONLY_0001 = datetime(9000, 1, 1, tzinfo=UTC)


async def copy_onto_older_schema(source: str, target: str) -> None:
    """Copy every row of the database at `source` (at head) into the one at `target` (at an
    older revision), keeping only the tables and columns `target` has: data as the current code
    writes it, as an older VTN would have held it."""
    source_engine, target_engine = create_engine_for(source), create_engine_for(target)
    try:
        async with target_engine.connect() as connection:
            present = await connection.run_sync(
                lambda sync: {t: {c["name"] for c in sa.inspect(sync).get_columns(t)}
                              for t in sa.inspect(sync).get_table_names()})
        for model in Base.metadata.sorted_tables:  # parents before children
            if model.name not in present:
                continue
            columns = [c for c in model.c if c.name in present[model.name]]
            async with source_engine.connect() as connection:
                rows = (await connection.execute(sa.select(*columns))).mappings().all()
            if rows:
                older = sa.table(model.name, *(sa.column(c.name, c.type) for c in columns))
                async with target_engine.begin() as connection:
                    await connection.execute(sa.insert(older), [dict(r) for r in rows])
    finally:
        await source_engine.dispose()
        await target_engine.dispose()


async def test_a_0001_database_with_data_upgrades_to_head_intact(database_url, tmp_path):
    source = f"sqlite+aiosqlite:///{tmp_path / 'written-at-head.sqlite'}"
    async with await open_store(source, clock=ManualClock(T0)) as store:
        await populate(store, outbox=False)  # the outbox is written below, as 0001 had it
        await store.vens.create(VenRegistration(fingerprint="aa:02", ven_id="v2",
                                                http_pull_model=False,
                                                transport_address="https://v2.example/"))
    engine = create_engine_for(database_url)
    try:
        await upgrade(engine, "0001")
        await copy_onto_older_schema(source, database_url)
        # the outbox as a 0001 VTN wrote it: pull items parked in the year 9000
        base = {"attempts": 0, "claimed_by": None, "claimed_until": None, "delivered_at": None,
                "given_up_at": None, "last_error": None}
        rows = [
            {**base, "item_id": "b", "ven_id": "v1", "payload": b"<pull-2/>", "created_at": T0,
             "next_attempt_at": _PULL_ONLY_0001},
            {**base, "item_id": "a", "ven_id": "v1", "payload": b"<pull-1/>", "created_at": T0,
             "next_attempt_at": _PULL_ONLY_0001},
            {**base, "item_id": "c", "ven_id": "v2", "payload": b"<push/>",
             "created_at": T0 + timedelta(seconds=1), "next_attempt_at": T0 + HOUR,
             "attempts": 2, "last_error": "HTTP 503"},
            {**base, "item_id": "d", "ven_id": "v1", "payload": b"<done/>",
             "created_at": T0 - HOUR, "next_attempt_at": T0 - HOUR,
             "delivered_at": T0 - HOUR, "claimed_by": "oadrPoll"},
        ]
        async with engine.begin() as connection:
            await connection.execute(sa.insert(_OUTBOX_0001), rows)
        await upgrade(engine)
    finally:
        await engine.dispose()
    assert await differences(database_url) == ([], head_revision())

    clock = ManualClock(T0)
    async with await open_store(database_url, clock=clock) as store:
        await assert_everything_is_there(store, outbox=False)
        assert [v.ven_id for v in await store.vens.list()] == ["v1", "v2"]
        done = await store.outbox.get("d")
        assert (done.seq, done.delivered_at, done.payload) == (1, T0 - HOUR, b"<done/>")
        pending = await store.outbox.pending()
        # numbered by (created_at, item_id); the year-9000 marker is gone
        assert [(i.item_id, i.seq) for i in pending] == [("a", 2), ("b", 3), ("c", 4)]
        assert [i.next_attempt_at for i in pending] == [T0, T0, T0 + HOUR]
        assert (pending[2].attempts, pending[2].last_error) == (2, "HTTP 503")
        # the queue goes on after the old items, by the new rules
        new = await store.outbox.enqueue("v1", b"<pull-3/>")
        assert new.seq == 5
        assert await store.outbox.claim("w", limit=10) == ()  # v1 polls; v2 not due yet
        taken = [await store.outbox.take_next("v1", worker="oadrPoll") for _ in range(4)]
        assert [t and t.payload for t in taken] == [b"<pull-1/>", b"<pull-2/>", b"<pull-3/>",
                                                   None]
        clock.advance(HOUR)
        assert [i.item_id for i in await store.outbox.claim("w", limit=10)] == ["c"]


async def test_workers_starting_together_migrate_in_turn(database_url):
    clock = ManualClock(T0)
    stores = await asyncio.gather(*(open_store(database_url, clock=clock) for _ in range(3)))
    try:
        await stores[0].vens.create(VenRegistration(fingerprint="aa:01", ven_id="v1"))
        await stores[1].migrate()  # at head: nothing to do
        assert [v.ven_id for v in await stores[2].vens.list()] == ["v1"]
    finally:
        for store in stores:
            await store.close()


async def test_bad_urls_are_configuration_errors(tmp_path):
    with pytest.raises(ConfigError, match="sqlite\\+aiosqlite"):
        await open_store(f"sqlite:///{tmp_path / 'x.sqlite'}", clock=ManualClock(T0))
    with pytest.raises(ConfigError, match="not a URL"):
        await open_store("vtn.sqlite", clock=ManualClock(T0))
    with pytest.raises(ConfigError, match="not in memory"):
        await open_store("sqlite+aiosqlite:///:memory:", clock=ManualClock(T0))


# ---- restart ------------------------------------------------------------------------------


async def test_a_reopened_store_has_everything(database_url):
    async with await open_store(database_url, clock=ManualClock(T0)) as store:
        await populate(store)
    async with await open_store(database_url, clock=ManualClock(T0)) as store:
        await assert_everything_is_there(store)


_KILLED_WRITER = """
import asyncio, os, signal, sys
from datetime import UTC, datetime
from common.clock import ManualClock
from tests.support.storage import T0, populate
from vtn.storage import open_store

async def main() -> None:
    store = await open_store(sys.argv[1], clock=ManualClock(T0))
    await populate(store)
    os.kill(os.getpid(), signal.SIGKILL)  # no close, no checkpoint, no cleanup

asyncio.run(main())
"""


async def test_a_store_killed_with_sigkill_loses_nothing(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'vtn.sqlite'}"
    script = tmp_path / "killed_writer.py"
    script.write_text(textwrap.dedent(_KILLED_WRITER))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = await asyncio.create_subprocess_exec(
        sys.executable, str(script), url, cwd=ROOT, env=env, stderr=asyncio.subprocess.PIPE
    )
    _, stderr = await asyncio.wait_for(child.communicate(), timeout=120)
    assert child.returncode == -signal.SIGKILL, stderr.decode()
    assert (tmp_path / "vtn.sqlite-wal").exists()  # the data was still in the write-ahead log
    async with await open_store(url, clock=ManualClock(T0)) as store:
        await assert_everything_is_there(store)


async def test_sqlite_files_are_in_wal_mode_with_foreign_keys_enforced(tmp_path):
    path = tmp_path / "vtn.sqlite"
    async with await open_store(f"sqlite+aiosqlite:///{path}", clock=ManualClock(T0)) as store:
        with pytest.raises(NotFound):  # the foreign key to vens is enforced
            await store.outbox.enqueue("nobody", b"x")
    with closing(sqlite3.connect(path)) as plain:
        assert plain.execute("PRAGMA journal_mode").fetchone() == ("wal",)


async def test_the_public_api_is_pinned(tmp_path):
    assert sorted(vtn.storage.__all__) == [
        "ALL_VENS",
        "CANCELLED_VISIBLE_FOR",
        "Conflict",
        "DEFAULT_LEASE",
        "EVENTS",
        "NotFound",
        "PollState",
        "ReadingQuery",
        "StorageError",
        "StorageUnavailable",
        "Store",
        "open_store",
    ]
    url = f"sqlite+aiosqlite:///{tmp_path / 'vtn.sqlite'}"
    async with await open_store(url, clock=ManualClock(T0), migrate=False) as store:
        methods = {
            resource: sorted(m for m in dir(getattr(store, resource)) if not m.startswith("_"))
            for resource in (
                "vens", "events", "invitations", "opts", "reports", "nonces", "outbox", "polls",
                "audit", "status",
            )
        }
    assert methods == {
        "audit": ["add", "list"],
        "status": ["outbox_depth", "ping", "schema_revision", "ven_counts"],
        "vens": [
            "assign", "by_fingerprint", "by_registration_id", "cancel", "create", "get", "list",
            "note_conflict", "reregister", "touch", "touch_many",
        ],
        "events": ["cancel", "create", "for_ven", "get", "list", "modify"],
        "invitations": [
            "delivered_numbers", "delivery_counts", "get", "list_for_event", "list_for_ven",
            "mark_all_delivered",
            "mark_delivered", "record_deliveries", "record_opt",
        ],
        "opts": ["add", "cancel", "get", "list", "revise"],
        "reports": [
            "add_capabilities", "add_readings", "cancel", "capabilities", "readings",
            "set_status", "subscribe", "subscription", "subscriptions",
        ],
        "nonces": ["purge", "remember"],
        "outbox": [
            "claim", "enqueue", "enqueue_unless_pending", "finish_pushes", "get",
            "mark_delivered", "mark_failed", "pending",
            "purge_finished", "release", "take_next",
        ],
        "polls": ["every_state", "push_vens_with_changed_events",
                  "push_vens_with_changed_events_query", "state"],
    }  # fmt: skip


async def test_driver_errors_become_storage_errors(database_url):
    async with await open_store(database_url, clock=ManualClock(T0), migrate=False) as store:
        with pytest.raises(StorageError, match="reading from the database failed") as caught:
            await store.vens.list()  # no schema yet
        assert caught.value.__cause__ is not None
        with pytest.raises(StorageError, match="remember a nonce"):
            await store.nonces.remember("n", T0, T0 + HOUR)
