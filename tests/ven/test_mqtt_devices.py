"""The MQTT device adapter against the real Mosquitto broker and the MQTT building simulator
(a separate process): commands round trip, stale devices go offline, an override releases a
device, and the adapter reconnects after its connection drops."""

from __future__ import annotations

import asyncio
import json
import math
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiomqtt
import pytest

from common.clock import ManualClock, SystemClock
from tests.support.processes import ROOT
from tests.support.waiting import until
from ven.brain import BuildingBrain
from ven.client.readings import PointKind
from ven.devices.commands import DeviceCommand, Release, Switch
from ven.devices.config import load_building
from ven.devices.gateway import DeviceStatus
from ven.devices.model import Building
from ven.devices.mqtt import MqttGateway
from ven.devices.mqttcodec import (
    CommandMessage,
    Telemetry,
    Topics,
    decode_command,
    decode_telemetry,
    encode_command,
    encode_telemetry,
)
from ven.devices.mqttconfig import MqttSettings
from ven.instructions import EventSignal, SignalInterval
from ven.measurements import BuildingReadings

BROKER = ("127.0.0.1", 1883)
OFFICE = ROOT / "examples" / "buildings" / "office.toml"
WAIT_S = 20.0  # bound of every wait for the broker or the simulator [s]


def _broker_up() -> bool:
    with socket.socket() as probe:
        probe.settimeout(1.0)
        return probe.connect_ex(BROKER) == 0


needs_broker = pytest.mark.skipif(
    not _broker_up(), reason="the Mosquitto broker on 127.0.0.1:1883 is not reachable")


# ---- payloads (no broker) -------------------------------------------------------------------


def test_command_and_telemetry_payloads_round_trip_with_units() -> None:
    now = datetime(2026, 7, 15, 21, 0, tzinfo=UTC)
    raw = encode_command(CommandMessage(command_id="c1", ts=now,
                                        command=Switch(device_id="fan", on=False)))
    assert json.loads(raw)["command"] == "switch"
    back = decode_command(raw)
    assert back.command == Switch(device_id="fan", on=False) and back.ts == now
    t = Telemetry(device_id="rtu", ts=now, power_kw=12.5, energy_kwh=3.0, temperature_c=23.1)
    data = json.loads(encode_telemetry(t))
    assert data["units"] == {"power_kw": "kW", "energy_kwh": "kWh", "temperature_c": "°C"}
    assert decode_telemetry("rtu", encode_telemetry(t)) == t
    assert Topics("b/1").device_of("b/1/rtu/telemetry") == "rtu"


def test_password_stays_out_of_repr() -> None:
    assert "hunter2" not in repr(MqttSettings(password="hunter2"))


def test_stale_telemetry_makes_a_device_offline_on_the_injected_clock() -> None:
    building = load_building(OFFICE)
    start = datetime(2026, 7, 15, 21, 0, tzinfo=UTC)
    clock = ManualClock(start)
    gateway = MqttGateway(building, MqttSettings(prefix="t", stale_after=timedelta(seconds=10),
                                                 command_timeout=timedelta(seconds=5)), clock)
    dev = building.devices[0].id
    assert not gateway.device_status(clock.now())[dev].online  # never heard
    gateway.receive(f"t/{dev}/telemetry", encode_telemetry(
        Telemetry(device_id=dev, ts=start, power_kw=1.0)))
    assert gateway.device_status(clock.now())[dev].available
    gateway.send([Switch(device_id=dev, on=False)])
    clock.advance(timedelta(seconds=6))  # the command is not followed in time
    assert gateway.device_status(clock.now())[dev].override
    clock.advance(timedelta(seconds=5))
    status = gateway.device_status(clock.now())[dev]
    assert not status.online and "stale" in status.reason


class _Devices:
    """A ``DeviceGateway`` whose devices are all online and never overridden; it keeps what it
    is sent, and its meter reads `meter_kw` [kW]."""

    def __init__(self, building: Building, meter_kw: float | None = None) -> None:
        self.building = building
        self.meter_kw = meter_kw
        self.sent: list[DeviceCommand] = []

    def send(self, commands: Sequence[DeviceCommand]) -> None:
        self.sent.extend(commands)

    def device_status(self, now: datetime) -> dict[str, DeviceStatus]:
        return {d.id: DeviceStatus(device_id=d.id, seen=now) for d in self.building.devices}

    def metered_kw(self, start: datetime, end: datetime) -> float | None:
        return self.meter_kw


