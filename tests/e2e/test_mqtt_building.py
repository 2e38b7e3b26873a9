"""The whole loop for real: our VTN, the VEN (``python -m ven run`` with ``[mqtt]``) and the
MQTT building simulator as separate processes through the Mosquitto broker.

One event, in order: it is planned and its first commands reach the simulated devices over MQTT
at once; the usage the VEN reports to the VTN is the MQTT meters' (the mean of the meter
telemetry this test hears on the broker, interval by interval, not the VEN's model): the
whole-building meter for the building's usage point, each circuit's meter for that circuit's
point (its resource ID in reportDataSource); a manual override published on one device's
override topic opts that device out of the event (the VTN holds an optOut from the VEN with the
device's resource ID); killing the simulator marks its devices offline, and the VTN gets a
TELEMETRY_STATUS reading per device saying so (oadrOnline false on each device's point).
Reports every 10 s (``[reports]`` on both sides) keep it short; waits poll for conditions with a
deadline.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest

from common.xml.lexical import read_duration
from tests.support.network import free_port
from tests.support.processes import ROOT
from tests.support.served_vtn import ServedVtn, served_vtn
from ven.devices.config import load_building

OFFICE = ROOT / "examples" / "buildings" / "office.toml"
DEADLINE_S = 45.0  # bound of each wait [s]
REPORT_S = 10  # report granularity and period, VTN and VEN [s]


def _broker_up() -> bool:
    with socket.socket() as probe:
        probe.settimeout(1.0)
        return probe.connect_ex(("127.0.0.1", 1883)) == 0


pytestmark = [pytest.mark.mqtt, pytest.mark.skipif(
    not _broker_up(), reason="the Mosquitto broker on 127.0.0.1:1883 is not reachable")]


@contextmanager
def _process(args: list[str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TZ": "UTC"}
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        try:
            yield process
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


class _Meter:
    """Listens to meter telemetry on the broker (the building's and the circuits'), as the VEN
    does; samples are kept by topic, the first topic being the building meter's."""

    def __init__(self, *topics: str) -> None:
        self.samples: dict[str, list[tuple[datetime, float]]] = {t: [] for t in topics}
        self._building = topics[0]
        self._lock = threading.Lock()
        self._client = paho.Client(paho.CallbackAPIVersion.VERSION2,
                                   client_id=f"e2e-meter-{uuid.uuid4().hex[:8]}")
        self._client.on_connect = lambda c, *_: c.subscribe([(t, 1) for t in topics])
        self._client.on_message = self._message

    def _message(self, client: paho.Client, userdata: object, message: paho.MQTTMessage
                 ) -> None:
        data = json.loads(message.payload)
        with self._lock:
            self.samples[message.topic].append((datetime.fromisoformat(data["ts"]),
                                                float(data["power_kw"])))

    def mean_kw(self, start: datetime, end: datetime, topic: str | None = None) -> float | None:
        """Mean of the samples of `topic` (default: the building meter) stamped in [start, end)
        [kW]; None when there are none."""
        with self._lock:
            values = [kw for ts, kw in self.samples[topic or self._building] if start <= ts < end]
        return sum(values) / len(values) if values else None

    def publish(self, topic: str, payload: dict[str, Any]) -> None:
        self._client.publish(topic, json.dumps(payload), qos=1).wait_for_publish(10)

    def __enter__(self) -> _Meter:
        self._client.connect("127.0.0.1", 1883)
        self._client.loop_start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.disconnect()
        self._client.loop_stop()


