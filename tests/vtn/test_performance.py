"""Event performance at the VTN: the computation against hand-computed readings, storage and
recomputation as reports arrive (late, resent, corrected), the admin API, CSV and the wire
form of the baseline's method and confidence."""

from __future__ import annotations

import csv
import dataclasses
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from common.baselines.adjustment import AdjustmentKind
from common.clock import ManualClock
from common.messages.enums import (
    ExtensionValue,
    OptType,
    ReadingType,
    ReportType,
    SignalName,
    SignalType,
)
from common.messages.types import ItemBase
from tests.ven.test_baseline import OFFICE_EVENT, office_with_two_events
from ven.client.readings import PointKind
from ven.measurements import BuildingReadings
from vtn.admin.openapi import OPENAPI
from vtn.admin.render import when
from vtn.admin.routes import API_ROOT, admin_app
from vtn.baseline_adjustment import (
    active_period,
    day_of_adjustment,
    readings_from,
    unadjusted_kw,
    with_adjustment,
)
from vtn.cli.views import performance_table
from vtn.config import AdminSettings, VtnConfig
from vtn.domain import (
    Event,
    EventRequest,
    EventTargets,
    Reading,
    Signal,
    SignalInterval,
    VenRegistration,
)
from vtn.performance import Participation, compute
from vtn.polls import DatabaseWork
from vtn.services.context import Vtn
from vtn.services.performance import recompute, refresh_after_readings
from vtn.services.queue import MessageQueue
from vtn.storage import ReadingQuery, Store, open_store
from vtn.storage.migrate import head_revision

T0 = datetime(2026, 7, 1, 14, 0, tzinfo=UTC)
HALF = timedelta(minutes=30)
METHOD = ExtensionValue("x-baseline-caiso-10-in-10")


def signal(name: SignalName, kind: SignalType, *values: float, kw: bool = False) -> Signal:
    return Signal(signal_name=name, signal_type=kind, signal_id="s1",
                  intervals=tuple(SignalInterval(duration=HALF, value=v) for v in values),
                  item_base=ItemBase.power() if kw else None)


def event(*signals: Signal, targets: EventTargets | None = None, event_id: str = "ev-1",
          duration: timedelta = 2 * HALF) -> Event:
    request = EventRequest(targets=targets or EventTargets(ven_ids=("ven-1",)),
                           market_context="http://market.test/p", signals=signals, start=T0,
                           duration=duration)
    return Event(event_id=event_id, modification_number=0, created_at=T0 - HALF,
                 request=request)


def reading(kind: str, start: datetime, value: float, *, ven_id: str = "ven-1",
            request_id: str = "rr-1", confidence: int | None = None,
            duration: timedelta = HALF) -> Reading:
    baseline = kind == "baseline"
    return Reading(ven_id=ven_id, report_request_id=request_id, r_id=kind, start=start,
                   duration=duration, value=value,
                   report_type=ReportType.BASELINE if baseline else ReportType.USAGE,
                   reading_type=METHOD if baseline else ReadingType.DIRECT_READ,
                   item_units="W", scale="k", confidence=confidence)


def pairs(*rows: tuple[float, float], start: datetime = T0, confidence: int = 90,
          **kw) -> list[Reading]:
    """(baseline, actual) [kW] per half hour from `start`."""
    out = []
    for k, (base, actual) in enumerate(rows):
        t = start + k * HALF
        out += [reading("baseline", t, base, confidence=confidence, **kw),
                reading("usage", t, actual, **kw)]
    return out


# ---- the computation, by hand -------------------------------------------------------------------


def test_simple_level_2_against_hand_computed_values():
    ev = event(signal(SignalName.SIMPLE, SignalType.LEVEL, 2, 2))
    # baseline 100 then 200 kW; actual 75 and 170 kW; level 2 = 20 % of the baseline
    p = compute(ev, "ven-1", pairs((100, 75), (200, 170), confidence=80),
                participation=Participation.OPTED_IN, now=T0 + 2 * HALF)
    assert p.data_points == 2
    assert p.requested_kw == pytest.approx((20 + 40) / 2)
    assert p.baseline_kw == pytest.approx(150)
    assert p.target_kw == pytest.approx(150 - 30)
    assert p.actual_kw == pytest.approx(122.5)
    assert p.reduction_kw == pytest.approx(27.5)
    assert p.delivered_kwh == pytest.approx(25 * 0.5 + 30 * 0.5)
    assert p.requested_kwh == pytest.approx(20 * 0.5 + 40 * 0.5)
    assert p.delivered_pct == pytest.approx(100 * 27.5 / 30)
    assert (p.baseline_method, p.baseline_confidence) == ("caiso-10-in-10", 80)


