"""The energy manager plans from what the MQTT devices measure (zone and tank temperatures,
battery state of charge) and falls back to the planning model per device, logged once, when a
reading is missing or stale: through the real Mosquitto broker, and at the gateway seam."""

from __future__ import annotations

import logging
import socket
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiomqtt
import pytest

from common.clock import ManualClock
from tests.support.waiting import until
from ven.brain import BuildingBrain
from ven.brain.energyloop import EnergyManager, plan_lines
from ven.devices.mqtt import MqttGateway
from ven.devices.mqttcodec import Telemetry, Topics, encode_telemetry
from ven.devices.mqttconfig import MqttSettings
from ven.energy.config import parse_energy_table

ROOT = Path(__file__).resolve().parents[2]
HOME = ROOT / "examples" / "buildings" / "home.toml"
START = datetime(2026, 7, 15, 17, 0, tzinfo=UTC)
BROKER = ("127.0.0.1", 1883)
STALE = timedelta(minutes=2)


def _broker_up() -> bool:
    with socket.socket() as probe:
        probe.settimeout(1.0)
        return probe.connect_ex(BROKER) == 0


def _manager(prefix: str) -> tuple[EnergyManager, MqttGateway, ManualClock]:
    clock = ManualClock(START)
    brain = BuildingBrain.simulated(HOME, clock, history_days=1)
    gateway = MqttGateway(brain.building, MqttSettings(prefix=prefix, stale_after=STALE),
                          clock)
    brain.gateway = gateway
    config = parse_energy_table({"strategy": "economic", "horizon_h": 6},
                                timezone=brain.building.timezone)
    return EnergyManager(brain, config, clock), gateway, clock


def _reading(device: str, at: datetime, **values: float) -> Telemetry:
    return Telemetry(device_id=device, ts=at, power_kw=1.0, **values)  # type: ignore[arg-type]


def _fallbacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.levelno == logging.WARNING and "comes from the planning model" in r.getMessage()]


@pytest.mark.mqtt
@pytest.mark.skipif(not _broker_up(), reason="the Mosquitto broker on 127.0.0.1:1883 is "
                                             "not reachable")
async def test_the_plan_starts_from_the_states_the_devices_report_over_mqtt(
        caplog: pytest.LogCaptureFixture) -> None:
    prefix = f"test-{uuid.uuid4().hex[:10]}"
    manager, gateway, clock = _manager(prefix)
    topics = Topics(prefix)
    model = manager.brain.meter.simulation.state()
    gateway.start()
    try:
        assert await until(gateway.connected.is_set, 20.0), "no connection to the broker"
        async with aiomqtt.Client(*BROKER) as devices:  # the building's devices
            for reading in (_reading("ac", START, temperature_c=27.25),
                            _reading("battery", START, soc=0.9)):
                await devices.publish(topics.telemetry(reading.device_id),
                                      encode_telemetry(reading), qos=1)
        assert await until(lambda: {"ac", "battery"} <= set(gateway.statuses), 20.0)
        with caplog.at_level(logging.INFO, logger="ven.energy"):
            inputs = manager.prepare(clock.now())
            devices_now = inputs.state.devices
            assert devices_now["ac"].temperature_c == 27.25  # measured, not the model's
            assert devices_now["battery"].soc == 0.9
            # the water heater says nothing: the model's tank temperature, logged once
            assert devices_now["water-heater"].temperature_c == pytest.approx(
                model["water-heater"].temperature_c, abs=0.5)
            assert inputs.state_sources == {"ac": "measured", "battery": "measured",
                                            "water-heater": "model (no telemetry yet)"}
            schedule = manager.step()
            assert schedule is not None and schedule.optimal
            first = schedule.as_json()["intervals"][0]
            # the first interval's end: one 15-min step from 0.9 (from the model's 0.6 it
            # could reach 0.7 at most)
            assert 0.75 < first["battery.soc"] <= 1.0
            manager.step()
            assert len(_fallbacks(caplog)) == 1 and "water-heater" in _fallbacks(caplog)[0]
            summary = manager.summary()
            assert summary is not None and summary["state"]["ac"] == "measured"
            assert "2 device(s) measured; water-heater from the model (no telemetry yet)" in (
                "\n".join(plan_lines(summary)))
            caplog.clear()
            clock.advance(STALE + timedelta(minutes=1))  # ac and battery go quiet: stale
            inputs = manager.prepare(clock.now())
            assert inputs.state_sources["ac"].startswith("model (offline: telemetry")
            assert inputs.state.devices["battery"].soc != 0.9
            assert sorted(m.split()[3] for m in _fallbacks(caplog)) == ["ac's", "battery's"]
            async with aiomqtt.Client(*BROKER) as devices:  # the ac reports again
                await devices.publish(topics.telemetry("ac"), encode_telemetry(
                    _reading("ac", clock.now(), temperature_c=26.0)), qos=1)
            assert await until(lambda: gateway.statuses["ac"].temperature_c == 26.0, 20.0)
            caplog.clear()
            inputs = manager.prepare(clock.now())
            assert inputs.state.devices["ac"].temperature_c == 26.0
            assert any("ac's state is measured again" in r.getMessage()
                       for r in caplog.records)
            assert not _fallbacks(caplog)  # the battery's fallback is not logged again
    finally:
        await gateway.close()


def test_a_reading_without_the_value_falls_back_at_the_gateway_seam(
        caplog: pytest.LogCaptureFixture) -> None:
    manager, gateway, clock = _manager("seam")
    gateway.receive("seam/ac/telemetry", encode_telemetry(_reading("ac", START)))  # no temp
    gateway.receive("seam/water-heater/telemetry", encode_telemetry(
        _reading("water-heater", START, temperature_c=55.0)))
    with caplog.at_level(logging.WARNING, logger="ven.energy"):
        inputs = manager.prepare(clock.now())
    assert inputs.state_sources["ac"] == "model (its telemetry has no temperature_c)"
    assert inputs.state.devices["water-heater"].temperature_c == 55.0
    assert inputs.state_sources["battery"] == "model (no telemetry yet)"
    assert len(_fallbacks(caplog)) == 2


def test_a_simulated_building_is_its_own_measurement() -> None:
    clock = ManualClock(START)
    brain = BuildingBrain.simulated(HOME, clock, history_days=1)
    manager = EnergyManager(brain, parse_energy_table({"horizon_h": 6},
                                                      timezone=brain.building.timezone), clock)
    inputs = manager.prepare(clock.now())
    assert inputs.state_sources == {}
    assert inputs.state.devices["battery"].soc == brain.meter.simulation.state()["battery"].soc
