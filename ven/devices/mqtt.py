"""``MqttGateway``: the building's devices on an MQTT broker (a ``DeviceGateway``).

Topics and payloads are ``ven.devices.mqttcodec``'s. The gateway keeps one connection
(``aiomqtt``) with a last will (``<prefix>/ven/status`` = "offline", retained; "online" once
connected), reconnects with exponential back-off, subscribes to every telemetry topic under the
prefix (QoS 1) and publishes commands (QoS 1, not retained: a command is for now). What it hears:

- a device whose last telemetry is older than ``stale_after`` (by the injected clock), or that
  never reported, is offline: commands to it are dropped (and logged), the brain leaves it out;
- a device reporting ``"override": true``, or not echoing a command's id within
  ``command_timeout``, is overridden: the brain releases it from the plan;
- the meter's telemetry (``[mqtt] meter``) is the building's metered load [kW];
- with ``[mqtt] circuit_meters = true``, each circuit's meter (its building-file ``meter``
  hint, at ``<prefix>/<meter>/telemetry``) is that circuit's metered load
  (``metered_circuit_kw``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import uuid
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime

import aiomqtt

from common.clock import Clock
from ven.devices.commands import DeviceCommand, Release
from ven.devices.gateway import DeviceStatus
from ven.devices.model import Building
from ven.devices.mqttcodec import (
    CommandMessage,
    PayloadError,
    Telemetry,
    Topics,
    decode_telemetry,
    encode_command,
)
from ven.devices.mqttconfig import MqttSettings, broker_address

__all__ = ["MqttGateway"]

log = logging.getLogger("ven.devices.mqtt")

_BACKOFF_INITIAL_S = 0.5  # first wait before reconnecting [s]
_BACKOFF_MAX_S = 30.0  # longest wait between reconnection attempts [s]
_METER_SAMPLES = 200_000  # meter readings kept for reports (days at a few seconds each) [-]


class MqttGateway:
    """The devices of `building` over MQTT; ``start()`` connects (and keeps reconnecting),
    ``close()`` says "offline" and disconnects. ``send`` and ``device_status`` never block."""

    def __init__(self, building: Building, settings: MqttSettings, clock: Clock) -> None:
        self.building = building
        self.settings = settings
        self.topics = Topics(settings.prefix)
        self._clock = clock
        self._ids = {dev.id for dev in building.devices}
        self._last: dict[str, Telemetry] = {}
        self._seen: dict[str, datetime] = {}
        self._pending: dict[str, tuple[str, datetime]] = {}  # device -> (command id, sent)
        self._meter: deque[tuple[datetime, float]] = deque(maxlen=_METER_SAMPLES)
        self._circuit_topics = {self.topics.telemetry(c.meter): c.id for c in building.circuits
                                if c.meter is not None and settings.circuit_meters}
        self._circuit_meter: dict[str, deque[tuple[datetime, float]]] = {
            ident: deque(maxlen=_METER_SAMPLES) for ident in self._circuit_topics.values()}
        self._outbox: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
        self._announced: dict[str, tuple[bool, bool]] = {}
        self._announced_at: datetime | None = None  # the latest moment announced
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()
        self.connections = 0  # successful connections so far (1 + reconnections) [-]

    def __repr__(self) -> str:
        return (f"MqttGateway({self.building.id!r}, url={self.settings.url!r}, "
                f"prefix={self.settings.prefix!r})")

    # ---- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Connect in the background (a task kept on the gateway)."""
        if self._task is None:
            self._stop.clear()
            self._task = asyncio.create_task(self._run(), name="mqtt-gateway")

    async def close(self) -> None:
        """Publish "offline", disconnect and stop reconnecting."""
        self._stop.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        delay = _BACKOFF_INITIAL_S
        while not self._stop.is_set():
            try:
                await self._session()
                delay = _BACKOFF_INITIAL_S
            except aiomqtt.MqttError as exc:
                self.connected.clear()
                log.warning("MQTT broker %s: %s; reconnecting in %.1f s", self.settings.url, exc,
                            delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), delay)
                delay = min(delay * 2, _BACKOFF_MAX_S)

    def _client(self) -> aiomqtt.Client:
        host, port, secure = broker_address(self.settings.url)
        tls = self.settings.tls
        context = tls.context() if tls is not None else (
            ssl.create_default_context() if secure else None)
        return aiomqtt.Client(
            host, port, username=self.settings.username, password=self.settings.password,
            identifier=self.settings.client_id or f"oadr-ven-{uuid.uuid4().hex[:8]}",
            will=aiomqtt.Will(self.topics.ven_status, b"offline", qos=1, retain=True),
            tls_context=context, keepalive=self.settings.keepalive, timeout=10.0)

    async def _session(self) -> None:
        async with self._client() as client:
            await client.publish(self.topics.ven_status, b"online", qos=1, retain=True)
            await client.subscribe(self.topics.all_telemetry, qos=1)
            for topic in self._circuit_topics:  # those the wildcard does not cover
                if self.topics.device_of(topic) is None:
                    await client.subscribe(topic, qos=1)
            self.connections += 1
            self.connected.set()
            log.info("MQTT connected to %s (prefix %s, %d device(s))", self.settings.url,
                     self.settings.prefix, len(self._ids))
            reader = asyncio.create_task(self._read(client), name="mqtt-read")
            writer = asyncio.create_task(self._write(client), name="mqtt-write")
            stop = asyncio.create_task(self._stop.wait(), name="mqtt-stop")
            tasks: set[asyncio.Task[object]] = {reader, writer, stop}
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            failed = [t.exception() for t in (reader, writer) if t.done() and not t.cancelled()]
            stopped = stop.done()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for exc in failed:
                if exc is not None:
                    raise exc
            if stopped:
                await client.publish(self.topics.ven_status, b"offline", qos=1, retain=True)
                log.info("MQTT disconnecting from %s", self.settings.url)
        self.connected.clear()

    async def _read(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            self.receive(message.topic.value, bytes(message.payload or b"")
                         if not isinstance(message.payload, str)
                         else message.payload.encode())

    async def _write(self, client: aiomqtt.Client) -> None:
        while True:
            topic, payload = await self._outbox.get()
            await client.publish(topic, payload, qos=1)

    # ---- what the devices say -------------------------------------------------------------------

    def receive(self, topic: str, payload: bytes) -> None:
        """Take in one telemetry message (also usable without a broker, in tests)."""
        circuit = self._circuit_topics.get(topic)
        if circuit is not None:
            try:
                reading = decode_telemetry(circuit, payload)
            except PayloadError as exc:
                log.warning("MQTT meter telemetry of circuit %s ignored: %s", circuit, exc)
                return
            self._circuit_meter[circuit].append((reading.ts, reading.power_kw))
            return
        name = self.topics.device_of(topic)
        if name is None or not topic.endswith("/telemetry"):
            return
        if name not in self._ids and name != self.settings.meter:
            return
        try:
            telemetry = decode_telemetry(name, payload)
        except PayloadError as exc:
            log.warning("MQTT telemetry of %s ignored: %s", name, exc)
            return
        # a retained message may be old: it counts from its own time stamp, never the future
        seen = min(telemetry.ts, self._clock.now())
        if name == self.settings.meter:
            self._meter.append((telemetry.ts, telemetry.power_kw))
            self._seen[name] = seen
            return
        self._last[name] = telemetry
        self._seen[name] = seen
        pending = self._pending.get(name)
        if pending is not None and telemetry.command_id == pending[0]:
            del self._pending[name]

    def device_status(self, now: datetime) -> dict[str, DeviceStatus]:
        """See ``DeviceGateway.device_status``; logs each device going offline/overridden (a
        look at a moment before the latest one looked at, for a report, logs nothing)."""
        out = {}
        announce = self._announced_at is None or now >= self._announced_at
        if announce:
            self._announced_at = now
        for dev in self.building.devices:
            status = self._status(dev.id, now)
            out[dev.id] = status
            if not announce:
                continue
            key = (status.online, status.override)
            if self._announced.get(dev.id, (True, False)) != key:
                if not status.available:
                    log.warning("Device %s is released: %s", dev.id, status.reason)
                else:
                    log.info("Device %s is back (online, no override)", dev.id)
            self._announced[dev.id] = key
        return out

    def _status(self, device_id: str, now: datetime) -> DeviceStatus:
        seen = self._seen.get(device_id)
        last = self._last.get(device_id)
        stale = self.settings.stale_after
        if seen is None or last is None:
            return DeviceStatus(device_id=device_id, online=False, reason="no telemetry yet")
        base = DeviceStatus(device_id=device_id, power_kw=last.power_kw, seen=seen,
                            temperature_c=last.temperature_c, soc=last.soc)
        if now - seen > stale or not last.online:
            age = (now - seen).total_seconds()
            return replace(base, online=False, reason=f"offline: telemetry {age:.0f} s old "
                           f"(stale after {stale.total_seconds():.0f} s)")
        if last.override:
            return replace(base, override=True, reason="manual override at the device")
        pending = self._pending.get(device_id)
        if pending is not None and now - pending[1] > self.settings.command_timeout:
            return replace(base, override=True, reason=f"command {pending[0]} not followed "
                           f"within {self.settings.command_timeout.total_seconds():.0f} s")
        return base

    def metered_kw(self, start: datetime, end: datetime) -> float | None:
        """See ``DeviceGateway.metered_kw``: the mean of the meter's readings stamped in
        [start, end) [kW]; None without a configured meter; NaN when it said nothing, or has
        not yet said anything stamped at or after `end` (the window is not complete)."""
        if self.settings.meter is None:
            return None
        return _mean(self._meter, start, end)

    def metered_circuit_kw(self, circuit_id: str, start: datetime, end: datetime
                           ) -> float | None:
        """The mean of circuit `circuit_id`'s meter readings stamped in [start, end) [kW];
        None when that circuit is not metered (no ``meter`` hint, or ``[mqtt] circuit_meters``
        off); NaN as for ``metered_kw``."""
        readings = self._circuit_meter.get(circuit_id)
        return None if readings is None else _mean(readings, start, end)

    def circuit_kw_now(self, circuit_id: str, now: datetime) -> float | None:
        """Circuit `circuit_id`'s latest meter reading [kW] when it is fresh at `now` (not
        older than ``stale_after``), else None (not metered, never heard, or stale)."""
        readings = self._circuit_meter.get(circuit_id)
        if not readings:
            return None
        ts, kw = readings[-1]
        return kw if now - min(ts, now) <= self.settings.stale_after else None

    @property
    def metered_circuits(self) -> tuple[str, ...]:
        """The circuits with a meter the gateway listens to."""
        return tuple(self._circuit_meter)

    # ---- commands -------------------------------------------------------------------------------

    def send(self, commands: Sequence[DeviceCommand]) -> None:
        """Queue commands for publishing; those to offline devices are dropped (logged)."""
        now = self._clock.now()
        for command in commands:
            status = self._status(command.device_id, now)
            if not status.online:
                log.info("Command to %s not sent: %s", command.device_id, status.reason)
                continue
            ident = uuid.uuid4().hex[:12]
            message = CommandMessage(command_id=ident, ts=now, command=command)
            if isinstance(command, Release):
                self._pending.pop(command.device_id, None)
            else:
                self._pending[command.device_id] = (ident, now)
            self._outbox.put_nowait((self.topics.command(command.device_id),
                                     encode_command(message)))

    def device_power(self) -> dict[str, tuple[datetime, float]]:
        """Each device's latest reported power by id: (its time stamp, [kW])."""
        return {d: (t.ts, t.power_kw) for d, t in self._last.items()}

    @property
    def statuses(self) -> Mapping[str, Telemetry]:
        """The last telemetry of every device heard so far, by id."""
        return dict(self._last)



def _mean(readings: deque[tuple[datetime, float]], start: datetime, end: datetime) -> float:
    """The mean of `readings` stamped in [start, end) [kW]; NaN when there are none, or none
    yet stamped at or after `end` (the window is not complete)."""
    if not readings or readings[-1][0] < end:
        return float("nan")
    values = [kw for ts, kw in readings if start <= ts < end]
    return sum(values) / len(values) if values else float("nan")
