"""A building simulator on MQTT: the in-process simulation's physics as a separate process.

    python -m ven.devices.mqttsim --building examples/buildings/office.toml \\
        --broker mqtt://127.0.0.1:1883 [--prefix oadr] [--seed 0] [--interval 1]

Every `interval` seconds of wall time it steps a ``SimulatedBuilding`` (the same devices,
thermostats, weather and seed as the VEN's embedded simulation) up to now and publishes, retained
at QoS 1, each device's telemetry and the whole building's meter (``ven.devices.mqttcodec``),
and for each circuit with a ``meter`` hint in the building file that circuit's meter on
``<prefix>/<meter>/telemetry`` (the sum of its devices' power). It
obeys the commands on ``<prefix>/<device>/command`` and echoes each command's id in the device's
telemetry. A JSON ``{"override": true}`` on ``<prefix>/<device>/override`` stands for a person
overriding DR at the device: it returns to normal operation, reports ``"override": true`` and
ignores commands until ``{"override": false}``. Its last will: ``<prefix>/sim/status`` =
"offline" (retained).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

import aiomqtt

from common.clock import Clock, ClockSettings, clock_from
from common.errors import ConfigError
from ven.devices.commands import Release, UnsupportedCommand
from ven.devices.mqttcodec import (
    PayloadError,
    Telemetry,
    Topics,
    decode_command,
    encode_telemetry,
)
from ven.devices.mqttconfig import broker_address
from ven.devices.simulated import SimulatedBuilding

__all__ = ["BuildingOnMqtt", "main"]

log = logging.getLogger("ven.devices.mqttsim")


class BuildingOnMqtt:
    """One simulated building publishing on a broker (see the module docstring)."""

    def __init__(self, simulation: SimulatedBuilding, topics: Topics, *, meter: str = "meter"
                 ) -> None:
        self.simulation = simulation
        self.topics = topics
        self.meter = meter
        self._ids = {dev.id for dev in simulation.building.devices}
        self._energy = dict.fromkeys(self._ids, 0.0)
        self._meter_kwh = 0.0
        building = simulation.building
        self._circuits = {c.meter: [d.id for d in building.devices if d.circuit == c.id]
                          for c in building.circuits if c.meter is not None}
        self._circuit_kwh = dict.fromkeys(self._circuits, 0.0)
        self._command_id: dict[str, str] = {}
        self._controlled: set[str] = set()
        self._override: set[str] = set()

    def handle(self, topic: str, payload: bytes) -> None:
        """Obey one command or override message (bad ones are logged and ignored)."""
        device = self.topics.device_of(topic)
        if device not in self._ids:
            return
        if topic == self.topics.override(device):
            try:
                on = json.loads(payload).get("override") is True
            except (ValueError, AttributeError):
                log.warning("Override for %s ignored: not a JSON object", device)
                return
            if on:
                self._override.add(device)
                self._controlled.discard(device)
                self.simulation.apply([Release(device_id=device)])
                log.info("Device %s: manual override (normal operation, commands ignored)",
                         device)
            else:
                self._override.discard(device)
                log.info("Device %s: override ended", device)
            return
        try:
            message = decode_command(payload)
        except PayloadError as exc:
            log.warning("Command for %s ignored: %s", device, exc)
            return
        if device in self._override:
            log.info("Device %s: command %s ignored (manual override)", device,
                     message.command_id)
            return
        try:
            self.simulation.apply([message.command])
        except UnsupportedCommand as exc:
            log.warning("Command %s refused: %s", message.command_id, exc)
            return
        self._command_id[device] = message.command_id
        if isinstance(message.command, Release):
            self._controlled.discard(device)
        else:
            self._controlled.add(device)
        log.info("Device %s: %s (command %s)", device, message.command, message.command_id)

    def step(self) -> list[tuple[str, bytes]]:
        """Simulate up to now; the telemetry messages (topic, payload) to publish."""
        m = self.simulation.step()
        hours = (m.end - m.start) / timedelta(hours=1)
        states = self.simulation.state()
        out = []
        for dev_id, kw in m.device_kw.items():
            self._energy[dev_id] += kw * hours
            state = states[dev_id]
            mode = ("override" if dev_id in self._override
                    else "controlled" if dev_id in self._controlled else "normal")
            out.append((self.topics.telemetry(dev_id), encode_telemetry(Telemetry(
                device_id=dev_id, ts=m.end, power_kw=kw, energy_kwh=self._energy[dev_id],
                state=mode, override=dev_id in self._override,
                command_id=self._command_id.get(dev_id), temperature_c=state.temperature_c,
                soc=state.soc))))
        self._meter_kwh += m.total_kw * hours
        out.append((self.topics.telemetry(self.meter), encode_telemetry(Telemetry(
            device_id=self.meter, ts=m.end, power_kw=m.total_kw, energy_kwh=self._meter_kwh))))
        for meter, ids in self._circuits.items():  # each circuit meter: its devices' sum
            kw = sum(float(m.device_kw.get(i, 0.0)) for i in ids)
            self._circuit_kwh[meter] += kw * hours
            out.append((self.topics.telemetry(meter), encode_telemetry(Telemetry(
                device_id=meter, ts=m.end, power_kw=kw, energy_kwh=self._circuit_kwh[meter]))))
        return out


async def serve(args: argparse.Namespace, stop: asyncio.Event) -> None:
    """Run the simulator until `stop`, reconnecting to the broker with back-off."""
    clock = _clock(args)
    simulation = SimulatedBuilding.from_file(args.building, clock, seed=args.seed)
    topics = Topics(args.prefix)
    building = BuildingOnMqtt(simulation, topics, meter=args.meter)
    host, port, secure = broker_address(args.broker)
    log.info("Simulating %s (%d devices) on %s under %s/, a step every %.1f s",
             simulation.building.id, len(simulation.building.devices), args.broker, args.prefix,
             args.interval)
    status = f"{args.prefix}/sim/status"
    delay = 0.5
    while not stop.is_set():
        try:
            async with aiomqtt.Client(
                    host, port, username=args.username, password=args.password,
                    identifier=f"oadr-sim-{uuid.uuid4().hex[:8]}",
                    will=aiomqtt.Will(status, b"offline", qos=1, retain=True),
                    tls_params=aiomqtt.TLSParameters() if secure else None) as client:
                await client.publish(status, b"online", qos=1, retain=True)
                await client.subscribe(topics.all_commands, qos=1)
                await client.subscribe(topics.all_overrides, qos=1)
                log.info("Connected to %s", args.broker)
                delay = 0.5

                async def listen(client: aiomqtt.Client = client) -> None:
                    async for message in client.messages:
                        raw = message.payload
                        building.handle(message.topic.value,
                                        raw.encode() if isinstance(raw, str) else bytes(raw or b""))

                listener = asyncio.create_task(listen())
                try:
                    while not stop.is_set():
                        if listener.done():
                            listener.result()
                        for topic, payload in building.step():
                            await client.publish(topic, payload, qos=1, retain=True)
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(stop.wait(), args.interval)
                    await client.publish(status, b"offline", qos=1, retain=True)
                finally:
                    listener.cancel()
                    with contextlib.suppress(asyncio.CancelledError, aiomqtt.MqttError):
                        await listener
        except aiomqtt.MqttError as exc:
            log.warning("Broker %s: %s; reconnecting in %.1f s", args.broker, exc, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            delay = min(delay * 2, 30.0)
    log.info("Simulator stopped")


def _clock(args: argparse.Namespace) -> Clock:
    """The wall clock, or the simulated time of --speed/--sim-start/--wall-start."""
    return clock_from(ClockSettings(speed=args.speed, start=args.sim_start,
                                    wall_start=args.wall_start))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m ven.devices.mqttsim",
                                description=__doc__.split("\n\n", 1)[0] if __doc__ else None)
    p.add_argument("--building", type=Path, required=True, help="the building file (TOML)")
    p.add_argument("--broker", default="mqtt://127.0.0.1:1883",
                   help="mqtt://host:port or mqtts://host:port (default %(default)s)")
    p.add_argument("--prefix", default="oadr", help="topic prefix (default %(default)s)")
    p.add_argument("--meter", default="meter", help="name of the building meter's topic "
                   "(<prefix>/<meter>/telemetry, default %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="simulation seed (default %(default)s)")
    p.add_argument("--interval", type=float, default=1.0,
                   help="seconds between steps and telemetry (default %(default)s)")
    p.add_argument("--speed", type=float, default=1.0,
                   help="simulated time: this many times faster than the wall clock, reading "
                        "--sim-start at --wall-start (the VEN's [clock] speed, start, "
                        "wall_start; default 1: the wall clock)")
    p.add_argument("--sim-start", type=datetime.fromisoformat, default=None,
                   help="simulated time at --wall-start (ISO 8601 with its offset)")
    p.add_argument("--wall-start", type=datetime.fromisoformat, default=None,
                   help="wall time at which simulated time reads --sim-start (ISO 8601)")
    p.add_argument("--username", default=None)
    p.add_argument("--password", default=None)
    p.add_argument("--log-level", default="INFO")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.interval <= 0:
        parser().error("--interval must be positive")
    try:
        _clock(args)
    except ConfigError as exc:
        parser().error(str(exc))
    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await serve(args, stop)

    asyncio.run(run())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