MID_MINUTE = datetime(2026, 7, 15, 21, 0, 37, tzinfo=UTC)  # 14:00:37 PDT, office hours


def _brain_on_devices(meter_kw: float | None = None) -> tuple[BuildingBrain, _Devices,
                                                               ManualClock]:
    clock = ManualClock(MID_MINUTE - timedelta(hours=1))
    brain = BuildingBrain.simulated(OFFICE, clock, seed=3)
    devices = _Devices(brain.building, meter_kw)
    brain.gateway = devices
    clock.advance(MID_MINUTE - clock.now())
    brain.tick()
    return brain, devices, clock


def test_the_devices_get_their_commands_when_the_event_is_planned_not_a_step_later() -> None:
    brain, devices, clock = _brain_on_devices()
    signal = EventSignal(name="SIMPLE", type="level", intervals=(
        SignalInterval(MID_MINUTE, timedelta(minutes=30), 3.0),))
    assert brain.meter.time < MID_MINUTE  # the model has not stepped into the event yet
    assert brain.plan("e1", 0, [signal]) is not None
    shed = [c for c in devices.sent if not isinstance(c, Release)]
    assert shed, "no command went out when the plan was made"
    sent = len(devices.sent)
    clock.advance(timedelta(seconds=20))
    brain.tick()
    assert len(devices.sent) == sent  # the same interval: nothing sent again
    brain.drop("e1", "dropped")
    released = devices.sent[sent:]
    assert {c.device_id for c in released if isinstance(c, Release)} == {
        d.id for d in brain.building.devices}


def test_an_event_starting_later_is_sent_at_the_first_tick_after_its_start() -> None:
    brain, devices, clock = _brain_on_devices()
    later = MID_MINUTE + timedelta(seconds=50)
    signal = EventSignal(name="SIMPLE", type="level", intervals=(
        SignalInterval(later, timedelta(minutes=30), 3.0),))
    brain.plan("e2", 0, [signal])
    assert not devices.sent
    clock.advance(timedelta(seconds=51))  # the model steps at 21:01, the event starts 21:01:27
    brain.tick()
    assert any(not isinstance(c, Release) for c in devices.sent)


async def test_a_real_meter_reports_every_interval_over_not_only_whole_model_steps() -> None:
    brain, _, _ = _brain_on_devices(meter_kw=42.0)
    readings = await BuildingReadings(brain).read(
        PointKind.USAGE, "usage", MID_MINUTE - timedelta(seconds=37), MID_MINUTE,
        timedelta(seconds=10))
    assert brain.meter.time < MID_MINUTE - timedelta(seconds=30)
    assert [r.value for r in readings] == [42.0, 42.0, 42.0]  # the 4th ends after now


# ---- against the broker and the simulator process -------------------------------------------


@pytest.fixture
def prefix() -> str:
    return f"test-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def simulator(prefix: str, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    log = (tmp_path / "sim.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "ven.devices.mqttsim", "--building", str(OFFICE), "--prefix",
         prefix, "--interval", "0.2"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, start_new_session=True)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()


@pytest.fixture
async def gateway(prefix: str) -> AsyncIterator[MqttGateway]:
    settings = MqttSettings(prefix=prefix, stale_after=timedelta(seconds=3),
                            command_timeout=timedelta(seconds=5), meter="meter")
    gw = MqttGateway(load_building(OFFICE), settings, SystemClock())
    gw.start()
    try:
        yield gw
    finally:
        await gw.close()


def _online(gw: MqttGateway) -> bool:
    return all(s.online for s in gw.device_status(datetime.now(UTC)).values())