def _admin(vtn: ServedVtn, path: str) -> Any:
    request = urllib.request.Request(f"{vtn.admin_url}/admin/api/v1{path}", headers={
        "Authorization": f"Bearer {vtn.token_file.read_text().strip()}"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)


def _wait(condition: Callable[[], object], what: str, logs: tuple[Path, ...] = (),
          limit: float = DEADLINE_S) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            tails = "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in logs)
            pytest.fail(f"timed out waiting for {what}\n{tails}")
        time.sleep(0.3)


def test_an_event_drives_the_mqtt_building(tmp_path: Path) -> None:
    prefix = f"e2e-{uuid.uuid4().hex[:10]}"
    reports = f"[reports]\ngranularity = {REPORT_S}\nback_duration = {REPORT_S}\n"
    building = load_building(OFFICE)
    circuit_topics = {c.id: f"{prefix}/{c.meter}/telemetry" for c in building.circuits
                      if c.meter is not None}
    assert circuit_topics, "the office has metered circuits"
    with served_vtn(tmp_path, tables=reports) as vtn, \
            _Meter(f"{prefix}/meter/telemetry", *circuit_topics.values()) as meter:
        ven_toml = tmp_path / "ven.toml"
        ven_toml.write_text(f"""\
[vtn]
url = "{vtn.url}"
allow_plain_http = true
[ven]
name = "office-mqtt"
database = "{tmp_path / 'ven.sqlite'}"
building = "{OFFICE}"
poll_interval_s = 1
[reports]
min_sampling_s = {REPORT_S}
[mqtt]
url = "mqtt://127.0.0.1:1883"
prefix = "{prefix}"
stale_after = 3
command_timeout = 20
meter = "meter"
circuit_meters = true
[api]
port = {free_port()}
""")
        sim_log, ven_log, vtn_log = tmp_path / "sim.log", tmp_path / "ven.log", tmp_path / "vtn.log"
        logs = (ven_log, sim_log, vtn_log)
        with _process(["-m", "ven.devices.mqttsim", "--building", str(OFFICE), "--prefix",
                       prefix, "--interval", "0.5"], sim_log) as simulator, \
                _process(["-m", "ven", "run", "--config", str(ven_toml)], ven_log):
            _wait(lambda: "registered" in ven_log.read_text().lower(), "the VEN to register",
                  logs)
            ven_id = _admin(vtn, "/vens")["vens"][0]["ven_id"]
            event_made = datetime.now().astimezone()  # the VEN hears its meter by now
            created = subprocess.run(
                [sys.executable, "-m", "vtn", "event", "create", "--url", vtn.admin_url,
                 "--token-file", str(vtn.token_file), "--all", "--level", "3", "--start", "now",
                 "--duration", "10m", "--json"], cwd=ROOT, check=True, capture_output=True,
                env={**os.environ, "PYTHONPATH": str(ROOT)})
            event_id = json.loads(created.stdout)["event_id"]

            # planned, and the first commands reach the devices over MQTT at once
            _wait(lambda: re.search(rf"Event {event_id}.*planned", ven_log.read_text(),
                                    re.IGNORECASE), "the VEN to plan the event", logs)
            commanded = re.compile(r"Device (\S+): (?!Release)\w+\(.*\(command \w+\)")
            _wait(lambda: commanded.search(sim_log.read_text()),
                  "a command to reach a simulated device over MQTT", logs, 15.0)
            match = commanded.search(sim_log.read_text())
            assert match is not None
            device = match.group(1)

            # the VEN offers a usage point per metered circuit and a status point per device
            offered = {c["report_name"]: {d["r_id"]: d["resource_id"] for d in c["data_points"]}
                       for c in _admin(vtn, f"/reports/capabilities?ven_id={ven_id}")[
                           "capabilities"]}
            circuit_rids = {rid: res for rid, res in offered["METADATA_TELEMETRY_USAGE"].items()
                            if res is not None}
            assert set(circuit_rids.values()) == set(circuit_topics)
            device_rids = {rid: res for rid, res in offered["METADATA_TELEMETRY_STATUS"].items()
                           if res is not None}
            assert set(device_rids.values()) == {d.id for d in building.devices}

            def metered() -> list[tuple[dict[str, Any], float]]:
                found = _admin(vtn, f"/reports/readings?ven_id={ven_id}")["readings"]
                out = []
                for reading in found:
                    if reading["report_type"] != "usage":
                        continue
                    start = datetime.fromisoformat(reading["start"])
                    if start < event_made:
                        continue
                    circuit = circuit_rids.get(reading["r_id"])
                    mean = meter.mean_kw(start, start + read_duration(reading["duration"]),
                                         None if circuit is None else circuit_topics[circuit])
                    if mean is not None:
                        out.append((reading, mean))
                return out

            # the usage reported to the VTN is the MQTT meters' (building and circuits)
            def every_meter_reported() -> bool:
                seen = {r["r_id"] for r, _ in metered()}
                return seen >= {*circuit_rids, "usage"}

            _wait(every_meter_reported, "usage readings of every MQTT meter at the VTN", logs)
            for reading, mean in metered():
                kw = reading["value"] * {"k": 1.0, "none": 1e-3, "M": 1e3}[reading["scale"]]
                assert kw == pytest.approx(mean, rel=1e-3, abs=1e-3), reading

            # the running VEN's shed capacity: each metered circuit's current kW is its meter's
            listed = subprocess.run(
                [sys.executable, "-m", "ven", "capacity", "--config", str(ven_toml), "--json",
                 "--essential"], cwd=ROOT, check=True, capture_output=True,
                env={**os.environ, "PYTHONPATH": str(ROOT)})
            circuits = {c["circuit_id"]: c for c in json.loads(listed.stdout)["circuits"]}
            assert {i for i, c in circuits.items() if c["metered"]} == set(circuit_topics)
            for ident, topic in circuit_topics.items():  # one of its meter's latest readings
                recent = {round(kw, 3) for _, kw in meter.samples[topic][-40:]}
                assert circuits[ident]["current_kw"] in recent, (ident, recent)

            # a manual override at one device opts that device out of the event
            meter.publish(f"{prefix}/{device}/override", {"override": True})

            def opted_out() -> bool:
                opts = _admin(vtn, f"/opts?ven_id={ven_id}&event_id={event_id}")["opts"]
                return any(o["opt_type"] == "optOut" and device in o["resource_ids"]
                           for o in opts)

            _wait(opted_out, f"an optOut of {device} at the VTN", logs)
            assert re.search(rf"Device {device} reports a manual override", ven_log.read_text())

            # killing the simulator: its devices go offline, and the VTN is told
            since = datetime.now().astimezone()
            simulator.kill()
            simulator.wait()
            _wait(lambda: "is released: offline" in ven_log.read_text(),
                  "the VEN to see the devices offline", logs, 15.0)

            def offline_reported() -> set[str]:
                """The devices whose status point said offline after the kill."""
                found = _admin(vtn, f"/reports/readings?ven_id={ven_id}")["readings"]
                return {device_rids[r["r_id"]] for r in found
                        if r["r_id"] in device_rids and r["value"] == 0.0
                        and datetime.fromisoformat(r["start"]) > since}

            _wait(lambda: offline_reported() == set(device_rids.values()),
                  "TELEMETRY_STATUS oadrOnline false on every device's point at the VTN", logs)
            online_before = {device_rids[r["r_id"]] for r in _admin(
                vtn, f"/reports/readings?ven_id={ven_id}")["readings"]
                if r["r_id"] in device_rids and r["value"] == 1.0
                and datetime.fromisoformat(r["start"]) < since - timedelta(seconds=REPORT_S)}
            assert online_before == set(device_rids.values())  # they were online before
