"""State shared by VTN workers, on SQLite and PostgreSQL: ReplayProtect nonces, the push outbox."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from lxml import etree
from openleadr import messaging

from common.clock import ManualClock
from common.errors import ReplayDetected
from common.security import NonceStore as NonceStoreProtocol
from common.security import Signer, Verifier
from vtn.domain import VenRegistration
from vtn.storage import NotFound, Store, open_store

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=5)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
async def store(database_url: str, clock: ManualClock) -> AsyncIterator[Store]:
    async with await open_store(database_url, clock=clock) as opened:
        await opened.vens.create(VenRegistration(fingerprint="aa:01", ven_id="v1"))
        await opened.vens.create(VenRegistration(fingerprint="aa:02", ven_id="v2"))
        yield opened


@pytest.fixture
async def other(database_url: str, clock: ManualClock, store: Store) -> AsyncIterator[Store]:
    """A second worker: its own engine and connections on the same database."""
    async with await open_store(database_url, clock=clock) as opened:
        yield opened


# ---- nonces -------------------------------------------------------------------------------


async def test_a_nonce_is_remembered_once_until_it_expires(store, clock):
    expires = T0 + WINDOW
    assert await store.nonces.remember("n-1", T0, expires) is True
    assert await store.nonces.remember("n-1", T0, expires) is False
    assert await store.nonces.remember("n-2", T0, expires) is True
    clock.advance(WINDOW - timedelta(microseconds=1))
    assert await store.nonces.remember("n-1", T0, expires) is False
    clock.advance(timedelta(microseconds=1))
    # expired: the nonce may be taken again (its old message is refused by its timestamp)
    assert await store.nonces.remember("n-1", clock.now(), clock.now() + WINDOW) is True
    assert await store.nonces.remember("n-1", clock.now(), clock.now() + WINDOW) is False
    assert await store.nonces.purge() == 1  # n-2
    assert await store.nonces.remember("n-2", clock.now(), clock.now() + WINDOW) is True


async def test_overlong_nonces_are_kept_by_digest(store):
    long_nonce = "x" * 5000
    assert await store.nonces.remember(long_nonce, T0, T0 + WINDOW) is True
    assert await store.nonces.remember(long_nonce, T0, T0 + WINDOW) is False
    assert await store.nonces.remember(long_nonce + "y", T0, T0 + WINDOW) is True


async def test_concurrent_remembers_of_one_nonce_let_exactly_one_through(store, other):
    nonces = [f"nonce-{i}" for i in range(25)]
    calls = [s.nonces.remember(n, T0, T0 + WINDOW) for n in nonces for s in (store, other)]
    results = await asyncio.gather(*calls)
    per_nonce = list(zip(results[::2], results[1::2], strict=True))
    assert all(sorted(pair) == [False, True] for pair in per_nonce), per_nonce


async def test_workers_sharing_the_store_catch_each_others_replays(pki, store, other, clock):
    nonce_store: NonceStoreProtocol = store.nonces  # the protocol common.security expects
    first = Verifier(clock=clock, nonce_store=nonce_store, window=WINDOW)
    second = Verifier(clock=clock, nonce_store=other.nonces, window=WINDOW)
    pair = pki.pair("ven", "rsa")
    signer = Signer(pair.cert.read_bytes(), pair.key.read_bytes(), clock=clock)
    root = etree.fromstring(messaging.create_message("oadrPoll", ven_id="v1").encode())
    signer.sign(root)
    signed = etree.fromstring(etree.tostring(root))
    await first.verify(copy.deepcopy(signed), expected_fingerprint=signer.fingerprint)
    with pytest.raises(ReplayDetected):
        await second.verify(signed, expected_fingerprint=signer.fingerprint)


# ---- outbox -------------------------------------------------------------------------------


async def test_an_item_is_claimed_delivered_and_then_done(store, clock):
    item = await store.outbox.enqueue("v1", b"<oadrPayload/>")
    assert (item.attempts, item.claimed_by, item.next_attempt_at) == (0, None, T0)
    later = await store.outbox.enqueue("v2", b"later", not_before=T0 + timedelta(minutes=1))
    assert set(await store.outbox.pending()) == {item, later}

    (claimed,) = await store.outbox.claim("w1", limit=10)
    assert claimed.item_id == item.item_id and claimed.payload == b"<oadrPayload/>"
    assert (claimed.claimed_by, claimed.claimed_until, claimed.attempts) == (
        "w1",
        T0 + timedelta(seconds=60),
        1,
    )
    assert await store.outbox.claim("w2") == ()
    assert await store.outbox.mark_delivered(item.item_id, worker="w1") is True
    assert await store.outbox.mark_delivered(item.item_id, worker="w1") is False
    done = await store.outbox.get(item.item_id)
    assert done.delivered_at == T0 and done.claimed_until is None
    assert await store.outbox.pending() == (later,)

    clock.advance(timedelta(minutes=1))
    assert [i.item_id for i in await store.outbox.claim("w2", clock.now())] == [later.item_id]

    clock.advance(timedelta(days=1))
    assert await store.outbox.purge_finished(clock.now()) == 1
    with pytest.raises(NotFound):
        await store.outbox.get(item.item_id)
    with pytest.raises(NotFound):
        await store.outbox.enqueue("v404", b"x")
    with pytest.raises(NotFound):
        await store.outbox.mark_delivered("i404", worker="w1")


async def test_a_lapsed_lease_lets_another_worker_claim(store, clock):
    item = await store.outbox.enqueue("v1", b"p")
    await store.outbox.claim("w1", lease=timedelta(seconds=30))
    clock.advance(timedelta(seconds=29))
    assert await store.outbox.claim("w2") == ()
    clock.advance(timedelta(seconds=1))
    (again,) = await store.outbox.claim("w2")
    assert (again.item_id, again.claimed_by, again.attempts) == (item.item_id, "w2", 2)
    # w1 comes back late: its failure no longer counts, its delivery does
    assert await store.outbox.mark_failed(item.item_id, worker="w1", backoff=None) is False
    assert (await store.outbox.get(item.item_id)).given_up_at is None
    assert await store.outbox.mark_delivered(item.item_id, worker="w1") is True


async def test_failures_back_off_and_finally_give_up(store, clock):
    item = await store.outbox.enqueue("v1", b"p")
    await store.outbox.claim("w1")
    backoff = timedelta(seconds=20)
    assert await store.outbox.mark_failed(item.item_id, worker="w1", backoff=backoff, error="503")
    failed = await store.outbox.get(item.item_id)
    assert (failed.next_attempt_at, failed.claimed_by, failed.last_error) == (
        T0 + backoff,
        None,
        "503",
    )
    assert await store.outbox.claim("w1") == ()
    clock.advance(backoff)
    (retry,) = await store.outbox.claim("w1")
    assert retry.attempts == 2
    assert await store.outbox.mark_failed(item.item_id, worker="w1", backoff=None, error="gone")
    given_up = await store.outbox.get(item.item_id)
    assert given_up.given_up_at == clock.now() and given_up.last_error == "gone"
    assert await store.outbox.pending() == ()
    clock.advance(timedelta(days=1))
    assert await store.outbox.claim("w1") == ()


async def test_concurrent_workers_never_claim_the_same_item(store, other):
    queued = {(await store.outbox.enqueue(f"v{1 + n % 2}", b"%d" % n)).item_id for n in range(60)}
    claims: dict[str, list[str]] = {}

    async def work(worker: str, on: Store) -> None:
        mine = claims.setdefault(worker, [])
        while items := await on.outbox.claim(worker, limit=4):
            mine.extend(i.item_id for i in items)
            assert all(i.claimed_by == worker and i.attempts == 1 for i in items)

    await asyncio.gather(work("a1", store), work("a2", store), work("b1", other), work("b2", other))
    claimed = [item_id for items in claims.values() for item_id in items]
    assert len(claimed) == len(set(claimed)), "an item was claimed twice"
    assert set(claimed) == queued
    assert await store.outbox.claim("late") == ()
    assert {i.claimed_by for i in await store.outbox.pending()} <= set(claims)


# ---- PostgreSQL: the exact interleavings, forced with a second connection -------------------


@pytest.fixture
async def pg(postgres_url: str, clock: ManualClock) -> AsyncIterator[tuple[Store, str]]:
    """A store on a fresh PostgreSQL database, and the plain asyncpg DSN of that database."""
    async with await open_store(postgres_url, clock=clock) as opened:
        await opened.vens.create(VenRegistration(fingerprint="aa:01", ven_id="v1"))
        yield opened, postgres_url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def wait_until_blocked(observer: asyncpg.Connection) -> None:
    """Return once some backend of this database waits for a lock (polls, never sleeps)."""
    query = (
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    for _ in range(20_000):
        if await observer.fetchval(query):
            return
    raise AssertionError("the second remember never waited for the first one's row")


@pytest.mark.postgres
@pytest.mark.parametrize(("first_commits", "expected"), [(True, False), (False, True)])
async def test_a_remember_racing_an_uncommitted_twin_waits_for_its_outcome(
    pg, first_commits, expected
):
    store, dsn = pg
    holder, observer = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
    try:
        transaction = holder.transaction()
        await transaction.start()
        await holder.execute(
            "INSERT INTO nonces (nonce, signed_at, expires_at) VALUES ($1, $2, $3)",
            "twin",
            T0,
            T0 + WINDOW,
        )
        second = asyncio.ensure_future(store.nonces.remember("twin", T0, T0 + WINDOW))
        await wait_until_blocked(observer)
        assert not second.done()
        await (transaction.commit() if first_commits else transaction.rollback())
        assert await second is expected
    finally:
        await holder.close()
        await observer.close()


@pytest.mark.postgres
async def test_claim_skips_rows_another_worker_has_locked(pg):
    store, dsn = pg
    items = [await store.outbox.enqueue("v1", b"%d" % n) for n in range(3)]
    holder = await asyncpg.connect(dsn)
    try:
        transaction = holder.transaction()
        await transaction.start()
        # another worker is in the middle of claiming the oldest item
        await holder.execute(
            "SELECT item_id FROM push_outbox WHERE item_id = $1 FOR UPDATE", items[0].item_id
        )
        claimed = await store.outbox.claim("w2", limit=10)  # returns at once: no waiting
        assert {i.item_id for i in claimed} == {i.item_id for i in items[1:]}
        await transaction.rollback()
    finally:
        await holder.close()
    assert [i.item_id for i in await store.outbox.claim("w2", limit=10)] == [items[0].item_id]
