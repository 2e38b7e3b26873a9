"""Saying it before the event: what the plan expects to deliver against what is asked, in the
log, the readings and report offered to the VTN, the state file and ``oadr-ven status``."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from lxml import etree

from common.clock import ManualClock
from common.messages.enums import ReadingType, ReportType
from common.messages.report import RegisterReport
from common.xml import decode, encode
from common.xml.parser import validate_tree
from tests.support.openleadr_vtn import OpenleadrVtn
from tests.support.ven_state import seed, write_config
from tests.support.vtn_harness import add_event, header_config, start_harness
from tests.ven.test_brain import BUILDINGS, STARTS, planned_event
from ven.brain import BuildingBrain
from ven.brain.dryrun import dry_run, make_signal
from ven.brain.expectation import (
    MATERIAL_KW,
    MATERIAL_SHARE,
    EventExpectation,
    ExpectedInterval,
    expect,
    material_change,
)
from ven.cli import main
from ven.client import Store, build_client
from ven.client.config import ReportPoints, parse_config
from ven.client.readings import PointKind
from ven.client.reports import EXPECTED_DELTA_RID, metadata_reports
from ven.client.telemetry import Expected, TelemetryStore
from ven.measurements import BuildingReadings
from vtn.config import TlsSettings
from vtn.storage import ReadingQuery

HALF_HOUR = timedelta(minutes=30)


async def test_a_request_the_building_cannot_carry_is_said_in_the_log(caplog):
    caplog.set_level(logging.INFO, logger="ven.brain")
    brain, _, plan = await planned_event("office", (400, 400), name="LOAD_DISPATCH",
                                         kind="delta")
    found = brain.expectation("ev-1")
    assert found is not None and found.short and len(found.intervals) == 4
    event = np.asarray(plan.request.in_event, dtype=bool)
    # the plan's own figures, settled against the event's baseline
    net = plan.plan.net_load_kw.to_numpy()[event]
    base = plan.request.baseline_kw.to_numpy()[event]
    assert [i.expected_kw for i in found.intervals] == pytest.approx(list(base - net))
    assert [i.requested_kw for i in found.intervals] == [400.0] * 4
    assert found.expected_pct is not None and 0 < found.expected_pct < 50
    assert all("participation rules or opt-outs: plug-loads" in i.reasons
               for i in found.intervals)
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    first = found.intervals[0]
    assert (f"Event ev-1: expect {first.expected_kw:.0f} kW of the 400 kW asked in interval 1 "
            "(21:00-21:15 UTC; participation rules or opt-outs: plug-loads") in warned[0]
    assert len([w for w in warned if "kW of the 400 kW asked" in w]) == 4


async def test_a_request_the_building_carries_is_not_called_short(caplog):
    caplog.set_level(logging.WARNING, logger="ven.brain")
    brain, _, _ = await planned_event("home")
    found = brain.expectation("ev-1")
    assert found is not None and not found.short
    assert all(i.reasons == () for i in found.intervals)
    assert found.expected_pct == pytest.approx(100.0, abs=1.0)
    assert not [r for r in caplog.records if "kW asked" in r.getMessage()]


async def test_offline_devices_and_comfort_limits_are_named():
    brain, _, plan = await planned_event("office", (400, 400), name="LOAD_DISPATCH",
                                         kind="delta")
    offline = expect(plan, brain.building, released=("lighting-low",))
    assert "offline or overridden: lighting-low" in offline.intervals[0].reasons
    # zones that end an interval at the top of their comfort band (cooling) hold the shed back
    warm = plan.plan.zone_temp_c.copy()
    warm["rtu-north"] = 26.0  # the office's comfort_high_c
    hot = dataclasses.replace(plan, plan=dataclasses.replace(plan.plan, zone_temp_c=warm))
    reasons = expect(hot, brain.building).intervals[1].reasons
    assert "comfort limits: rtu-north" in reasons and "no more flexible load" not in reasons


async def test_the_projection_is_offered_read_and_valid_on_the_wire():
    brain, _, _ = await planned_event("office", (400, 400), name="LOAD_DISPATCH",
                                      kind="delta")
    found = brain.expectation("ev-1")
    assert found is not None
    source = BuildingReadings(brain)
    start = STARTS["office"]
    deltas = await source.read(PointKind.EXPECTED_DELTA, EXPECTED_DELTA_RID, start, start,
                               timedelta(minutes=1))
    assert [(r.start, r.duration, r.value) for r in deltas] == [
        (i.start, i.duration, round(-i.expected_kw, 3)) for i in found.intervals]  # watts
    bases = await source.read(PointKind.EXPECTED_BASELINE, "expected_baseline",
                              start + HALF_HOUR, start + HALF_HOUR, timedelta(minutes=1))
    assert [r.start for r in bases] == [i.start for i in found.intervals[2:]]  # not the past
    reports = {r.report_specifier_id: r for r in metadata_reports(ReportPoints(), start)}
    offered = reports["EXPECTED_DELIVERY"]
    assert offered.report_name is not None
    assert offered.report_name.value == "x-METADATA_EXPECTED_DELIVERY"
    kinds = {d.r_id: (d.report_type, d.reading_type, d.sampling_rate.on_change)
             for d in offered.report_descriptions if d.sampling_rate is not None}
    assert kinds == {
        "expected_delta": (ReportType.DELTA_USAGE, ReadingType.PROJECTED, True),
        "expected_baseline": (ReportType.BASELINE, ReadingType.PROJECTED, True)}
    data = encode(RegisterReport(request_id="r", reports=tuple(reports.values()), ven_id="v"))
    validate_tree(etree.fromstring(data))  # the official 2.0b schema
    assert decode(data) == RegisterReport(request_id="r", reports=tuple(reports.values()),
                                          ven_id="v")


async def test_openleadr_takes_the_offer_without_error_and_skips_it(tmp_path: Path):
    """openleadr's VTN reads only the standard report names: it accepts our register report,
    skips x-EXPECTED_DELIVERY (a warning in its log) and the usage report still flows."""
    vtn = OpenleadrVtn(report_rids=("usage", "expected_delta", "expected_baseline"),
                       granularity=timedelta(minutes=5), report_back=timedelta(minutes=5))
    await vtn.start()
    start = STARTS["office"]
    clock = ManualClock(start - timedelta(minutes=30))
    brain = BuildingBrain.simulated(BUILDINGS / "office.toml", clock, seed=3)
    config = parse_config(f"""