def test_programme_shares_are_configurable():
    ev = event(signal(SignalName.SIMPLE, SignalType.LEVEL, 1, 3))
    p = compute(ev, "ven-1", pairs((100, 90), (100, 90)), participation=Participation.OPTED_IN,
                now=T0, shares=(0.05, 0.1, 0.5))
    assert [i.requested_kw for i in p.intervals] == pytest.approx([5, 50])


def test_load_dispatch_delta_and_setpoint():
    delta = event(signal(SignalName.LOAD_DISPATCH, SignalType.DELTA, 30, 10, kw=True))
    p = compute(delta, "ven-1", pairs((100, 80), (100, 95)),
                participation=Participation.OPTED_IN, now=T0)
    assert [i.requested_kw for i in p.intervals] == pytest.approx([30, 10])
    assert [i.target_kw for i in p.intervals] == pytest.approx([70, 90])
    assert p.delivered_pct == pytest.approx(100 * (20 + 5) / (30 + 10))

    setpoint = event(signal(SignalName.LOAD_DISPATCH, SignalType.SETPOINT, 70, 120, kw=True))
    p = compute(setpoint, "ven-1", pairs((100, 72), (100, 100)),
                participation=Participation.OPTED_IN, now=T0)
    # a setpoint above the baseline asks for no shed (not for a load increase)
    assert [i.requested_kw for i in p.intervals] == pytest.approx([30, 0])
    assert p.delivered_kwh == pytest.approx(28 * 0.5)
    assert p.delivered_pct == pytest.approx(100 * 28 / 30)


def test_load_control_percent_offset_and_prices():
    offset = event(signal(SignalName.LOAD_CONTROL, SignalType.X_LOAD_CONTROL_PERCENT_OFFSET,
                          -10, -25))
    p = compute(offset, "ven-1", pairs((200, 180), (200, 150)),
                participation=Participation.OPTED_IN, now=T0)
    assert [i.requested_kw for i in p.intervals] == pytest.approx([20, 50])
    price = event(signal(SignalName.ELECTRICITY_PRICE, SignalType.PRICE, 0.5, 0.5))
    p = compute(price, "ven-1", pairs((200, 180)), participation=Participation.OPTED_IN, now=T0)
    assert p.requested_kw == 0 and p.delivered_pct is None and p.reduction_kw == 20


def test_not_targeted_and_opted_out_are_requested_nothing():
    ev = event(signal(SignalName.SIMPLE, SignalType.LEVEL, 2, 2))
    for stance in (Participation.NOT_TARGETED, Participation.OPTED_OUT):
        p = compute(ev, "ven-1", pairs((100, 99), (100, 101)), participation=stance, now=T0)
        assert p.requested_kw == 0 and p.requested_kwh == 0 and p.delivered_pct is None
        assert p.data_points == 2 and p.reduction_kw == pytest.approx(0)


def test_missing_data_gives_no_numbers_and_partial_data_counts_what_is_there():
    ev = event(signal(SignalName.SIMPLE, SignalType.LEVEL, 2, 2))
    only_usage = [reading("usage", T0, 80.0)]
    p = compute(ev, "ven-1", only_usage, participation=Participation.OPTED_IN, now=T0)
    assert p.data_points == 0
    assert (p.requested_kw, p.baseline_kw, p.actual_kw, p.reduction_kw) == (None,) * 4
    assert (p.delivered_kwh, p.delivered_pct, p.baseline_confidence) == (0, None, None)

    half = [*pairs((100, 70)), reading("baseline", T0 + HALF, 100, confidence=40)]
    p = compute(ev, "ven-1", half, participation=Participation.OPTED_IN, now=T0)
    assert p.data_points == 1 and p.delivered_kwh == pytest.approx(15)


