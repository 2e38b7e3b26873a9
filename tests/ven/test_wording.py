"""What the VEN tells an operator: plans in set points they use, with the sign right."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from ven.brain.dryrun import dry_run, make_signal, parse_start
from ven.brain.words import actions
from ven.devices.commands import Setpoint
from ven.devices.config import load_building
from ven.devices.model import HvacZone
from ven.dispatch.commands import plan_to_commands

BUILDINGS = Path(__file__).resolve().parents[2] / "examples" / "buildings"


def plan_of(name: str, start: str, level: int = 3):
    building = BUILDINGS / f"{name}.toml"
    tz = load_building(building).timezone
    signal = make_signal("SIMPLE", start=parse_start(start, tz), duration=timedelta(hours=1),
                         intervals=1, level=level, delta_kw=None, setpoint_kw=None)
    return dry_run(building, [signal])


def commanded_offsets(run) -> dict[str, list[float]]:
    """Set point sent to each HVAC zone during the event minus its normal set point [°C],
    recomputed from the commands the plan turns into."""
    plan = run.plan
    zones = {d.id: d for d in run.building.devices if isinstance(d, HvacZone)}
    found: dict[str, list[float]] = {}
    in_event = np.asarray(plan.request.in_event, dtype=bool)
    for moment, inside in zip(plan.request.index, in_event, strict=True):
        if not inside:
            continue
        for command in plan_to_commands(plan.plan, run.building, moment.to_pydatetime()):
            if isinstance(command, Setpoint) and command.device_id in zones:
                found.setdefault(command.device_id, []).append(
                    command.celsius - zones[command.device_id].setpoint_c)
    return found


def test_a_zone_left_alone_is_not_a_set_point_change():
    # January evening: the cooling-mode zones float well below their set point; the plan
    # does not touch them, so no "set point" may be reported (it used to say -9.9 °C)
    run = plan_of("home", "2026-01-15T18:00")
    assert commanded_offsets(run) == {}
    assert not [a for a in actions(run.plan, run.building) if "HVAC" in a]


def test_cooling_set_points_are_raised_by_what_is_commanded():
    run = plan_of("office", "2026-07-15T15:00")
    offsets = commanded_offsets(run)
    assert offsets and all(v > 0 for values in offsets.values() for v in values)
    (line,) = [a for a in actions(run.plan, run.building) if "HVAC" in a]
    found = re.fullmatch(r"HVAC set points raised by up to (\d+\.\d) °C on (\d+) zones? "
                         r"\(cooling\)", line)
    assert found, line
    top = max(v for values in offsets.values() for v in values)
    assert float(found[1]) == round(top, 1)
    assert int(found[2]) == len(offsets)


# ---- log noise: durations, plurals, report deliveries, log timestamps --------------------------


def test_durations_and_counts_in_words():
    from ven.wording import duration_words, plural

    assert duration_words(timedelta(seconds=10)) == "10 s"
    assert duration_words(timedelta(minutes=5)) == "5 min"
    assert duration_words(timedelta(hours=1, minutes=30)) == "1 h 30 min"
    assert duration_words(timedelta(hours=2)) == "2 h"
    assert duration_words(timedelta(minutes=1, seconds=30)) == "1 min 30 s"
    assert plural(1, "value") == "1 value" and plural(3, "value") == "3 values"


def test_a_one_value_report_is_not_one_values():
    from common.messages.report import Report, ReportPayload
    from common.messages.types import Interval
    from ven.client.reporting import update_report_item

    window = (datetime(2026, 7, 15, 18, 0, tzinfo=UTC), datetime(2026, 7, 15, 18, 1, tzinfo=UTC))
    one = Report(report_request_id="rr-1", report_specifier_id="spec-1", report_id="r-1",
                 created_date_time=window[1], dtstart=window[0], duration=timedelta(minutes=1),
                 intervals=(Interval(payloads=(ReportPayload(r_id="usage", value=1.5),),
                                     dtstart=window[0], duration=timedelta(minutes=1)),))
    assert update_report_item("ven-1", one, window)[2].endswith("(1 value)")


async def test_report_deliveries_are_summarised_at_info_at_most_every_15_min(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    from common.clock import ManualClock
    from common.messages.poll import Poll
    from common.messages.report import UpdatedReport
    from common.messages.types import EiResponse
    from common.xml import encode
    from ven.client.config import RetryPolicy
    from ven.client.outbox import OutboxSender
    from ven.client.store import Store

    class Acknowledging:
        async def request(self, service, message):
            return UpdatedReport(response=EiResponse(response_code=200, request_id="r"),
                                 ven_id="ven-1")

    clock = ManualClock(datetime(2026, 7, 15, 18, 0, tzinfo=UTC))
    store = await Store.open(tmp_path / "ven.sqlite")
    sender = OutboxSender(store=store, exchange=Acknowledging(), clock=clock,
                          retry=RetryPolicy())
    caplog.set_level(logging.DEBUG, logger="ven.client")
    try:
        for minute in range(30):  # two reports a minute for half an hour
            await store.commit(outbox=[
                ("EiReport", "update_report", f"report usage minute {minute}",
                 encode(Poll(ven_id="ven-1"))),
                ("EiReport", "update_report", f"report status minute {minute}",
                 encode(Poll(ven_id="ven-1")))], now=clock.now())
            await sender.deliver("ven-1")
            clock.advance(timedelta(minutes=1))
    finally:
        await store.close()
    info = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    debug = [r for r in caplog.records if r.levelno == logging.DEBUG
             and r.getMessage().startswith("Delivered report")]
    assert len(debug) == 60
    assert len(info) == 2, info  # the first delivery at once, then every 15 min at most
    assert info[0].startswith("Delivered 1 report to the VTN since 2026-07-15 18:00:00 UTC")
    assert info[1].startswith("Delivered 30 reports to the VTN since 2026-07-15 18:00:00 UTC")


def test_run_log_lines_carry_their_zone():
    from ven.cli import _log_formatter

    record = logging.LogRecord("ven", logging.INFO, __file__, 1, "hello", None, None)
    record.created = datetime(2026, 7, 15, 18, 0, 5, tzinfo=UTC).timestamp()
    assert _log_formatter(as_json=False).format(record) == (
        "2026-07-15T18:00:05.000+00:00 INFO hello")
    entry = json.loads(_log_formatter(as_json=True).format(record))
    assert entry["time"] == "2026-07-15T18:00:05.000+00:00"


async def test_a_report_backlog_never_holds_back_the_poll_or_event_answers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    """Each report takes the VTN 2 s; with a 10 s budget a round sends 5 of 30 reports, the
    event answer queued behind them still goes out, and the rest wait, in order."""
    from common.clock import ManualClock
    from common.messages.poll import Poll
    from common.messages.report import UpdatedReport
    from common.messages.types import EiResponse
    from common.xml import encode
    from ven.client.config import RetryPolicy
    from ven.client.outbox import OutboxSender
    from ven.client.store import Store

    clock = ManualClock(datetime(2026, 7, 15, 18, 0, tzinfo=UTC))
    sent: list[str] = []

    class Slow:
        async def request(self, service, message):
            sent.append(service)
            clock.advance(timedelta(seconds=2))
            return UpdatedReport(response=EiResponse(response_code=200, request_id="r"),
                                 ven_id="ven-1")

    store = await Store.open(tmp_path / "ven.sqlite")
    sender = OutboxSender(store=store, exchange=Slow(), clock=clock, retry=RetryPolicy())
    caplog.set_level(logging.INFO, logger="ven.client")
    try:
        await store.commit(outbox=[
            ("EiReport", "update_report", f"report {n}", encode(Poll(ven_id="ven-1")))
            for n in range(30)] + [
            ("EiEvent", "created_event", "answer", encode(Poll(ven_id="ven-1")))],
            now=clock.now())
        delivered, _ = await sender.deliver("ven-1", report_budget=timedelta(seconds=10))
        assert delivered == 6 and sent == ["EiReport"] * 5 + ["EiEvent"]
        left = await store.outbox(due_at=clock.now())
        assert [item.label for item in left] == [f"report {n}" for n in range(5, 30)]
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1 and warnings[0].startswith("25 reports wait for the next")
        for _ in range(5):  # 5 more rounds empty the backlog; the warning is not repeated
            await sender.deliver("ven-1", report_budget=timedelta(seconds=10))
        assert await store.outbox(due_at=clock.now()) == []
        assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1
        assert caplog.records[-1].getMessage().startswith("The report backlog is sent")
    finally:
        await store.close()
