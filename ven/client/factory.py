"""Wiring a ``VenClient`` from a ``VenConfig``: TLS, signatures, transport, building devices."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

from common.clock import Clock, SystemClock
from common.security import NonceStore, Signer, Verifier, client_context
from ven.client.backoff import Sleeper, asyncio_sleeper
from ven.client.config import VenConfig
from ven.client.hooks import EventHandler
from ven.client.messaging import Exchange, MessageSecurity
from ven.client.nonces import StoredNonceStore
from ven.client.readings import ReadingSource
from ven.client.session import VenClient
from ven.client.store import Store
from ven.client.transport import HttpTransport, Transport
from ven.devices.config import load_building
from ven.devices.model import Building

__all__ = [
    "build_client",
    "build_exchange",
    "build_transport",
    "building_devices",
    "log_zone",
]


def build_transport(config: VenConfig) -> HttpTransport:
    """The aiohttp transport for `config` (TLS with the VTN fingerprint pinned, or the plain
    http the config explicitly allows)."""
    context = None
    if config.tls is not None and config.vtn_url.lower().startswith("https://"):
        context = client_context(config.tls.cert, config.tls.key, ca=config.tls.ca,
                                 check_hostname=config.tls.check_hostname)
    return HttpTransport(
        config.vtn_url,
        ssl_context=context,
        expected_fingerprint=config.vtn_fingerprint,
        allow_plain_http=config.allow_plain_http,
        timeout=config.http_timeout,
    )


def build_exchange(
    config: VenConfig, transport: Transport, clock: Clock, *, nonces: NonceStore
) -> Exchange:
    """An ``Exchange`` signing and verifying as `config` says; verified VTN messages'
    ReplayProtect nonces go to `nonces` (``build_client`` uses the VEN's state file)."""
    signer = None
    if config.sign_messages and config.tls is not None:
        signer = Signer(config.tls.cert.read_bytes(), config.tls.key.read_bytes(), clock=clock)
    verifier = None
    if config.verify_signatures:
        verifier = Verifier(clock=clock, nonce_store=nonces)
    return Exchange(transport, MessageSecurity(
        signer=signer, verifier=verifier, vtn_fingerprint=config.vtn_fingerprint))


def building_devices(config: VenConfig) -> tuple[str, ...]:
    """The resource IDs of the building's devices (empty without a building file)."""
    building = _building(config)
    return () if building is None else tuple(device.id for device in building.devices)


def _building(config: VenConfig) -> Building | None:
    if config.building_file is None:
        return None
    return load_building(config.building_file)


async def build_client(
    config: VenConfig,
    *,
    store: Store,
    source: ReadingSource,
    transport: Transport | None = None,
    clock: Clock | None = None,
    sleeper: Sleeper = asyncio_sleeper,
    handler: EventHandler | None = None,
    device_ids: Sequence[str] | None = None,
    tick: Callable[[datetime], object] | None = None,
    building: Building | None = None,
    rng: random.Random | None = None,
) -> VenClient:
    """A ready ``VenClient``; unspecified collaborators come from `config` (the building
    gives the device IDs and the time zone: `building` when the caller has parsed it already,
    else the building file's). ``tick(now)`` runs at the start of every round
    (``BuildingBrain.tick``); `rng` draws the back-off jitter and the randomised stop of a
    cancelled event (tests pass a seeded one). ``client.close()`` closes the transport.
    ReplayProtect nonces of verified VTN messages are kept in `store`, so a replay is refused
    after a restart too."""
    clock = clock or SystemClock()
    if building is None:
        building = _building(config)
    exchange = build_exchange(config, transport or build_transport(config), clock,
                              nonces=StoredNonceStore(store, clock=clock))
    return VenClient(
        config=config, store=store, exchange=exchange, source=source, clock=clock,
        sleeper=sleeper, handler=handler, tick=tick, rng=rng,
        device_ids=(() if building is None else tuple(d.id for d in building.devices))
        if device_ids is None else device_ids,
        zone=log_zone(config, building),
    )


def log_zone(config: VenConfig, building: Building | None) -> tzinfo:
    """The zone of event and report times in the log: UTC unless ``[log] zone = "building"``
    (and there is a building)."""
    if config.log_zone == "building" and building is not None:
        return ZoneInfo(building.timezone)
    return UTC