def test_readings_outside_the_event_are_ignored_and_edges_clipped():
    ev = event(signal(SignalName.SIMPLE, SignalType.LEVEL, 2, 2))
    rows = pairs((100, 50), start=T0 - HALF)  # before the event
    rows += pairs((100, 80), (100, 80), start=T0)
    rows += pairs((100, 50), start=T0 + 2 * HALF)  # after it
    # one reading across the end: only its first 15 min count
    rows += [reading("baseline", T0 + 2 * HALF - HALF / 2, 100, request_id="rr-2"),
             reading("usage", T0 + 2 * HALF - HALF / 2, 60, request_id="rr-2")]
    p = compute(ev, "ven-1", rows, participation=Participation.OPTED_IN, now=T0)
    assert [i.start for i in p.intervals] == [T0, T0 + HALF, T0 + HALF + HALF / 2]
    assert p.intervals[-1].duration == HALF / 2
    assert p.delivered_kwh == pytest.approx(20 * 0.5 * 2 + 40 * 0.25)


def test_the_same_interval_under_two_report_requests_counts_once():
    ev = event(signal(SignalName.SIMPLE, SignalType.LEVEL, 2, 2))
    rows = pairs((100, 80)) + pairs((100, 70), request_id="rr-2")  # re-registered VEN
    p = compute(ev, "ven-1", rows, participation=Participation.OPTED_IN, now=T0)
    assert p.data_points == 1 and p.actual_kw == 70  # the last one wins


# ---- stored, recomputed as reports arrive --------------------------------------------------------


@pytest.fixture
async def vtn(tmp_path: Path):
    clock = ManualClock(T0 + 3 * HALF)
    store = await open_store(f"sqlite+aiosqlite:///{tmp_path / 'vtn.sqlite'}", clock=clock)
    for n in (1, 2):
        await store.vens.create(VenRegistration(fingerprint=f"aa:0{n}", ven_id=f"ven-{n}"))
    config = VtnConfig(plain_http=True, admin=AdminSettings(token_file=tmp_path / "token"))
    yield Vtn(config=config, store=store, clock=clock, queue=MessageQueue(store),
              polls=DatabaseWork(store, clock))
    await store.close()


async def stored_event(store: Store, *signals: Signal, **kw) -> Event:
    ev = event(*signals, **kw)
    return await store.events.create(ev.request, event_id=ev.event_id)


async def test_late_and_resent_readings_recompute_without_double_counting(vtn: Vtn):
    store = vtn.store
    ev = await stored_event(store, signal(SignalName.SIMPLE, SignalType.LEVEL, 2, 2))
    await store.invitations.record_opt(ev.event_id, "ven-1", modification_number=0,
                                       opt_type=OptType.OPT_IN)
    ven = await store.vens.get("ven-1")

    first = pairs((100, 80))
    await store.reports.add_readings(first)
    assert await refresh_after_readings(vtn, ven, first) == 1
    row = await store.performance.get(ev.event_id, "ven-1")
    assert row is not None and row.data_points == 1 and row.delivered_kwh == pytest.approx(10)

    # the same report again (a lost acknowledgement) and the second half hour, late
    late = pairs((100, 80)) + pairs((100, 70), start=T0 + HALF)
    await store.reports.add_readings(late)
    await refresh_after_readings(vtn, ven, late)
    row = await store.performance.get(ev.event_id, "ven-1")
    assert row.data_points == 2
    assert row.delivered_kwh == pytest.approx(10 + 15)

    # a corrected value replaces the old one
    fix = [reading("usage", T0, 90.0)]
    await store.reports.add_readings(fix)
    await refresh_after_readings(vtn, ven, fix)
    row = await store.performance.get(ev.event_id, "ven-1")
    assert row.delivered_kwh == pytest.approx(5 + 15)
    assert [r.ven_id for r in await store.performance.for_event(ev.event_id)] == ["ven-1"]

    # the row is exactly what the stored readings give
    readings = await store.reports.readings(ReadingQuery(ven_id="ven-1"))
    again = compute(ev, "ven-1", readings, participation=row.participation,
                    now=row.computed_at)
    assert again == row


