"""The demo scenario in the suite, without real time: our VTN in process and the three example
buildings as VEN clients (brain, meter, reports) on one ManualClock. A short event for two of
the three; the stored performance rows must show a reduction for those that opted in, zero
requested for the one the event was not for, and match a recomputation from the readings.

The real-process version (separate VTN and VEN processes, real time) is ``make demo``
(``examples/demo.py``); its helpers that need no processes are tested here too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from common.clock import ManualClock
from common.messages.enums import SignalName, SignalType
from ven.brain import BuildingBrain
from ven.brain.planning import plan_step
from ven.client import Store as VenStore
from ven.client import build_client
from ven.client.config import parse_config
from ven.instructions import EventSignal
from ven.instructions import SignalInterval as VenInterval
from ven.measurements import BuildingReadings
from vtn.app import create_app
from vtn.config import AdminSettings, PollSettings, ReportSettings, VtnConfig
from vtn.domain import EventRequest, EventTargets, Signal, SignalInterval
from vtn.performance import Participation, compute
from vtn.storage import ReadingQuery, Store, open_store

BUILDINGS = Path(__file__).resolve().parents[2] / "examples" / "buildings"
NOW = datetime(2026, 7, 15, 20, 0, tzinfo=UTC)  # 13:00 in California, 22:00 in Berlin
POLL = timedelta(seconds=10)
MINUTE = timedelta(minutes=1)


@dataclass
class Building:
    name: str
    brain: BuildingBrain
    client: object
    store: VenStore


@dataclass
class World:
    vtn_store: Store
    clock: ManualClock
    buildings: list[Building]

    async def step(self, until: datetime) -> None:
        """Advance the shared clock in poll steps; every VEN takes one round per step."""
        while self.clock.now() < until:
            self.clock.advance(POLL)
            for b in self.buildings:
                await b.client.step()


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    clock = ManualClock(NOW)
    config = VtnConfig(vtn_id="DEMO-VTN", plain_http=True, polls=PollSettings(frequency=POLL),
                       database_url=f"sqlite+aiosqlite:///{tmp_path / 'vtn.sqlite'}",
                       admin=AdminSettings(token_file=tmp_path / "admin-token"),
                       reports=ReportSettings(granularity=MINUTE, back_duration=MINUTE))
    store = await open_store(config.database_url, clock=clock)
    server = TestServer(create_app(config, store, clock=clock))
    await server.start_server()
    url = f"http://127.0.0.1:{server.port}/OpenADR2/Simple/2.0b"
    buildings = []

    async def sleeper(seconds: float) -> None:
        clock.advance(seconds)

    try:
        for name in ("office", "hotel", "home"):
            brain = BuildingBrain.simulated(BUILDINGS / f"{name}.toml", clock, seed=3,
                                            history_days=21)
            ven_config = parse_config(f"""
[vtn]
url = "{url}"
allow_plain_http = true

