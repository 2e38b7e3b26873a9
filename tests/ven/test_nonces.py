"""The VEN keeps ReplayProtect nonces in its state file: a replay is refused after a restart."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from certs.pki import Pki
from common.clock import ManualClock
from common.errors import ReplayDetected
from common.messages.poll import Response
from common.messages.types import EiResponse
from common.security import Signer
from common.security.signing import DEFAULT_REPLAY_WINDOW
from common.xml import encode
from ven.client import DeterministicSource, Store, VenClient, build_client
from ven.client.config import VenConfig, parse_config
from ven.client.nonces import PURGE_EVERY, StoredNonceStore

START = datetime(2026, 7, 15, 12, 0, tzinfo=UTC)


class NoTransport:
    """The exchange is driven with ``decode`` only: nothing is sent."""

    async def send(self, service: str, body: bytes) -> bytes:
        raise AssertionError(f"nothing should be sent ({service})")

    async def close(self) -> None:
        return None


def verifying_config(tmp_path: Path, pki: Pki) -> VenConfig:
    return parse_config(f"""
[vtn]
url = "http://127.0.0.1:1/OpenADR2/Simple/2.0b"
allow_plain_http = true
fingerprint = "{pki.vtn_rsa.fingerprint}"
verify_signatures = true

[ven]
name = "replay-ven"
database = "{tmp_path / 'state' / 'ven.sqlite'}"
""")


def signed_by_vtn(pki: Pki, clock: ManualClock, request_id: str = "r-1") -> bytes:
    signer = Signer(pki.vtn_rsa.cert.read_bytes(), pki.vtn_rsa.key.read_bytes(), clock=clock)
    message = Response(response=EiResponse(response_code=200, request_id=request_id),
                       ven_id="ven-1")
    return encode(message, signer=signer)


async def start_ven(config: VenConfig, clock: ManualClock) -> tuple[VenClient, Store]:
    """What ``oadr-ven run`` does at start: open the state file, build the client."""
    store = await Store.open(config.database)
    client = await build_client(config, store=store, source=DeterministicSource(), clock=clock,
                                transport=NoTransport(), device_ids=())
    return client, store


async def stop_ven(client: VenClient, store: Store) -> None:
    await client.close()
    await store.close()


async def test_a_replayed_signed_message_is_refused_after_a_restart(tmp_path: Path, pki: Pki):
    clock = ManualClock(START)
    config = verifying_config(tmp_path, pki)
    body = signed_by_vtn(pki, clock)

    client, store = await start_ven(config, clock)
    try:
        assert isinstance(await client.exchange.decode(body), Response)
        with pytest.raises(ReplayDetected, match="already used"):
            await client.exchange.decode(body)  # same process
    finally:
        await stop_ven(client, store)

    clock.advance(timedelta(seconds=30))  # still inside the replay window
    client, store = await start_ven(config, clock)
    try:
        with pytest.raises(ReplayDetected, match="already used"):
            await client.exchange.decode(body)  # restarted process, same state file
        fresh = signed_by_vtn(pki, clock, "r-2")  # a new nonce is still welcome
        assert isinstance(await client.exchange.decode(fresh), Response)
    finally:
        await stop_ven(client, store)


async def test_expired_nonces_are_purged_by_the_injected_clock(tmp_path: Path, pki: Pki):
    clock = ManualClock(START)
    config = verifying_config(tmp_path, pki)
    client, store = await start_ven(config, clock)
    try:
        for n in range(3):
            await client.exchange.decode(signed_by_vtn(pki, clock, f"r-{n}"))
        clock.advance(DEFAULT_REPLAY_WINDOW + PURGE_EVERY)
        await client.exchange.decode(signed_by_vtn(pki, clock, "r-late"))
    finally:
        await stop_ven(client, store)
    with sqlite3.connect(config.database) as db:
        assert db.execute("SELECT COUNT(*) FROM nonces").fetchone() == (1,)


async def test_remember_is_atomic_and_an_expired_entry_may_be_reused(tmp_path: Path):
    clock = ManualClock(START)
    store = await Store.open(tmp_path / "ven.sqlite")
    nonces = StoredNonceStore(store, clock=clock)
    expires = START + timedelta(minutes=5)
    try:
        results = await asyncio.gather(*(nonces.remember("n-1", START, expires)
                                         for _ in range(8)))
        assert sorted(results) == [False] * 7 + [True]
        assert await nonces.remember("n-1", START, expires) is False
        long_nonce = "x" * 5000  # stored as a digest; still recognised
        assert await nonces.remember(long_nonce, START, expires) is True
        assert await nonces.remember(long_nonce, START, expires) is False
        clock.advance(timedelta(minutes=5))  # at expires_at the entry is forgotten
        later = clock.now()
        assert await nonces.remember("n-1", later, later + timedelta(minutes=5)) is True
        with pytest.raises(ValueError, match="time zone"):
            await nonces.remember("n-2", datetime(2026, 1, 1), expires)
    finally:
        await store.close()


async def test_a_state_file_from_before_the_nonces_table_gets_it_at_open(tmp_path: Path):
    file = tmp_path / "ven.sqlite"
    store = await Store.open(file)
    await store.close()
    with sqlite3.connect(file) as db:  # what a file written by the previous release looks like
        db.execute("DROP TABLE nonces")
    store = await Store.open(file)
    try:
        nonces = StoredNonceStore(store, clock=ManualClock(START))
        assert await nonces.remember("n-1", START, START + timedelta(minutes=5)) is True
    finally:
        await store.close()