async def test_readings_of_a_ven_the_event_does_not_target(vtn: Vtn):
    store = vtn.store
    ev = await stored_event(store, signal(SignalName.SIMPLE, SignalType.LEVEL, 2, 2))
    other = await store.vens.get("ven-2")
    rows = pairs((100, 99), ven_id="ven-2")
    await store.reports.add_readings(rows)
    await refresh_after_readings(vtn, other, rows)
    row = await store.performance.get(ev.event_id, "ven-2")
    assert row.participation is Participation.NOT_TARGETED
    assert row.requested_kw == 0 and row.data_points == 1
    # no answer yet from the targeted VEN: it is asked for the shed all the same
    mine = await recompute(vtn, ev, await store.vens.get("ven-1"))
    assert mine.participation is Participation.NO_ANSWER and mine.data_points == 0


# ---- admin API, CSV ----------------------------------------------------------------------------


async def test_admin_routes_performance_baseline_capacity_and_csv(vtn: Vtn):
    store = vtn.store
    ev = await stored_event(store, signal(SignalName.SIMPLE, SignalType.LEVEL, 2, 2),
                            targets=EventTargets(ven_ids=("ven-1", "ven-2")))
    await store.invitations.record_opt(ev.event_id, "ven-1", modification_number=0,
                                       opt_type=OptType.OPT_IN)
    await store.invitations.mark_delivered(ev.event_id, "ven-2", 0)  # silent since
    ven = await store.vens.get("ven-1")
    rows = pairs((100, 75), (100, 85), confidence=70)
    await store.reports.add_readings(rows)
    await refresh_after_readings(vtn, ven, rows)

    root = web.Application()
    root.add_subapp(API_ROOT, admin_app(vtn, token="t0ken"))
    client = TestClient(TestServer(root))
    await client.start_server()
    headers = {"Authorization": "Bearer t0ken"}
    try:
        response = await client.get(f"{API_ROOT}/events/ev-1/performance", headers=headers)
        body = await response.json()
        assert response.status == 200, body
        row, silent = body["performance"]
        assert (silent["ven_id"], silent["participation"]) == ("ven-2", "no-answer")
        assert (silent["data_points"], silent["requested_kw"], silent["intervals"]) == (0, None, [])
        assert await store.performance.get(ev.event_id, "ven-2") is None  # shown, not stored
        assert row["participation"] == "opted-in"
        assert (row["requested_kw"], row["baseline_kw"], row["target_kw"]) == (20, 100, 80)
        assert (row["actual_kw"], row["reduction_kw"], row["delivered_pct"]) == (80, 20, 100)
        assert (row["delivered_kwh"], row["data_points"]) == (20, 2)
        assert (row["baseline_method"], row["baseline_confidence"]) == ("caiso-10-in-10", 70)
        assert [i["actual_kw"] for i in row["intervals"]] == [75, 85]

        response = await client.get(f"{API_ROOT}/events/ev-1/performance.csv", headers=headers)
        table = list(csv.DictReader(io.StringIO(await response.text())))
        assert response.content_type == "text/csv"
        assert [(r["ven_id"], float(r["delivered_kwh"])) for r in table] == [
            ("ven-1", 20.0), ("ven-2", 0.0)]

        response = await client.get(f"{API_ROOT}/events/nope/performance", headers=headers)
        assert response.status == 404

        response = await client.get(
            f"{API_ROOT}/vens/ven-1/baseline",
            params={"from": T0.isoformat(), "to": (T0 + 2 * HALF).isoformat()}, headers=headers)
        series = (await response.json())["baseline"]
        assert [(p["baseline_kw"], p["confidence"], p["method"]) for p in series] == [
            (100, 70, "caiso-10-in-10")] * 2

        response = await client.get(f"{API_ROOT}/vens/ven-1/capacity", headers=headers)
        capacity = await response.json()
        assert capacity["largest_reduction_kw"] == 20
        assert capacity["largest_reduction_event_id"] == "ev-1"
        assert capacity["latest_baseline_kw"] == 100
        assert capacity["estimated_capacity_kw"] == 20
    finally:
        await client.close()


