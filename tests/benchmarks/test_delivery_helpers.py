"""The closed-loop delivery benchmark's helpers: the event plan, the rebound peak, the summary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from examples.demo import building_zones
from tests.benchmarks.bench_delivery import RunResult, Season, _peak, summary


def test_every_building_gets_each_local_hour_once_within_one_day(tmp_path: Path) -> None:
    hours = tuple(range(0, 24, 2))
    for season in ("summer", "winter"):
        events = Season(season, hours, 300.0, tmp_path).plan()
        assert [e[2] for e in events] == sorted(e[2] for e in events)
        assert max(e[2] for e in events) - min(e[2] for e in events) < timedelta(hours=24)
        zones = building_zones()
        for name in ("office", "hotel", "home"):
            mine = [(hour, start) for n, hour, start in events if n == name]
            assert sorted(h for h, _ in mine) == list(hours)
            for hour, start in mine:
                local = start.astimezone(ZoneInfo(zones[name]))
                assert (local.hour, local.minute) == (hour, 0)


def _reading(at: datetime, kw: float, kind: str = "usage") -> dict[str, object]:
    return {"report_type": kind, "item_units": "W", "start": at.isoformat(), "value": kw,
            "scale": "k"}


def test_rebound_peak_is_the_highest_quarter_hour_mean_inside_the_window() -> None:
    start = datetime(2026, 7, 15, 22, tzinfo=UTC)
    minute = timedelta(minutes=1)
    readings = [_reading(start + k * minute, 10.0) for k in range(60)]
    readings += [_reading(start + timedelta(minutes=15) + k * minute, 40.0) for k in range(5)]
    readings.append(_reading(start - minute, 999.0))  # before the window
    readings.append(_reading(start + timedelta(hours=1), 999.0))  # after it
    readings.append(_reading(start, 999.0, kind="baseline"))  # not the meter
    peak = _peak(readings, start, start + timedelta(hours=1))
    assert peak == (10.0 * 15 + 40.0 * 5) / 20  # the 15-minute quarter with the extra readings


def _run(expected: float | None, delivered: float | None) -> RunResult:
    return RunResult("office", "summer", 14, datetime(2026, 7, 15, 21, tzinfo=UTC), "e",
                     requested_kw=10.0, expected_pct=expected, delivered_pct=delivered)


def test_summary_splits_runs_by_what_the_plan_expected() -> None:
    runs = [_run(100, 95), _run(None, 120), _run(50, 55), _run(40, 80), _run(100, None)]
    lines = summary(runs)
    assert "2 expected to meet the request, 2 expected to fall short, 1 without" in lines[0]
    assert "1/2 = 50 %" in lines[1]  # 95 within ±10 points of 100; 120 not
    assert "1/2 = 50 %" in lines[2]  # 55 within ±10 of 50; 80 not within ±10 of 40
