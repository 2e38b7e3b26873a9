"""The in-memory nonce store: check-and-add, expiry on the injected clock, a size bound."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from common.clock import ManualClock
from common.errors import OtherError
from common.security.nonces import InMemoryNonceStore, NonceStore

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=5)


@pytest.fixture
def clock():
    return ManualClock(START)


def test_it_is_a_nonce_store(clock):
    store: NonceStore = InMemoryNonceStore(clock=clock)
    assert hasattr(store, "remember")


async def test_a_nonce_is_accepted_once(clock):
    store = InMemoryNonceStore(clock=clock)
    assert await store.remember("n1", START, START + WINDOW) is True
    assert await store.remember("n1", START, START + WINDOW) is False
    assert await store.remember("n2", START, START + WINDOW) is True
    assert len(store) == 2


async def test_entries_expire_on_the_clock(clock):
    store = InMemoryNonceStore(clock=clock)
    await store.remember("n1", START, START + WINDOW)
    clock.advance(WINDOW - timedelta(seconds=1))
    assert await store.remember("n1", START, START + WINDOW) is False
    clock.advance(timedelta(seconds=1))
    assert store.purge() == 1
    assert len(store) == 0


async def test_the_store_is_bounded_and_fails_closed(clock):
    store = InMemoryNonceStore(clock=clock, max_entries=2)
    await store.remember("a", START, START + timedelta(seconds=10))
    await store.remember("b", START, START + timedelta(seconds=20))
    with pytest.raises(OtherError, match="capacity"):
        await store.remember("c", START, START + timedelta(seconds=20))
    assert await store.remember("a", START, START + timedelta(seconds=10)) is False
    clock.advance(timedelta(seconds=10))  # "a" expires and makes room
    assert await store.remember("c", START, START + timedelta(seconds=20)) is True
    assert len(store) == 2


def test_max_entries_must_be_positive(clock):
    with pytest.raises(ValueError):
        InMemoryNonceStore(clock=clock, max_entries=0)