def test_new_routes_are_in_the_openapi_document():
    paths = OPENAPI["paths"]
    for path in ("/events/{event_id}/performance", "/events/{event_id}/performance.csv",
                 "/vens/{ven_id}/baseline", "/vens/{ven_id}/capacity"):
        assert "get" in paths[path]


def test_the_newest_migration_is_head():
    assert head_revision() == "0008"


# ---- the wire: baseline method in the METADATA, confidence on each baseline value ---------------


async def test_baseline_method_and_confidence_travel_schema_valid():
    from common.messages.report import RegisterReport, UpdateReport
    from common.xml import decode, encode
    from ven.client.config import ReportPoints
    from ven.client.readings import Reading as VenReading
    from ven.client.reports import build_report, metadata_reports
    from ven.client.store import Subscription

    points = ReportPoints(baseline_method="CAISO 10-in-10")
    metadata = decode(encode(RegisterReport(request_id="r1", reports=metadata_reports(points, T0),
                                            ven_id="ven-1")))
    # usage in TELEMETRY_USAGE, the baseline in a report of its own (x-TELEMETRY_BASELINE)
    kinds = {(r.report_specifier_id, d.r_id): d.reading_type.value
             for r in metadata.reports for d in r.report_descriptions
             if r.report_specifier_id in ("TELEMETRY_USAGE", "TELEMETRY_BASELINE")}
    assert kinds == {("TELEMETRY_USAGE", "usage"): "Direct Read",
                     ("TELEMETRY_BASELINE", "baseline"): "x-baseline-caiso-10-in-10"}
    plain = [d for r in metadata_reports(ReportPoints(), T0)[:2] for d in r.report_descriptions]
    assert {d.reading_type for d in plain} == {ReadingType.DIRECT_READ, ReadingType.PROJECTED}

    class Source:
        async def read(self, kind, r_id, start, end, granularity):
            return [VenReading(start=start, value=100.0, confidence=70 if r_id == "baseline"
                               else None)]

    reports = []
    for n, (specifier, name, r_id) in enumerate((
            ("TELEMETRY_USAGE", "TELEMETRY_USAGE", "usage"),
            ("TELEMETRY_BASELINE", "x-TELEMETRY_BASELINE", "baseline"))):
        sub = Subscription(report_request_id=f"rr-{n}", specifier_id=specifier,
                           report_name=name, r_ids=(r_id,), granularity_s=60, report_back_s=60,
                           start=T0, end=None, covered_until=T0)
        reports.append(await build_report(sub, (T0, T0 + timedelta(minutes=1)), points,
                                          Source(), T0))
    update = decode(encode(UpdateReport(request_id="u1", reports=tuple(reports),
                                        ven_id="ven-1")))
    payloads = {p.r_id: p for r in update.reports for i in r.intervals for p in i.payloads}
    assert (payloads["baseline"].confidence, payloads["usage"].confidence) == (70, None)


async def test_rows_are_upserted_on_sqlite_and_postgresql(database_url: str):
    async with await open_store(database_url, clock=ManualClock(T0)) as store:
        await store.vens.create(VenRegistration(fingerprint="aa:01", ven_id="ven-1"))
        ev = await stored_event(store, signal(SignalName.SIMPLE, SignalType.LEVEL, 2, 2))
        rows = pairs((100, 80), confidence=70)
        await store.reports.add_readings(rows)
        stored = await store.reports.readings(ReadingQuery(ven_id="ven-1"))
        assert [r.confidence for r in stored if r.r_id == "baseline"] == [70]
        first = compute(ev, "ven-1", stored, participation=Participation.OPTED_IN, now=T0)
        await store.performance.put(first)
        second = compute(ev, "ven-1", stored + tuple(pairs((100, 60), start=T0 + HALF)),
                         participation=Participation.OPTED_IN, now=T0 + HALF)
        await store.performance.put(second)
        assert await store.performance.get(ev.event_id, "ven-1") == second
        assert await store.performance.for_event(ev.event_id) == (second,)
        assert await store.performance.for_ven("ven-1") == (second,)
        assert await store.performance.get(ev.event_id, "ven-2") is None