[vtn]
url = "{vtn.url}"
allow_plain_http = true

[ven]
name = "test-ven"
database = "{tmp_path / 'ven.sqlite'}"
building = "{BUILDINGS / 'office.toml'}"
""")
    store = await Store.open(config.database)

    async def sleeper(seconds: float) -> None:
        clock.advance(seconds)

    client = await build_client(config, store=store, source=BuildingReadings(brain),
                                clock=clock, sleeper=sleeper, handler=brain, tick=brain.tick)
    try:
        await client.start()
        vtn.add_event("ev-1", level=3, start=start, duration=timedelta(hours=1))
        await client.step()
        found = brain.expectation("ev-1")
        assert found is not None and found.short  # the office cannot shed 30 % then
        while clock.now() < start:
            clock.advance(timedelta(minutes=5))
            await client.step()
        subscriptions = await store.subscriptions()
        rejected = await store.outbox(states=("rejected",))
    finally:
        await client.close()
        await store.close()
        await vtn.stop()
    assert [s.specifier_id for s in subscriptions] == ["TELEMETRY_USAGE"]
    assert rejected == [] and vtn.values("usage") and not vtn.values("expected_delta")


def test_status_shows_what_the_plan_expects(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    config = write_config(tmp_path)
    asyncio.run(seed(tmp_path / "ven.sqlite"))

    async def store_expectation() -> None:
        telemetry = await TelemetryStore.open(tmp_path / "ven.sqlite")
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
        rows = [Expected(event_id="event-0", modification_number=0, start=start + k * HALF_HOUR,
                         duration_s=1800.0, baseline_kw=500.0, requested_kw=100.0,
                         expected_kw=expected, reasons=reasons, planned_at=start)
                for k, (expected, reasons) in enumerate(
                    ((100.0, ()), (61.0, ("comfort limits: rtu-north",))))]
        try:
            await telemetry.put_expectations("event-0", rows[:1])
            await telemetry.put_expectations("event-0", rows)  # replaces
        finally:
            await telemetry.close()

    asyncio.run(store_expectation())
    assert main(["status", "--config", str(config), "--json"]) == 0
    (event,) = json.loads(capsys.readouterr().out)["events"]
    expected = event["expected"]
    assert (expected["requested_kw"], expected["expected_kw"], expected["expected_pct"]) == (
        100.0, 80.5, 80.5)
    assert [i["reasons"] for i in expected["intervals"]] == [[], ["comfort limits: rtu-north"]]
    assert main(["status", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "expects 80 kW of the 100 kW asked (80 %)" in out
    assert "interval 2" in out and "61 of 100 kW (comfort limits: rtu-north)" in out


def test_the_dry_run_says_what_it_expects_before_the_event():
    start = STARTS["office"]
    run = dry_run(BUILDINGS / "office.toml",
                  [make_signal("LOAD_DISPATCH", start=start, duration=HALF_HOUR,
                               delta_kw=400.0)], seed=3)
    assert run.expected is not None and run.expected.short
    totals = run.totals()
    assert totals["expected_pct"] == pytest.approx(run.expected.expected_pct, abs=0.05)
    assert totals["expected_pct"] < 50
    lines = run.lines()
    assert any(line.startswith("expected before the event: shed ") and "of 400.0 kW" in line
               for line in lines)
    assert any(line.startswith("  short in interval 1 ") for line in lines)


def test_only_a_material_change_counts():
    at = STARTS["office"]
    step = timedelta(minutes=15)

    def said(*expected: float, requested: float = 40.0, modification: int = 0
             ) -> EventExpectation:
        return EventExpectation(event_id="e", modification_number=modification, intervals=tuple(
            ExpectedInterval(start=at + k * step, duration=step, baseline_kw=200.0,
                             requested_kw=requested, expected_kw=kw)
            for k, kw in enumerate(expected)))

    before = said(40.0, 40.0)
    limit = MATERIAL_SHARE * 40.0  # 2 kW of the 40 kW asked
    assert not material_change(before, said(40.0, 40.0 - 0.9 * limit), at)
    assert material_change(before, said(40.0, 40.0 - 1.1 * limit), at)
    assert material_change(before, said(40.0, 40.0, modification=1), at)
    assert material_change(said(40.0), said(40.0, 40.0), at)  # an interval it did not have
    # an interval that is over stays as it was said
    assert not material_change(before, said(10.0, 40.0), at + step)
    tiny = said(0.10, 0.10, requested=0.1)  # a home's sub-kW request: MATERIAL_KW counts
    assert not material_change(tiny, said(0.10, 0.10 + 0.9 * MATERIAL_KW, requested=0.1), at)
    assert material_change(tiny, said(0.10, 0.10 + 1.1 * MATERIAL_KW, requested=0.1), at)


async def test_a_material_change_is_said_again_and_our_vtn_keeps_the_latest(
        tmp_path: Path, caplog: pytest.LogCaptureFixture):
    """Over real HTTP to our VTN (in process, on the VEN's injected clock): the VEN says what
    it expects 2 h before the event; a re-plan that changes it materially (devices taken out of
    the event, as an operator's opt-out or an override does) is said once more, and the VTN
    shows the latest figure and when it came; a re-plan that changes nothing is not sent."""
    caplog.set_level(logging.INFO, logger="ven")
    start = STARTS["office"]
    clock = ManualClock(start - timedelta(hours=2, minutes=5))
    harness, vtn_client = await start_harness(
        dataclasses.replace(header_config(tmp_path), tls=TlsSettings()), clock)  # anonymous
    event = await add_event(harness.store, start=start, duration=timedelta(hours=1))
    brain = BuildingBrain.simulated(BUILDINGS / "office.toml", clock, seed=3)
    config = parse_config(f"""
[vtn]
url = "{vtn_client.make_url('/OpenADR2/Simple/2.0b')}"
allow_plain_http = true

[ven]
name = "test-ven"
database = "{tmp_path / 'ven.sqlite'}"
building = "{BUILDINGS / 'office.toml'}"

[events]
auto_answer = true
default_opt = "in"
""")
    store = await Store.open(config.database)

    async def sleeper(seconds: float) -> None:
        clock.advance(seconds)

    client = await build_client(config, store=store, source=BuildingReadings(brain),
                                clock=clock, sleeper=sleeper, handler=brain, tick=brain.tick)

    async def steps(count: int) -> None:
        for _ in range(count):
            clock.advance(timedelta(seconds=30))
            await client.step()

    async def projections() -> list[object]:
        return [o for o in await store.outbox(states=("sent", "pending", "rejected"))
                if "update_report" in str(o) and "EXPECTED" in str(o)]

    try:
        await client.start()
        await steps(6)
        (ven,) = await harness.store.vens.list()
        first = await harness.store.performance.get(event.event_id, ven.ven_id)
        said = brain.announced(event.event_id)
        assert first is not None and first.expected_pct is not None and said is not None
        assert first.expected_kw == pytest.approx(said.expected_kw, abs=0.1)
        sent_before = harness.store.reports  # readings received so far
        before = {r.start: r.received_at for r in await sent_before.readings(ReadingQuery(
            ven_id=ven.ven_id, r_ids=("expected_delta",)))}
        assert len(before) == 4
        # the same plan made again (nothing changed): nothing new is said
        plan = brain.plans[event.event_id]
        brain.plan(event.event_id, plan.modification_number, plan.signals)
        await steps(2)
        again = {r.start: r.received_at for r in await sent_before.readings(ReadingQuery(
            ven_id=ven.ven_id, r_ids=("expected_delta",)))}
        assert again == before
        # the HVAC and the lighting taken out of the event: a material change, said at once
        out = [d.id for d in brain.building.devices if d.kind in ("hvac", "curtailable")]
        brain.plan(event.event_id, plan.modification_number, plan.signals, opted_out=out)
        await steps(2)
        latest = await harness.store.performance.get(event.event_id, ven.ven_id)
        now_said = brain.announced(event.event_id)
        assert latest is not None and now_said is not None
        assert now_said.expected_kw < said.expected_kw - MATERIAL_SHARE * said.requested_kw
        assert latest.expected_kw == pytest.approx(now_said.expected_kw, abs=0.1)
        assert latest.expected_at is not None and first.expected_at is not None
        assert latest.expected_at > first.expected_at
        assert any("the plan now expects" in r.getMessage() and "telling the VTN"
                   in r.getMessage() for r in caplog.records)
    finally:
        await client.close()
        await store.close()
        await vtn_client.close()
        await harness.store.close()
