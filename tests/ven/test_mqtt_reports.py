"""What a VEN with MQTT devices reports and does, on an injected clock (no broker: telemetry is
fed to ``MqttGateway.receive``): the meters are the truth for the building and each circuit,
TELEMETRY_STATUS has a point per device saying offline or overridden, a device that does not
follow a command is opted out with its resource ID, a stale device gets no command and is
planned without, and the telemetry store keeps what the devices said."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from common.clock import ManualClock
from common.messages.report import RegisterReport, ResourceStatus
from common.xml import decode, encode
from tests.support.processes import ROOT
from ven.brain import BuildingBrain
from ven.client.config import ReportPoints
from ven.client.readings import NotYetMeasured, PointKind
from ven.client.reports import metadata_reports
from ven.client.telemetry import BUILDING_METER, TelemetryStore
from ven.devices.capacity import shed_capacity
from ven.devices.commands import Release
from ven.devices.mqtt import MqttGateway
from ven.devices.mqttcodec import CommandMessage, Telemetry, decode_command, encode_telemetry
from ven.devices.mqttconfig import MqttSettings
from ven.instructions import EventSignal, SignalInterval
from ven.measurements import METER_GRACE, BuildingReadings, part_points
from ven.telemetry import TelemetryRecorder

OFFICE = ROOT / "examples" / "buildings" / "office.toml"
START = datetime(2026, 7, 15, 21, 0, 7, tzinfo=UTC)  # 14:00:07 PDT, office hours
SETTINGS = MqttSettings(prefix="p", stale_after=timedelta(seconds=30),
                        command_timeout=timedelta(seconds=20), meter="meter",
                        circuit_meters=True)
STEP = timedelta(seconds=5)


class _Site:
    """A brain driving the office through an ``MqttGateway`` fed by hand."""

    def __init__(self) -> None:
        self.clock = ManualClock(START - timedelta(hours=1))
        self.brain = BuildingBrain.simulated(OFFICE, self.clock, seed=3)
        self.gateway = MqttGateway(self.brain.building, SETTINGS, self.clock)
        self.brain.gateway = self.gateway
        self.clock.advance(START - self.clock.now())
        self.points = part_points(self.brain.building, ReportPoints(), SETTINGS)
        self.readings = BuildingReadings(self.brain, self.points)
        self.followed: dict[str, str] = {}  # device -> id of the last command it carried out
        self.overrides: list[tuple[str, str]] = []
        self.brain.on_override = lambda event, device: self.overrides.append((event, device))

    def telemetry(self, name: str, kw: float, **extra: object) -> None:
        self.gateway.receive(f"p/{name}/telemetry", encode_telemetry(Telemetry(
            device_id=name, ts=self.clock.now(), power_kw=kw, **extra)))  # type: ignore[arg-type]

    def report(self, *, silent: tuple[str, ...] = (), lazy: tuple[str, ...] = (),
               override: tuple[str, ...] = (), kw: float = 2.0, meter_kw: float = 100.0,
               circuit_kw: float = 10.0) -> None:
        """Every device but the `silent` ones reports `kw`, echoing the last command it was
        sent unless it is `lazy`; the building and circuit meters report too."""
        for dev in self.brain.building.devices:
            if dev.id in silent:
                continue
            self.telemetry(dev.id, kw, override=dev.id in override,
                           command_id=None if dev.id in lazy else self.followed.get(dev.id))
        self.telemetry("meter", meter_kw)
        for circuit in self.brain.building.circuits:
            if circuit.meter is not None:
                self.telemetry(circuit.meter, circuit_kw)

    def sent(self) -> list[CommandMessage]:
        """The commands published since the last call (each one is 'carried out')."""
        out = []
        while not self.gateway._outbox.empty():
            _, payload = self.gateway._outbox.get_nowait()
            message = decode_command(payload)
            self.followed[message.command.device_id] = message.command_id
            out.append(message)
        return out

    def advance(self, **report: object) -> None:
        self.clock.advance(STEP)
        self.report(**report)  # type: ignore[arg-type]
        self.brain.tick()


def _event(site: _Site, minutes: int = 30) -> None:
    signal = EventSignal(name="SIMPLE", type="level", intervals=(
        SignalInterval(START, timedelta(minutes=minutes), 3.0),))
    assert site.brain.plan("e1", 0, [signal]) is not None


def test_the_metadata_has_a_status_point_per_device_and_a_usage_point_per_metered_circuit(
) -> None:
    site = _Site()
    building = site.brain.building
    metadata = decode(encode(RegisterReport(request_id="r1", ven_id="v1",
                                            reports=metadata_reports(site.points, START))))
    assert isinstance(metadata, RegisterReport)
    sources = {r.report_specifier_id: {d.r_id: d.report_data_source for d in
                                       r.report_descriptions} for r in metadata.reports}
    status = sources["TELEMETRY_STATUS"]
    assert status.pop("status") is None  # the building's point first, as before
    assert {s.resource_ids for s in status.values() if s} == {(d.id,) for d in building.devices}
    assert len(status) == len(building.devices)
    usage = sources["TELEMETRY_USAGE"]
    assert next(iter(usage)) == "usage" and usage.pop("usage") is None
    metered = {c.id for c in building.circuits if c.meter is not None}
    assert metered and {s.resource_ids for s in usage.values() if s} == {(c,) for c in metered}
    # the embedded simulation (no [mqtt]) offers the building's points only
    assert part_points(building, ReportPoints(), None) == ReportPoints()
    with pytest.raises(ValueError, match="rename"):
        part_points(building, ReportPoints(usage=f"status-{building.devices[0].id}"), SETTINGS)


async def test_status_points_say_which_device_is_offline_or_overridden() -> None:
    site = _Site()
    devices = [d.id for d in site.brain.building.devices]
    gone, overridden, fine = devices[0], devices[1], devices[2]
    site.report()
    for _ in range(7):  # 35 s: `gone` is silent for longer than stale_after (30 s)
        site.advance(silent=(gone,), override=(overridden,))
    now = site.clock.now()

    async def status(device: str) -> ResourceStatus:
        found = await site.readings.read(PointKind.STATUS, f"status-{device}", now, now + STEP,
                                         STEP)
        value = found[0].value
        assert isinstance(value, ResourceStatus)
        return value

    assert await status(gone) == ResourceStatus(online=False, manual_override=False)
    assert await status(overridden) == ResourceStatus(online=True, manual_override=True)
    assert await status(fine) == ResourceStatus(online=True, manual_override=False)
    building = (await site.readings.read(PointKind.STATUS, "status", now, now + STEP, STEP))[0]
    assert isinstance(building.value, ResourceStatus)
    assert not building.value.online and building.value.manual_override


async def test_usage_comes_from_the_building_and_circuit_meters_not_the_model() -> None:
    site = _Site()
    site.report(meter_kw=100.0, circuit_kw=10.0)
    first = site.clock.now()
    for kw in (110.0, 120.0, 130.0):
        site.advance(meter_kw=kw, circuit_kw=kw / 10)
    window = (first, first + 3 * STEP)

    async def usage(r_id: str) -> list[float]:
        found = await site.readings.read(PointKind.USAGE, r_id, *window, STEP)
        return [float(r.value) for r in found]  # type: ignore[arg-type]

    assert await usage("usage") == [100.0, 110.0, 120.0]
    assert await usage("usage-hvac") == [10.0, 11.0, 12.0]
    assert "usage-plug-loads" not in {p.r_id for p in site.points.usage_parts}  # no meter
    # an interval over by the clock but not yet completed by its meter waits for it...
    later = (site.clock.now(), site.clock.now() + STEP)
    site.clock.advance(STEP)
    with pytest.raises(NotYetMeasured):
        await site.readings.read(PointKind.USAGE, "usage", *later, STEP)
    with pytest.raises(NotYetMeasured):
        await site.readings.read(PointKind.USAGE, "usage-hvac", *later, STEP)
    # ... and is left out once the meter stays silent past the grace
    site.clock.advance(METER_GRACE)
    assert await site.readings.read(PointKind.USAGE, "usage", *later, STEP) == []


async def test_the_outcome_and_the_capacity_use_the_meters() -> None:
    site = _Site()
    site.report()
    _event(site)
    site.sent()
    for _ in range(3):
        site.advance(meter_kw=77.0, circuit_kw=7.0)
    plan = site.brain.latest("e1")
    assert plan is not None
    assert site.brain.measured_kw(START + STEP, START + 3 * STEP) == 77.0  # not the model's
    assert math.isnan(site.brain.outcome(plan).table["measured_kw"].iloc[0])  # not over yet
    site.gateway.metered_kw = lambda start, end: 66.0  # type: ignore[method-assign]
    outcome = site.brain.outcome(plan)
    assert (outcome.table["measured_kw"] == 66.0).all()  # the meter's, interval by interval
    building = site.brain.building
    metered = {c.id: 7.0 for c in building.circuits if c.meter is not None}
    entries = shed_capacity(building, {}, site.clock.now(), circuit_kw=metered)
    for entry in entries:
        if entry.circuit_id in metered:
            assert entry.metered and entry.current_kw == 7.0
            assert entry.as_json()["metered"] is True
        else:
            assert not entry.metered and entry.current_kw == 0.0


def test_a_command_not_followed_in_time_opts_the_device_out_of_the_event() -> None:
    site = _Site()
    site.report()
    site.brain.tick()
    _event(site)
    commanded = [m.command.device_id for m in site.sent() if not isinstance(m.command, Release)]
    assert commanded, "the event's plan commands some device"
    lazy = commanded[0]
    site.advance(lazy=(lazy,))
    assert not site.overrides  # within command_timeout (20 s)
    for _ in range(4):  # 25 s after the command: past the timeout
        site.advance(lazy=(lazy,))
    assert site.overrides == [("e1", lazy)]  # oadrCreateOpt optOut with its resource ID
    again = site.sent()  # the re-plan without it, in the same step: the device is released
    assert again and not any(m.command.device_id == lazy and not isinstance(m.command, Release)
                             for m in again)
    assert any(m.command.device_id == lazy and isinstance(m.command, Release) for m in again)
    status = site.gateway.device_status(site.clock.now())[lazy]
    assert not status.override and status.online  # no longer commanded: nothing to follow


def test_a_stale_device_is_planned_without_and_sent_nothing() -> None:
    site = _Site()
    silent = site.brain.building.devices[0].id
    site.report()
    for _ in range(7):  # 35 s > stale_after
        site.advance(silent=(silent,))
    assert silent in site.brain.released_devices()
    _event(site)
    sent = site.sent()
    assert sent and silent not in {m.command.device_id for m in sent}  # not into the void
    assert not site.overrides  # offline is not an override: nothing to opt out


async def test_the_recorder_keeps_what_the_devices_and_the_meter_said(tmp_path: Path) -> None:
    site = _Site()  # 21:00:07
    telemetry = await TelemetryStore.open(tmp_path / "ven.sqlite")
    recorder = TelemetryRecorder(site.brain, telemetry, site.clock)
    minute = timedelta(minutes=1)
    at = START.replace(second=0)  # 21:00

    async def building() -> list[tuple[datetime, float]]:
        await recorder.flush()
        return [(s.time, s.value) for s in await telemetry.samples(
            device_id=BUILDING_METER, quantity="power")]

    try:
        site.report(kw=3.25, meter_kw=90.0)
        for kw in (91.0, 92.0):
            site.advance(kw=3.25, meter_kw=kw)
        site.clock.advance(minute)  # 21:01:17: the model has stepped 21:00-21:01
        site.report(kw=3.5, meter_kw=93.0)
        recorder.tick(site.clock.now())
        assert await building() == [(at, 91.0)]  # the meter's mean of the minute
        device = site.brain.building.devices[0].id
        assert [(s.time, s.value) for s in await telemetry.samples(device_id=device)] == [
            (site.clock.now(), 3.5)]  # what the device said, when it said it
        site.clock.advance(minute)  # 21:02:17, no reading since 21:01:17: 21:01-21:02 waits
        recorder.tick(site.clock.now())
        assert await building() == [(at, 91.0)]
        site.clock.advance(STEP)
        site.report(meter_kw=95.0)  # 21:02:22 completes 21:01-21:02
        site.clock.advance(minute)
        site.report(meter_kw=96.0)  # 21:03:22 completes 21:02-21:03
        recorder.tick(site.clock.now())
        assert await building() == [(at, 91.0), (at + minute, 93.0), (at + 2 * minute, 95.0)]
    finally:
        await telemetry.close()


_API_CONFIG = """
[vtn]
url = "http://127.0.0.1:9/OpenADR2/Simple/2.0b"
allow_plain_http = true
[ven]
name = "mqtt-api-ven"
database = "ven.sqlite"
[api]
port = 8090
"""


async def test_the_capacity_api_lists_what_the_devices_and_circuit_meters_say(
        tmp_path: Path) -> None:
    from aiohttp.test_utils import TestClient, TestServer

    from ven.api.auth import ensure_token
    from ven.api.context import ApiContext
    from ven.api.server import api_app
    from ven.client.config import parse_config
    from ven.client.store import Store

    site = _Site()
    site.report(kw=1.5, circuit_kw=8.0)
    config = parse_config(_API_CONFIG, base=tmp_path)
    store = await Store.open(config.database)
    telemetry = await TelemetryStore.open(config.database)
    ctx = ApiContext(config=config, store=store, telemetry=telemetry, clock=site.clock,
                     brain=site.brain)
    token = ensure_token(config.api_token_file)
    try:
        async with TestClient(TestServer(api_app(ctx, token=token))) as client:
            answer = await client.get("/api/v1/capacity",
                                      headers={"Authorization": f"Bearer {token}"})
            assert answer.status == 200, await answer.text()
            circuits = (await answer.json())["circuits"]
    finally:
        await telemetry.close()
        await store.close()
    metered = {c.id for c in site.brain.building.circuits if c.meter is not None}
    for circuit in circuits:
        assert all(d["current_kw"] == 1.5 for d in circuit["devices"])  # their telemetry
        if circuit["circuit_id"] in metered:
            assert circuit["metered"] and circuit["current_kw"] == 8.0  # its meter
        else:
            assert not circuit["metered"]
            assert circuit["current_kw"] == pytest.approx(1.5 * len(circuit["devices"]))
    assert any(c["metered"] for c in circuits)