async def test_cli_performance_table_json_csv_and_capacity(vtn: Vtn, tmp_path: Path):
    import asyncio
    import json
    import os
    import sys

    store = vtn.store
    ev = await stored_event(store, signal(SignalName.SIMPLE, SignalType.LEVEL, 2, 2))
    await store.invitations.record_opt(ev.event_id, "ven-1", modification_number=0,
                                       opt_type=OptType.OPT_IN)
    rows = pairs((100, 75), (100, 85), confidence=70)
    await store.reports.add_readings(rows)
    await refresh_after_readings(vtn, await store.vens.get("ven-1"), rows)
    root = web.Application()
    root.add_subapp(API_ROOT, admin_app(vtn, token="t0ken"))
    server = TestServer(root, host="127.0.0.1", port=0)
    await server.start_server()
    (tmp_path / "token").write_text("t0ken")
    (tmp_path / "token").chmod(0o600)
    where = ["--url", f"http://127.0.0.1:{server.port}", "--token-file", str(tmp_path / "token")]
    repo = Path(__file__).resolve().parents[2]

    async def oadr_vtn(*args: str) -> str:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "vtn", *args, *where, cwd=repo,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(repo)})
        out, err = await process.communicate()
        assert process.returncode == 0, err.decode()
        return out.decode()

    try:
        table = await oadr_vtn("performance", "ev-1")
        assert "ven-1  opted-in" in table and "70%" in table and "caiso-10-in-10" in table
        body = json.loads(await oadr_vtn("performance", "ev-1", "--json"))
        assert body["performance"][0]["delivered_pct"] == 100
        text = await oadr_vtn("performance", "ev-1", "--csv")
        assert text.splitlines()[0].startswith("event_id,ven_id,ven_name,participation")
        assert "largest reduction 20 kW" in await oadr_vtn("ven", "capacity", "ven-1")
    finally:
        await server.close()


# ---- the baseline's day-of adjustment, computed by the VTN from the readings before the event ---

QUARTER = timedelta(minutes=15)


def before_event(baseline: float, actual: float, *, hours: int = 4,
                 method: ExtensionValue = METHOD) -> list[Reading]:
    """Baseline and usage [kW] per quarter hour over the `hours` before T0."""
    out = []
    for k in range(hours * 4):
        t = T0 - timedelta(hours=hours) + k * QUARTER
        base = reading("baseline", t, baseline, duration=QUARTER, confidence=90)
        out += [dataclasses.replace(base, reading_type=method),
                reading("usage", t, actual, duration=QUARTER)]
    return out


@pytest.mark.parametrize(("actual", "value", "capped"), [(110, 1.1, False), (130, 1.2, True),
                                                         (70, 0.8, True)])
def test_vtn_computes_the_caiso_ratio_over_the_3_h_ending_1_h_before(actual, value, capped):
    readings = before_event(100, actual)
    # the hour just before the event does not count: a jump there changes nothing
    readings += [reading("usage", T0 - QUARTER, 500.0, duration=QUARTER)]
    adjustment = day_of_adjustment(T0, "caiso-10-in-10", readings)
    assert adjustment is not None and adjustment.applied
    assert adjustment.kind is AdjustmentKind.RATIO
    assert (adjustment.value, adjustment.capped) == (pytest.approx(value), capped)
    assert adjustment.rule.window == timedelta(hours=3) and adjustment.rule.cap == 0.2


def test_vtn_computes_the_pjm_additive_offset_and_undoes_it():
    pjm = ExtensionValue("x-baseline-pjm-high-4-of-5")
    ev = event(signal(SignalName.SIMPLE, SignalType.LEVEL, 2, 2))
    readings = before_event(100, 112.5, method=pjm) + [
        dataclasses.replace(r, reading_type=pjm) if r.report_type is ReportType.BASELINE else r
        for r in pairs((120, 90), (120, 95))]
    p = with_adjustment(compute(ev, "ven-1", readings, participation=Participation.OPTED_IN,
                                now=T0 + 2 * HALF), readings)
    assert p.baseline_method == "pjm-high-4-of-5"
    adjustment = p.baseline_adjustment
    assert adjustment is not None and adjustment.kind is AdjustmentKind.ADDITIVE
    assert adjustment.value == pytest.approx(12.5) and not adjustment.capped
    assert unadjusted_kw(p.baseline_kw, adjustment) == pytest.approx(120 - 12.5)


