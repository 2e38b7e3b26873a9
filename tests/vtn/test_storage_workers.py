"""State shared by VTN workers, on SQLite and PostgreSQL: ReplayProtect nonces, the outbox (push
claims and the pull VENs' queues)."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
import pytest
from lxml import etree
from openleadr import messaging

from common.clock import ManualClock
from common.errors import ReplayDetected
from common.security import NonceStore as NonceStoreProtocol
from common.security import Signer, Verifier
from tests.support.storage import T0  # the conftest clock starts there
from vtn.domain import VenRegistration
from vtn.storage import NotFound, Store, open_store

WINDOW = timedelta(minutes=5)


def pusher(n: int, ven_id: str) -> VenRegistration:
    """A push VEN's registration (httpPullModel=false)."""
    return VenRegistration(fingerprint=f"aa:0{n}", ven_id=ven_id, http_pull_model=False,
                           transport_address=f"https://{ven_id}.example/OpenADR2/Simple/2.0b")


@pytest.fixture
async def store(store: Store) -> Store:
    """The conftest store with push VENs v1 and v2 and pull VEN p1."""
    await store.vens.create(pusher(1, "v1"))
    await store.vens.create(pusher(2, "v2"))
    await store.vens.create(VenRegistration(fingerprint="aa:03", ven_id="p1"))  # polls
    return store


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


async def test_a_claim_takes_at_most_limit_items_oldest_first(store):
    queued = [await store.outbox.enqueue("v1", b"%d" % n) for n in range(3)]
    (first,) = await store.outbox.claim("w1", limit=1)
    assert first.item_id == queued[0].item_id
    assert [i.claimed_by for i in await store.outbox.pending()] == ["w1", None, None]
    assert [i.item_id for i in await store.outbox.claim("w2", limit=2)] == [
        queued[1].item_id, queued[2].item_id]


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


# ---- pull queues and the switch between push and pull -------------------------------------


async def test_items_of_pull_vens_are_never_claimed_and_polls_take_them_in_order(store, clock):
    first = await store.outbox.enqueue("p1", b"first")
    second = await store.outbox.enqueue("p1", b"second")  # same instant: seq keeps the order
    third = await store.outbox.enqueue("p1", b"third")
    assert first.seq < second.seq < third.seq
    assert first.next_attempt_at == T0  # an ordinary item, not parked in the far future
    clock.advance(timedelta(days=365))
    assert await store.outbox.claim("w1", limit=10) == ()
    taken = await store.outbox.take_next("p1", worker="oadrPoll")
    assert taken is not None and taken.payload == b"first"
    assert (taken.delivered_at, taken.claimed_by) == (clock.now(), "oadrPoll")
    assert [i.payload for i in await store.outbox.pending(ven_id="p1")] == [b"second", b"third"]
    assert (await store.outbox.take_next("p1", worker="oadrPoll")).payload == b"second"
    assert (await store.outbox.take_next("p1", worker="oadrPoll")).payload == b"third"
    assert await store.outbox.take_next("p1", worker="oadrPoll") is None
    assert await store.outbox.take_next("v404", worker="oadrPoll") is None


async def test_a_poll_skips_an_item_a_push_worker_holds(store, clock):
    held = await store.outbox.enqueue("v1", b"held")
    free = await store.outbox.enqueue("v1", b"free")
    await store.outbox.claim("w1", limit=1, lease=timedelta(seconds=30))
    assert (await store.outbox.take_next("v1", worker="oadrPoll")).item_id == free.item_id
    assert await store.outbox.take_next("v1", worker="oadrPoll") is None
    clock.advance(timedelta(seconds=30))  # the lease ran out
    assert (await store.outbox.take_next("v1", worker="oadrPoll")).item_id == held.item_id


async def test_items_follow_their_ven_from_pull_to_push_and_back(store, clock):
    queued = [await store.outbox.enqueue("p1", b"%d" % n) for n in range(3)]
    assert await store.outbox.claim("w1") == ()
    # the VEN re-registers for push: what it did not poll yet is pushed, in order
    await store.vens.reregister("p1", pusher(3, "p1"))
    claimed = await store.outbox.claim("w1", limit=2)
    assert [i.item_id for i in claimed] == [i.item_id for i in queued[:2]]
    assert await store.outbox.mark_delivered(claimed[0].item_id, worker="w1")
    # ... and back to pull before the second one was sent: the worker gives it back
    await store.vens.reregister("p1", VenRegistration(fingerprint="aa:03", ven_id="p1"))
    assert await store.outbox.release(claimed[1].item_id, worker="w1") is True
    released = await store.outbox.get(claimed[1].item_id)
    assert (released.claimed_by, released.attempts) == (None, 0)
    assert await store.outbox.release(claimed[1].item_id, worker="w1") is False
    clock.advance(timedelta(hours=1))
    assert await store.outbox.claim("w1") == ()
    polled = [await store.outbox.take_next("p1", worker="oadrPoll") for _ in range(3)]
    assert [i and i.item_id for i in polled] == [queued[1].item_id, queued[2].item_id, None]


async def test_concurrent_polls_take_each_item_once(store, other):
    queued = {(await store.outbox.enqueue("p1", b"%d" % n)).item_id for n in range(30)}
    taken: list[str] = []

    async def poll(on: Store) -> None:
        while item := await on.outbox.take_next("p1", worker="oadrPoll"):
            taken.append(item.item_id)

    await asyncio.gather(poll(store), poll(store), poll(other), poll(other))
    assert len(taken) == len(set(taken)) == len(queued)
    assert set(taken) == queued


# ---- PostgreSQL: the exact interleavings, forced with a second connection -------------------


@pytest.fixture
async def pg(postgres_url: str, clock: ManualClock) -> AsyncIterator[tuple[Store, str]]:
    """A store on a fresh PostgreSQL database, and the plain asyncpg DSN of that database."""
    async with await open_store(postgres_url, clock=clock) as opened:
        await opened.vens.create(pusher(1, "v1"))
        await opened.vens.create(VenRegistration(fingerprint="aa:03", ven_id="p1"))
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