@pytest.mark.mqtt
@needs_broker
@pytest.mark.usefixtures("simulator")
async def test_command_round_trip_through_the_simulator(gateway: MqttGateway) -> None:
    assert await until(lambda: _online(gateway), WAIT_S), "the simulated devices never reported"
    device = "rtu-north"
    gateway.send([Switch(device_id=device, on=False)])
    assert await until(lambda: gateway.statuses[device].state == "controlled", WAIT_S)
    assert gateway.statuses[device].power_kw == 0.0
    assert not gateway.device_status(datetime.now(UTC))[device].override  # followed in time

    def metered_lately() -> bool:  # a complete window of the meter's readings, just behind now
        now = datetime.now(UTC)
        metered = gateway.metered_kw(now - timedelta(seconds=5), now - timedelta(seconds=1))
        return metered is not None and metered > 0  # NaN (window not complete yet) is not > 0

    assert await until(metered_lately, WAIT_S), "the meter's readings never covered a window"
    gateway.send([Release(device_id=device)])
    assert await until(lambda: gateway.statuses[device].state == "normal", WAIT_S)


@pytest.mark.mqtt
@needs_broker
async def test_killing_the_simulator_makes_its_devices_offline(
        gateway: MqttGateway, simulator: subprocess.Popen[bytes]) -> None:
    assert await until(lambda: _online(gateway), WAIT_S)
    simulator.kill()
    simulator.wait()
    offline = lambda: not any(  # noqa: E731
        s.online for s in gateway.device_status(datetime.now(UTC)).values())
    assert await until(offline, WAIT_S)
    status = gateway.device_status(datetime.now(UTC))["rtu-north"]
    assert "stale" in status.reason
    gateway.send([Switch(device_id="rtu-north", on=False)])  # not sent into the void
    assert gateway._outbox.empty()


@pytest.mark.mqtt
@needs_broker
@pytest.mark.usefixtures("simulator")
async def test_a_manual_override_releases_the_device(gateway: MqttGateway, prefix: str) -> None:
    assert await until(lambda: _online(gateway), WAIT_S)
    async with aiomqtt.Client(*BROKER) as person:
        await person.publish(Topics(prefix).override("rtu-south"),
                             json.dumps({"override": True}), qos=1)
    overridden = lambda: gateway.device_status(datetime.now(UTC))["rtu-south"].override  # noqa: E731
    assert await until(overridden, WAIT_S)
    status = gateway.device_status(datetime.now(UTC))["rtu-south"]
    assert not status.available and status.online and "manual override" in status.reason


class _Proxy:
    """A TCP proxy in front of the broker whose connections a test can cut."""

    def __init__(self) -> None:
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*BROKER)
        self._writers += [writer, up_writer]

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    def cut(self) -> None:
        for writer in self._writers:
            writer.transport.abort()
        self._writers.clear()

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()


@pytest.mark.mqtt
@needs_broker
@pytest.mark.usefixtures("simulator")
async def test_the_gateway_reconnects_after_the_connection_drops(prefix: str) -> None:
    proxy = _Proxy()
    await proxy.start()
    settings = MqttSettings(url=f"mqtt://127.0.0.1:{proxy.port}", prefix=prefix,
                            stale_after=timedelta(seconds=5))
    gw = MqttGateway(load_building(OFFICE), settings, SystemClock())
    gw.start()
    try:
        assert await until(lambda: gw.connections == 1 and _online(gw), WAIT_S)
        proxy.cut()
        assert await until(lambda: gw.connections == 2, WAIT_S), "no reconnection"
        gw.send([Switch(device_id="rtu-east", on=False)])
        assert await until(lambda: gw.statuses["rtu-east"].state == "controlled", WAIT_S)
    finally:
        await gw.close()
        await proxy.stop()