def test_vtn_adjustment_without_readings_before_the_event_is_not_applied_with_a_reason():
    adjustment = day_of_adjustment(T0, "caiso-10-in-10", pairs((100, 80)))
    assert adjustment is not None and not adjustment.applied and adjustment.value == 1.0
    assert "cover 0% of the adjustment window" in adjustment.reason
    partial = day_of_adjustment(T0, "caiso-10-in-10", before_event(100, 110, hours=2))
    assert partial is not None and not partial.applied  # 1 of its 3 h
    assert unadjusted_kw(100.0, partial) is None
    assert day_of_adjustment(T0, "my-own-method", before_event(100, 110)) is None
    assert day_of_adjustment(T0, None, before_event(100, 110)) is None


async def test_admin_and_cli_show_the_baseline_adjustment(vtn: Vtn):
    store = vtn.store
    ev = await stored_event(store, signal(SignalName.SIMPLE, SignalType.LEVEL, 2, 2))
    await store.invitations.record_opt(ev.event_id, "ven-1", modification_number=0,
                                       opt_type=OptType.OPT_IN)
    rows = before_event(100, 110) + pairs((110, 80), (110, 85))
    await store.reports.add_readings(rows)
    await refresh_after_readings(vtn, await store.vens.get("ven-1"), rows)
    root = web.Application()
    root.add_subapp(API_ROOT, admin_app(vtn, token="t0ken"))
    client = TestClient(TestServer(root))
    await client.start_server()
    headers = {"Authorization": "Bearer t0ken"}
    try:
        response = await client.get(f"{API_ROOT}/events/ev-1/performance", headers=headers)
        body = await response.json()
        assert response.status == 200, body
        (row,) = body["performance"]
        adjustment = row["baseline_adjustment"]
        assert (adjustment["kind"], adjustment["value"], adjustment["applied"]) == (
            "ratio", 1.1, True)
        assert (adjustment["window_s"], adjustment["gap_s"], adjustment["cap"]) == (
            3 * 3600, 3600, 0.2)
        assert adjustment["text"] == ("day-of ratio ×1.100 (3 h ending 1 h before the event, "
                                      "cap ±20 %)")
        assert row["baseline_kw"] == 110 and row["unadjusted_baseline_kw"] == 100
        response = await client.get(f"{API_ROOT}/events/ev-1/performance.csv", headers=headers)
        (line,) = csv.DictReader(io.StringIO(await response.text()))
        assert line["baseline_adjustment"] == adjustment["text"]
        assert "ven-1: caiso-10-in-10 baseline, day-of ratio ×1.100" in performance_table(body)
    finally:
        await client.close()


def test_vtn_adjustment_pairs_readings_of_different_lengths():
    five = timedelta(minutes=5)
    readings = [reading("usage", T0 - timedelta(hours=4) + k * five, 100.0 + 20 * (k % 3 == 0),
                        duration=five) for k in range(48)]  # mean 106.67 kW
    readings += [r for r in before_event(100, 0) if r.report_type is ReportType.BASELINE]
    adjustment = day_of_adjustment(T0, "caiso-10-in-10", readings)
    assert adjustment is not None and adjustment.applied
    assert adjustment.value == pytest.approx(1 + 20 / 3 / 100)