[ven]
name = "{name}"
database = "{tmp_path / f'{name}.sqlite'}"
building = "{BUILDINGS / f'{name}.toml'}"
poll_interval_s = {POLL.total_seconds()}
""")
            readings = BuildingReadings(brain)
            ven_config = replace(ven_config, reports=replace(
                ven_config.reports, baseline_method=readings.baseline_method))
            ven_store = await VenStore.open(ven_config.database)
            client = await build_client(ven_config, store=ven_store, source=readings, clock=clock,
                                        sleeper=sleeper, handler=brain, tick=brain.tick)
            await client.start()
            buildings.append(Building(name, brain, client, ven_store))
        yield World(store, clock, buildings)
    finally:
        for b in buildings:
            await b.client.close()
            await b.store.close()
        await server.close()
        await store.close()


def short_event(ven_ids: tuple[str, ...], start: datetime) -> EventRequest:
    """SIMPLE level 2 for 2 minutes in two 1-minute intervals."""
    return EventRequest(
        targets=EventTargets(ven_ids=ven_ids), market_context="http://demo.test/dr",
        signals=(Signal(signal_name=SignalName.SIMPLE, signal_type=SignalType.LEVEL,
                        signal_id="simple", intervals=(
                            SignalInterval(duration=MINUTE, value=2.0),
                            SignalInterval(duration=MINUTE, value=2.0))),),
        start=start, duration=2 * MINUTE)


async def test_short_event_two_of_three_buildings_performance_rows(world: World):
    vens = {v.ven_name: v.ven_id for v in await world.vtn_store.vens.list()}
    assert sorted(vens) == ["home", "hotel", "office"]
    start = NOW + 2 * MINUTE
    targeted = ("office", "hotel")
    event = await world.vtn_store.events.create(
        short_event(tuple(vens[n] for n in targeted), start))
    # the VENs hear of it at their next poll, opt in, plan and act; reports every minute
    await world.step(start + 2 * MINUTE + 3 * MINUTE)

    rows = {p.ven_id: p for p in await world.vtn_store.performance.for_event(event.event_id)}
    assert set(rows) == set(vens.values())  # every VEN reported in the window
    for name, ven_id in vens.items():
        row = rows[ven_id]
        assert row.data_points == 2, (name, row)
        assert row.baseline_confidence is not None and row.baseline_method == "caiso-10-in-10"
        if name in targeted:
            assert row.participation is Participation.OPTED_IN
            assert row.requested_kw > 0
            assert row.reduction_kw > 0, (name, row)
            assert row.delivered_kwh > 0
        else:
            assert row.participation is Participation.NOT_TARGETED
            assert row.requested_kw == 0 and row.requested_kwh == 0
        # the row is what the stored readings give
        readings = await world.vtn_store.reports.readings(ReadingQuery(ven_id=ven_id))
        again = compute(event, ven_id, readings, participation=row.participation,
                        now=row.computed_at)
        assert again == row


def test_short_event_intervals_are_planned_minute_by_minute():
    t = NOW
    minute = [EventSignal(name="SIMPLE", type="level", intervals=(
        VenInterval(t, MINUTE, 2.0), VenInterval(t + MINUTE, MINUTE, 2.0)))]
    assert plan_step(minute) == MINUTE
    hour = [EventSignal(name="SIMPLE", type="level", intervals=(
        VenInterval(t, timedelta(hours=1), 2.0),))]
    assert plan_step(hour) == timedelta(minutes=15)
    seconds = [EventSignal(name="SIMPLE", type="level", intervals=(
        VenInterval(t, timedelta(seconds=20), 1.0),))]
    assert plan_step(seconds) == MINUTE  # never below the meter's step


# ---- make demo's helpers (the processes themselves run in `make demo` only) ---------------------


def test_demo_configurations_are_valid(tmp_path: Path):
    from examples.demo import ven_toml, vtn_toml
    from vtn.config import load_config

    (tmp_path / "vtn.toml").write_text(vtn_toml(tmp_path, 8000, 8001))
    config = load_config(tmp_path / "vtn.toml")
    assert (config.port, config.plain_http) == (8000, True)
    assert config.polls.frequency == timedelta(seconds=2)
    assert config.database_url.endswith(str(tmp_path / "vtn.sqlite"))
    ven = parse_config(ven_toml(tmp_path, "hotel", "http://127.0.0.1:8000/OpenADR2/Simple/2.0b"))
    assert ven.ven_name == "hotel" and ven.building_file == BUILDINGS / "hotel.toml"
    with_api = parse_config(ven_toml(tmp_path, "hotel", "http://127.0.0.1:8000/OpenADR2/Simple/"
                                     "2.0b", api_port=8002))
    assert with_api.api.port == 8002 and with_api.api.host == "127.0.0.1"
    assert with_api.api_token_file == tmp_path / "ven" / "hotel-api-token"


def test_demo_table_and_chart_from_performance_json(tmp_path: Path):
    from examples.demo import performance_text, write_chart

    def row(ven_id: str, participation: str, requested: float, actual: float) -> dict:
        return {"event_id": "ev", "ven_id": ven_id, "participation": participation,
                "start": "2026-07-15T20:02:00Z", "end": "2026-07-15T20:04:00Z",
                "requested_kw": requested, "baseline_kw": 100.0, "target_kw": 100 - requested,
                "actual_kw": actual, "reduction_kw": 100 - actual,
                "delivered_pct": None if not requested else 100 * (100 - actual) / requested,
                "delivered_kwh": (100 - actual) / 30, "data_points": 2,
                "baseline_method": "caiso-10-in-10", "baseline_confidence": 90,
                "intervals": [{"start": f"2026-07-15T20:0{m}:00Z", "duration": "PT1M",
                               "target_kw": 100 - requested} for m in (2, 3)]}

    performance = {"event_id": "ev", "performance": [row("v1", "opted-in", 20, 75),
                                                     row("v2", "not-targeted", 0, 101)]}
    names = {"v1": "hotel", "v2": "office"}
    text = performance_text(performance, names)
    assert "hotel     opted-in" in text and "125 %" in text and "90 % (caiso-10-in-10)" in text
    readings = {v: [{"start": f"2026-07-15T20:0{m}:00Z", "report_type": kind, "item_units": "W",
                     "scale": "k", "value": 100.0 if kind == "baseline" else 80.0}
                    for m in range(5) for kind in ("baseline", "usage")] for v in names}
    chart = write_chart(performance, readings, names, tmp_path / "chart.png")
    assert chart.read_bytes().startswith(b"\x89PNG")
    local = write_chart(performance, readings, names, tmp_path / "local.png",
                        zones={"hotel": "Europe/Madrid", "office": "America/Los_Angeles"},
                        window=(datetime(2026, 7, 15, 20, 1, tzinfo=UTC),
                                datetime(2026, 7, 15, 20, 5, tzinfo=UTC)),
                        interval=MINUTE)
    assert local.read_bytes().startswith(b"\x89PNG")


# ---- --mqtt: the buildings' devices behind MQTT simulators ---------------------------------


def test_demo_mqtt_configurations_name_the_broker_and_each_building_prefix(tmp_path: Path):
    from examples.demo import Demo

    demo = Demo(out=tmp_path, targets=("hotel",), broker="mqtt://127.0.0.1:1883")
    demo.prepare()
    for name in ("office", "hotel", "home"):
        mqtt = parse_config((tmp_path / "ven" / f"{name}.toml").read_text()).mqtt
        assert mqtt is not None and mqtt.prefix == f"demo/{name}" and mqtt.meter == "meter"
        assert mqtt.url == "mqtt://127.0.0.1:1883"
    embedded = Demo(out=tmp_path / "embedded", targets=("hotel",))
    embedded.prepare()
    assert parse_config((tmp_path / "embedded" / "ven" / "home.toml").read_text()).mqtt is None


def test_demo_mqtt_without_a_broker_says_so_and_exits_1(capsys: pytest.CaptureFixture[str],
                                                        tmp_path: Path):
    from examples.demo import main
    from tests.support.network import free_port

    broker = f"mqtt://127.0.0.1:{free_port()}"  # nothing listens there
    assert main(["--mqtt", "--broker", broker, "--out", str(tmp_path)]) == 1
    said = capsys.readouterr().out
    assert "needs an MQTT broker" in said and broker in said
    assert not (tmp_path / "vtn.toml").exists()  # nothing was started


@pytest.mark.mqtt
def test_demo_mqtt_starts_one_simulator_per_building_on_the_broker(tmp_path: Path):
    import json
    import threading
    import uuid

    import paho.mqtt.client as paho

    from examples.demo import MQTT_BROKER, Demo, broker_reachable

    if not broker_reachable(MQTT_BROKER):
        pytest.skip("the Mosquitto broker on 127.0.0.1:1883 is not reachable")
    demo = Demo(out=tmp_path, targets=("hotel",), broker=MQTT_BROKER,
                mqtt_prefix=f"demo-test-{uuid.uuid4().hex[:8]}")
    demo.prepare()
    heard: set[str] = set()
    all_heard = threading.Event()

    def message(client: paho.Client, userdata: object, msg: paho.MQTTMessage) -> None:
        assert json.loads(msg.payload)["units"]["power_kw"] == "kW"
        heard.add(msg.topic.split("/")[1])
        if len(heard) == 3:
            all_heard.set()

    listener = paho.Client(paho.CallbackAPIVersion.VERSION2)
    listener.on_connect = lambda c, *_: c.subscribe(f"{demo.mqtt_prefix}/+/meter/telemetry", 1)
    listener.on_message = message
    listener.connect("127.0.0.1", 1883)
    listener.loop_start()
    try:
        children = demo.start_simulators()
        assert [c.name for c in children] == ["office-devices", "hotel-devices", "home-devices"]
        assert all_heard.wait(30), f"meters heard: {sorted(heard)}"
        demo.check_children()
    finally:
        demo.stop()
        listener.disconnect()
        listener.loop_stop()
    assert heard == {"office", "hotel", "home"}


@pytest.mark.mqtt
def test_demo_mqtt_runs_an_event_through_the_broker_end_to_end(tmp_path: Path):
    """``python -m examples.demo --mqtt`` as it runs (VTN, three VENs and three MQTT building
    simulators as processes), with a short event and 10 s reports: every building's row holds
    every interval of the meter's usage (none lost while a meter reading is in transit), and
    each VEN drove its building over MQTT."""
    import uuid

    from examples.demo import MQTT_BROKER, Demo, broker_reachable

    if not broker_reachable(MQTT_BROKER):
        pytest.skip("the Mosquitto broker on 127.0.0.1:1883 is not reachable")
    demo = Demo(out=tmp_path, targets=("hotel", "home"), broker=MQTT_BROKER,
                mqtt_prefix=f"demo-test-{uuid.uuid4().hex[:8]}", speed=1,  # the wall clock
                event_length=timedelta(seconds=20), intervals=2, lead=timedelta(seconds=5),
                report_s=10, report_every_s=None)
    try:
        port, _ = demo.prepare()
        demo.start_vtn(port)
        vens = demo.start_vens()
        event = demo.issue_event(vens)
        performance = demo.follow(event, vens)
        demo.finish(performance, vens)
    finally:
        demo.stop()
    rows = {p["ven_id"]: p for p in performance["performance"]}
    assert {rows[vens[n]]["participation"] for n in ("hotel", "home")} == {"opted-in"}
    assert rows[vens["office"]]["participation"] == "not-targeted"
    assert all(rows[v]["data_points"] >= 2 for v in vens.values())
    assert (tmp_path / "performance.png").exists()
    for name in ("office", "hotel", "home"):
        log = (tmp_path / "logs" / f"{name}.log").read_text()
        assert "devices over MQTT" in log and "MQTT connected" in log, name


# ---- simulated time: the VTN and the VENs as processes on one faster clock -----------------


def test_demo_in_simulated_time_polls_and_carries_an_event_in_simulated_time(tmp_path: Path):
    """``make demo``'s processes (VTN and three VENs) on a clock 240 times faster than the wall
    clock ([clock] in every configuration): the VENs register and poll, the event the CLI issues
    a simulated quarter of an hour ahead is carried out, and every time the VTN holds (the
    event's, the readings', the performance rows') is on the simulated timeline."""
    from common.clock import ScaledClock
    from examples.demo import Demo
    from vtn.config import load_config as load_vtn_config

    demo = Demo(out=tmp_path, targets=("home",), speed=240, event_start=None,
                lead=timedelta(minutes=15), event_length=timedelta(minutes=30), intervals=2,
                before=timedelta(minutes=30), after=timedelta(0), startup_s=20)
    try:
        port, _ = demo.prepare()
        clock = demo.clock
        assert isinstance(clock, ScaledClock) and clock.speed == 240
        assert load_vtn_config(tmp_path / "vtn.toml").clock.start == demo.sim_start
        ven_config = parse_config((tmp_path / "ven" / "home.toml").read_text())
        assert ven_config.clock == load_vtn_config(tmp_path / "vtn.toml").clock
        assert ven_config.poll_interval == timedelta(seconds=240)  # a wall second
        demo.start_vtn(port)
        vens = demo.start_vens()
        event = demo.issue_event(vens)
        performance = demo.follow(event, vens)
        readings = demo.vtn_cli("report", "export", "--ven", vens["home"])["readings"]
        simulated_now = clock.now()
    finally:
        demo.stop()
    assert demo.sim_start is not None
    start = datetime.fromisoformat(event["start"].replace("Z", "+00:00"))
    assert demo.sim_start < start < simulated_now  # the event's times are simulated times
    assert start - demo.sim_start < timedelta(hours=6)  # on the simulated timeline
    rows = {p["ven_id"]: p for p in performance["performance"]}
    home = rows[vens["home"]]
    assert home["participation"] == "opted-in" and home["data_points"] >= 2
    assert datetime.fromisoformat(home["start"].replace("Z", "+00:00")) == start
    times = [datetime.fromisoformat(r["start"].replace("Z", "+00:00")) for r in readings]
    assert times and all(demo.sim_start <= t <= simulated_now for t in times)
    assert max(times) - min(times) > timedelta(minutes=45)  # an hour passed in seconds
    for name in ("vtn", "home"):
        assert "Simulated time" in (tmp_path / "logs" / f"{name}.log").read_text(), name


def test_demo_interval_table_means_the_vtn_rows_per_event_interval():
    from examples.demo import interval_text

    rows = [{"start": f"2026-07-16T01:{m:02d}:00Z", "duration": "PT1M", "baseline_kw": 10.0,
             "requested_kw": 2.0, "target_kw": 8.0, "actual_kw": 8.0 if m < 15 else 9.0,
             "reduction_kw": 2.0 if m < 15 else 1.0} for m in range(30)]
    performance = {"performance": [{"ven_id": "v1", "start": "2026-07-16T01:00:00Z",
                                    "requested_kw": 2.0, "intervals": rows}]}
    text = interval_text(performance, {"v1": "home"}, {"home": "America/Los_Angeles"},
                         timedelta(minutes=15))
    lines = text.splitlines()
    assert "per 15 min interval (local time, America/Los_Angeles)" in lines[0]
    assert lines[2].split() == ["18:00-18:15", "10.0", "8.0", "8.0", "2.0", "100", "%"]
    assert lines[3].split() == ["18:15-18:30", "10.0", "8.0", "9.0", "1.0", "50", "%"]
    assert len(lines) == 4