@pytest.mark.mqtt
@needs_broker
async def test_the_last_will_tells_the_building_when_the_ven_is_gone(prefix: str) -> None:
    """``<prefix>/ven/status``: "online" once connected, "offline" from the broker (the last
    will) when the connection drops, "online" again after reconnecting, "offline" on close."""
    heard: list[str] = []
    topic = Topics(prefix).ven_status
    proxy = _Proxy()
    await proxy.start()
    settings = MqttSettings(url=f"mqtt://127.0.0.1:{proxy.port}", prefix=prefix)
    gw = MqttGateway(load_building(OFFICE), settings, SystemClock())
    async with aiomqtt.Client(*BROKER) as building:
        await building.subscribe(topic, qos=1)

        async def listen() -> None:
            async for message in building.messages:
                heard.append(bytes(message.payload).decode())  # type: ignore[arg-type]

        listener = asyncio.create_task(listen())
        try:
            gw.start()
            assert await until(lambda: heard == ["online"], WAIT_S), heard
            proxy.cut()  # no DISCONNECT: the broker publishes the will
            assert await until(lambda: heard[:3] == ["online", "offline", "online"], WAIT_S), \
                heard
            await gw.close()
            assert await until(lambda: heard[-1:] == ["offline"] and len(heard) == 4, WAIT_S), \
                heard
        finally:
            listener.cancel()
            await gw.close()
            await proxy.stop()
            await building.publish(topic, b"", qos=1, retain=True)  # clear the retained status


def test_circuit_meters_are_read_only_when_configured() -> None:
    building = load_building(OFFICE)
    off = MqttGateway(building, MqttSettings(prefix="p"), SystemClock())
    assert off.metered_circuit_kw("hvac", MID_MINUTE, MID_MINUTE) is None
    assert not off.metered_circuits
    on = MqttGateway(building, MqttSettings(prefix="p", circuit_meters=True), SystemClock())
    assert set(on.metered_circuits) == {c.id for c in building.circuits if c.meter}
    assert on.metered_circuit_kw("plug-loads", MID_MINUTE, MID_MINUTE) is None  # no meter hint
    hvac = next(c for c in building.circuits if c.id == "hvac")
    assert hvac.meter is not None
    for minute, kw in ((0, 10.0), (1, 20.0), (2, 99.0)):
        on.receive(f"p/{hvac.meter}/telemetry", encode_telemetry(Telemetry(
            device_id=hvac.meter, ts=MID_MINUTE + timedelta(minutes=minute), power_kw=kw)))
    assert on.metered_circuit_kw("hvac", MID_MINUTE, MID_MINUTE + timedelta(minutes=2)) == 15.0
    later = on.metered_circuit_kw("hvac", MID_MINUTE, MID_MINUTE + timedelta(minutes=5))
    assert later is not None and math.isnan(later)  # no reading at or after the end yet


@pytest.mark.mqtt
@needs_broker
@pytest.mark.usefixtures("simulator")
async def test_each_circuit_meter_is_the_sum_of_its_devices(prefix: str) -> None:
    building = load_building(OFFICE)
    metered = {c.id: [d.id for d in building.devices if d.circuit == c.id]
               for c in building.circuits if c.meter is not None}
    assert any(metered.values()), "the example building meters circuits with devices"
    settings = MqttSettings(prefix=prefix, stale_after=timedelta(seconds=3), meter="meter",
                            circuit_meters=True)
    gw = MqttGateway(building, settings, SystemClock())
    heard: dict[datetime, dict[str, float]] = {}  # time stamp -> device/circuit -> kW
    topics = {gw.topics.telemetry(c.meter): c.id for c in building.circuits if c.meter}
    receive = gw.receive

    def spy(topic: str, payload: bytes) -> None:
        name = topics.get(topic) or gw.topics.device_of(topic)
        if name is not None and topic.endswith("/telemetry"):
            reading = decode_telemetry(name, payload)
            heard.setdefault(reading.ts, {})[name] = reading.power_kw
        receive(topic, payload)

    gw.receive = spy  # type: ignore[method-assign]
    gw.start()
    try:
        def complete() -> list[datetime]:
            needed = {*metered, *(i for ids in metered.values() for i in ids)}
            return [ts for ts, seen in heard.items() if needed <= set(seen)]

        assert await until(lambda: len(complete()) >= 2, WAIT_S), "no complete circuit readings"
        for ts in complete():
            for circuit, ids in metered.items():
                assert heard[ts][circuit] == pytest.approx(sum(heard[ts][i] for i in ids),
                                                           abs=1e-6), (ts, circuit)
        first = min(complete())
        for circuit, ids in metered.items():
            window = gw.metered_circuit_kw(circuit, first, first + timedelta(microseconds=1))
            assert window == pytest.approx(sum(heard[first][i] for i in ids), abs=1e-6)
    finally:
        await gw.close()