async def test_vtn_adjustment_after_an_earlier_event_uses_the_moved_window_like_the_ven(vtn: Vtn):
    # the VEN: the office with a shed event at 12:00 PDT and one at 14:00 (OFFICE_EVENT)
    brain, plan = office_with_two_events()
    ven_adjustment = plan.baseline.adjustment
    first = OFFICE_EVENT - timedelta(hours=2)
    store = vtn.store
    for event_id, start in (("ev-a", first), ("ev-b", OFFICE_EVENT),
                            ("ev-c", first - timedelta(hours=2))):
        request = EventRequest(targets=EventTargets(ven_ids=("ven-1",)),
                               market_context="http://market.test/p",
                               signals=(signal(SignalName.SIMPLE, SignalType.LEVEL, 2, 2),),
                               start=start, duration=timedelta(hours=1))
        await store.events.create(request, event_id=event_id)
        await store.invitations.record_opt(event_id, "ven-1", modification_number=0,
                                           opt_type=OptType.OPT_IN)
    await store.events.cancel("ev-c")  # before its start (the VTN's clock is on 1 July)
    # what the VEN reports: usage and its (unadjusted outside events) baseline per quarter hour
    source = BuildingReadings(brain)
    readings = []
    for kind in (PointKind.USAGE, PointKind.BASELINE):
        for r in await source.read(kind, kind.value, OFFICE_EVENT - timedelta(hours=10),
                                   OFFICE_EVENT, QUARTER):
            assert isinstance(r.value, float)
            readings.append(reading(kind.value, r.start, r.value, duration=QUARTER))
    await store.reports.add_readings(readings)
    root = web.Application()
    root.add_subapp(API_ROOT, admin_app(vtn, token="t0ken"))
    client = TestClient(TestServer(root))
    await client.start_server()
    try:
        response = await client.get(f"{API_ROOT}/events/ev-b/performance",
                                    headers={"Authorization": "Bearer t0ken"})
        body = await response.json()
        assert response.status == 200, body
    finally:
        await client.close()
    (row,) = body["performance"]
    adjustment = row["baseline_adjustment"]
    # ev-a (opted in) moves the window to end 1 h before it; ev-c never ran and does not count
    assert (adjustment["window_start"], adjustment["window_end"], adjustment["window_moved"]) == (
        when(first - timedelta(hours=4)), when(first - timedelta(hours=1)), True)
    assert (ven_adjustment.window_start, ven_adjustment.window_end) == (
        first - timedelta(hours=4), first - timedelta(hours=1))
    assert adjustment["applied"] and adjustment["kind"] == "ratio"
    assert adjustment["value"] == pytest.approx(ven_adjustment.value, abs=1e-3)
    assert "moved back before earlier events to 15:00-18:00 UTC" in adjustment["text"]
    # the rule's own window (10:00-13:00 PDT) holds ev-a's shed: the ratio would drop
    unmoved = day_of_adjustment(OFFICE_EVENT, "caiso-10-in-10", readings)
    assert unmoved is not None and unmoved.value < 0.97 and not unmoved.moved


def test_vtn_moves_the_window_before_an_earlier_event_and_counts_what_ran():
    # 100 kW of baseline and usage over the 8 h before T0, except a shed to 50 kW in an
    # earlier event at T0 - 2 h (1 h): the rule's window holds it, the moved one does not
    readings = [r if r.report_type is ReportType.BASELINE or not
                T0 - 4 * HALF <= r.start < T0 - 2 * HALF
                else dataclasses.replace(r, value=50.0) for r in before_event(100, 100, hours=8)]
    unmoved = day_of_adjustment(T0, "caiso-10-in-10", readings)
    assert unmoved is not None and unmoved.value == pytest.approx(250 / 300)
    earlier = event(signal(SignalName.SIMPLE, SignalType.LEVEL, 2, 2), event_id="ev-0")
    earlier = dataclasses.replace(earlier, request=dataclasses.replace(
        earlier.request, start=T0 - 4 * HALF))
    period = active_period(earlier, T0)
    assert period == (T0 - 4 * HALF, T0 - 2 * HALF)
    moved = day_of_adjustment(T0, "caiso-10-in-10", readings, [period])
    assert moved is not None and moved.applied and moved.value == pytest.approx(1.0)
    assert (moved.window_start, moved.window_end, moved.moved) == (
        T0 - 12 * HALF, T0 - 6 * HALF, True)
    assert readings_from(T0, [period]) == T0 - 12 * HALF
    # cancelled after its start: up to the cancellation; before it: not at all
    stopped = dataclasses.replace(earlier, cancelled_at=T0 - 3 * HALF)
    assert active_period(stopped, T0) == (T0 - 4 * HALF, T0 - 3 * HALF)
    assert active_period(dataclasses.replace(earlier, cancelled_at=T0 - 5 * HALF), T0) is None
