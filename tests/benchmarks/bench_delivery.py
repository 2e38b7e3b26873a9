"""Benchmark: closed-loop delivery on the live path (VTN and VEN processes, simulated buildings,
simulated time), the three example buildings x a day of events x a summer and a winter day.

Per season one VTN (``python -m vtn serve``) and the office, hotel and home as VENs
(``python -m ven run``, plus a no-event twin of each), started by the demo's code
(``examples.demo.Demo``) with one shared simulated clock at ``--speed`` (default 300x). Each
building gets a SIMPLE level-2 event of one hour in four 15-minute intervals at every second
local hour of its day (00:00, 02:00 ... 22:00: 12 events; ``--odd`` takes 01:00 ... 23:00),
issued through ``oadr-vtn event create`` ``LEAD`` (simulated; ``--lead``) before it starts.
The hour after each event is its recovery and rebound hour; the next event starts right after.
The two seasons run in parallel (two VTNs, twelve VENs).

Per run (building x season x hour), from the VTN (``oadr-vtn performance EVENT --json``):

- requested: the VTN's requested shed, mean over the event [kW];
- expected: what the VEN said before the event it expects to deliver (its
  ``x-EXPECTED_DELIVERY`` report, as the VTN stored it) [% of requested]; "-" when it sent none;
- delivered: the VTN's measured shed (reported baseline - metered load) [kW] and [% of
  requested energy];
- baseline error: the VEN's reported baseline vs the no-event load of the same building over
  the event [kW, %]. The no-event load is a twin: one more VEN process per building
  (``<building>-twin``, same building file, seed 0 and clock, started with the others, with its
  always-on energy manager) on the same VTN that no event targets; its metered usage as the
  VTN stored it. "vs no-event" is the shed against the twin (twin - actual) [% of requested];
- rebound: the peak 15-minute mean of the metered load in the hour after the event [kW], and
  its excess over the twin's peak in that hour [%].

Summary: among the runs whose expectation was to meet the request (expected >= 90 % or no
expectation sent), the share delivered within ±10 points of 100 % (target >= 90 %); among the
others, the share whose expected figure is within ±10 points of the delivered one.

Usage: ``python -m tests.benchmarks delivery`` (about 7 minutes wall);
``python -m tests.benchmarks.bench_delivery --quick`` or ``BENCH_QUICK=1`` (summer only, three
events per building: half the processes, about 6 minutes); ``--season summer`` one season
(half the processes: on a loaded machine the twelve VENs of both seasons may not start and
register within the demo's 90 s), ``--hours 16,18`` a few start hours for development,
``--speed 150`` when the machine is too loaded to keep up with 300x (the runs fall behind
their simulated clock: events arrive late, figures come in incomplete). Work files, logs and
``results.json`` go to ``var/bench-delivery/`` (a whole day of one season also to
``results-<season>-<even|odd>.json``); ``--combine FILE ...`` prints the table and summary of
saved runs together (the four days of a full sweep run one at a time).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from examples.demo import BUILDINGS, Demo, StepFailed, building_zones, ven_toml

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "var" / "bench-delivery"
SEASONS = {"summer": (2026, 7, 15), "winter": (2026, 1, 14)}  # Wednesdays (the office's date)
SPEED = 300.0
"""Simulated seconds per wall second [-]: a simulated hour in 12 s."""
EVENT = timedelta(hours=1)
INTERVALS = 4
LEAD = timedelta(hours=2)
"""Each event is issued this long (simulated) before it starts."""
BEFORE = timedelta(hours=4)
"""Simulated time run before the first event (the day-of adjustment's window)."""
AFTER = timedelta(hours=1)
"""The rebound hour after each event."""
STARTUP_S = 45.0
"""Wall time allowed for the processes to start and register [s]."""
SETTLE = timedelta(minutes=30)
"""Simulated time after the rebound hour before the run's figures are first read."""
GIVE_UP = timedelta(hours=3)
"""After this (simulated) past the rebound hour a run's figures are taken as they are."""
REPORT_EVERY_S = 900
"""The VENs send their readings every 15 simulated minutes (3 wall seconds at 300x) [s]."""
QUARTER = timedelta(minutes=15)
TOLERANCE = 10.0
"""± points."""
SMALL_KW = 1.0
"""Loads under this (the home at noon, its PV exporting) get no percentage errors [kW]."""


@dataclass
class RunResult:
    """One event's figures (kW, %); None where the VTN had none."""

    building: str
    season: str
    hour: int  # local start hour
    start: datetime
    event_id: str
    requested_kw: float | None = None
    expected_pct: float | None = None
    expected_kw: float | None = None
    delivered_kw: float | None = None
    delivered_pct: float | None = None
    baseline_kw: float | None = None
    twin_kw: float | None = None  # no-event load over the event
    rebound_kw: float | None = None  # peak 15-minute mean in the hour after
    twin_peak_kw: float | None = None  # no-event peak in the hour after
    data_points: int = 0

    @property
    def baseline_error_kw(self) -> float | None:
        if self.baseline_kw is None or self.twin_kw is None:
            return None
        return self.baseline_kw - self.twin_kw

    @property
    def baseline_error_pct(self) -> float | None:
        """Baseline error [% of the no-event load]; None under ``SMALL_KW`` of load."""
        error = self.baseline_error_kw
        if error is None or self.twin_kw is None or abs(self.twin_kw) < SMALL_KW:
            return None
        return 100 * error / abs(self.twin_kw)

    @property
    def actual_kw(self) -> float | None:
        if self.baseline_kw is None or self.delivered_kw is None:
            return None
        return self.baseline_kw - self.delivered_kw

    @property
    def true_pct(self) -> float | None:
        """The shed against the no-event twin (twin - actual) [% of requested]."""
        actual = self.actual_kw
        if actual is None or self.twin_kw is None or not self.requested_kw:
            return None
        return 100 * (self.twin_kw - actual) / self.requested_kw

    @property
    def rebound_excess_kw(self) -> float | None:
        if self.rebound_kw is None or self.twin_peak_kw is None:
            return None
        return self.rebound_kw - self.twin_peak_kw

    @property
    def rebound_excess_pct(self) -> float | None:
        """Rebound above the no-event peak [%]; None under ``SMALL_KW`` of peak."""
        excess = self.rebound_excess_kw
        if excess is None or self.twin_peak_kw is None or abs(self.twin_peak_kw) < SMALL_KW:
            return None
        return 100 * excess / abs(self.twin_peak_kw)

    @property
    def planned_to_meet(self) -> bool:
        return self.expected_pct is None or self.expected_pct >= 100 - TOLERANCE


@dataclass
class SeasonDemo(Demo):
    """The demo's processes for one season; its steps printed with the season's name."""

    label: str = ""

    def step(self, text: str, *, doing: str | None = None) -> None:
        self.doing = doing or text
        say(f"[{self.label}] {text}")


@dataclass
class Season:
    """One season's VTN and VENs in simulated time, and its events."""

    name: str
    hours: tuple[int, ...]
    speed: float
    out: Path
    lead: timedelta = LEAD
    poll_cache: bool = True
    results: list[RunResult] = field(default_factory=list)
    vens: dict[str, str] = field(default_factory=dict)
    twins: dict[str, str] = field(default_factory=dict)  # building -> its twin's VEN ID
    error: str | None = None
    demo: Demo | None = None

    def plan(self) -> list[tuple[str, int, datetime]]:
        """(building, local hour, UTC start) of every event, in start order."""
        zones = building_zones()
        day = SEASONS[self.name]
        office = datetime(*day, tzinfo=ZoneInfo(zones["office"]))
        events = []
        for name in BUILDINGS:
            zone = ZoneInfo(zones[name])
            local_day = office.astimezone(zone).replace(hour=0, minute=0)
            first = office.astimezone(zone)  # the building's 24 hours from the office's midnight
            for hour in self.hours:
                start = local_day.replace(hour=hour)
                if start < first:
                    start += timedelta(days=1)
                events.append((name, hour, start.astimezone(UTC)))
        return sorted(events, key=lambda e: e[2])

    def run(self) -> None:
        try:
            self._run()
        except (StepFailed, OSError, ValueError) as exc:
            self.error = f"{exc}"
            if isinstance(exc, StepFailed) and exc.log is not None:
                self.error += f" (log {exc.log})"
        finally:
            if self.demo is not None:
                self.demo.stop()

    def _run(self) -> None:
        events = self.plan()
        demo = SeasonDemo(out=self.out, targets=BUILDINGS, speed=self.speed,
                          event_start=events[0][2], before=BEFORE, startup_s=STARTUP_S,
                          report_every_s=REPORT_EVERY_S, label=self.name)
        self.demo = demo
        port, _ = demo.prepare()
        if not self.poll_cache:  # every poll reads the database ([polls] cache = false)
            path = demo.out / "vtn.toml"
            path.write_text(path.read_text("utf-8").replace("[polls]\n",
                                                            "[polls]\ncache = false\n", 1),
                            "utf-8")
        demo.start_vtn(port)
        self.start_twins(demo, port)
        self.vens = demo.start_vens()
        self.wait_twins(demo)
        clock = demo.clock
        pending = list(events)
        issued: list[RunResult] = []
        tried: dict[str, datetime] = {}  # event -> when its figures were last read (simulated)

        def issue_due() -> None:
            """Issue every event whose notice has come (first, so that reading figures on a
            loaded machine does not hold an event back)."""
            now = clock.now()
            while pending and pending[0][2] - self.lead <= now:
                name, hour, start = pending.pop(0)
                if start - now < timedelta(minutes=5):
                    raise StepFailed(f"{name} {hour:02d}:00 could not be issued in time "
                                     f"(simulated {now:%H:%M} UTC): lower --speed")
                event = demo.vtn_cli("event", "create", "--ven", self.vens[name], "--signal",
                                     "SIMPLE", "--level", "2", "--start", start.isoformat(),
                                     "--duration", f"{int(EVENT.total_seconds())}s",
                                     "--intervals", str(INTERVALS))
                issued.append(RunResult(name, self.name, hour, start, event["event_id"]))

        while pending or issued:
            demo.check_children()
            issue_due()
            now = clock.now()
            for run in [r for r in issued if r.start + EVENT + AFTER + SETTLE <= now
                        and now - tried.get(r.event_id, now - QUARTER) >= QUARTER]:
                issue_due()
                now = clock.now()
                tried[run.event_id] = now
                late = run.start + EVENT + AFTER + GIVE_UP <= now
                if self._collect(demo, run) or late:
                    issued.remove(run)
                    self.results.append(run)
                    say(f"[{self.name}] {_line(run)}" + (" (readings incomplete)" if late
                                                         and not self._complete(run) else ""))
            time.sleep(0.5)

    def start_twins(self, demo: Demo, port: int) -> None:
        """One more VEN per building, never targeted: the same building file, seed and clock
        (started with the others), so its load is the building's no-event load."""
        for name in BUILDINGS:
            twin = f"{name}-twin"
            text = ven_toml(demo.out, name, f"http://127.0.0.1:{port}/OpenADR2/Simple/2.0b",
                            report_s=demo.report_s, poll_s=demo.poll_s)
            text = text.replace(f'name = "{name}"', f'name = "{twin}"').replace(
                f"{name}.sqlite", f"{twin}.sqlite")
            path = demo.out / "ven" / f"{twin}.toml"
            path.write_text(text + demo.clock_table(), "utf-8")
            demo.start(twin, ["-m", "ven", "run", "--config", str(path)])

    def wait_twins(self, demo: Demo) -> None:
        wanted = {f"{name}-twin" for name in BUILDINGS}

        def registered() -> bool:
            vens = demo.vtn_cli("ven", "list")["vens"]
            self.twins.update({v["ven_name"].removesuffix("-twin"): v["ven_id"] for v in vens
                               if v["ven_name"] in wanted})
            return len(self.twins) == len(wanted)

        demo.wait("the no-event twins to register", registered, 90.0)

    @staticmethod
    def _complete(run: RunResult) -> bool:
        return (run.data_points >= INTERVALS and run.requested_kw is not None
                and None not in (run.rebound_kw, run.twin_kw, run.twin_peak_kw))

    def _collect(self, demo: Demo, run: RunResult) -> bool:
        """Read the run's figures from the VTN; whether they are complete (the VTN stores the
        readings some wall seconds after they are taken)."""
        rows = demo.vtn_cli("performance", run.event_id)["performance"]
        row = next((r for r in rows if r["ven_id"] == self.vens[run.building]), None)
        if row is not None:
            run.requested_kw = row["requested_kw"]
            run.expected_pct = row.get("expected_pct")
            run.expected_kw = row.get("expected_kw")
            run.delivered_kw = row["reduction_kw"]
            run.delivered_pct = row["delivered_pct"]
            run.baseline_kw = row["baseline_kw"]
            run.data_points = row["data_points"]
        end = run.start + EVENT
        readings = demo.vtn_cli("report", "export", "--ven", self.vens[run.building],
                                "--from", end.isoformat(), "--to",
                                (end + AFTER).isoformat())["readings"]
        run.rebound_kw = _peak(readings, end, end + AFTER)
        twin = demo.vtn_cli("report", "export", "--ven", self.twins[run.building], "--from",
                            run.start.isoformat(), "--to", (end + AFTER).isoformat())["readings"]
        run.twin_kw = _mean(twin, run.start, end)
        run.twin_peak_kw = _peak(twin, end, end + AFTER)
        last = (end + AFTER - QUARTER, end + AFTER)  # the hour after is in when its last
        return (self._complete(run) and bool(_quarters(readings, *last))  # quarter is
                and bool(_quarters(twin, *last)))


def _kw(reading: dict[str, Any]) -> float:
    scale = {"k": 1.0, "M": 1000.0}.get(reading["scale"], 0.001)
    return float(reading["value"]) * scale


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _quarters(readings: list[dict[str, Any]], start: datetime, end: datetime) -> list[float]:
    """15-minute means of the metered usage in [start, end) [kW]."""
    quarters: dict[int, list[float]] = {}
    for r in readings:
        if r["report_type"] != "usage" or r["item_units"] != "W":
            continue
        at = _time(r["start"])
        if start <= at < end:
            quarters.setdefault((at - start) // QUARTER, []).append(_kw(r))
    return [sum(v) / len(v) for _, v in sorted(quarters.items()) if v]


def _mean(readings: list[dict[str, Any]], start: datetime, end: datetime) -> float | None:
    """Mean metered usage over [start, end) [kW] (mean of its quarter-hours)."""
    means = _quarters(readings, start, end)
    return sum(means) / len(means) if means else None


def _peak(readings: list[dict[str, Any]], start: datetime, end: datetime) -> float | None:
    """Highest 15-minute mean of the metered usage in [start, end) [kW]."""
    means = _quarters(readings, start, end)
    return max(means) if means else None


def _f(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _line(run: RunResult) -> str:
    return (f"{run.building:<6} {run.hour:02d}:00  requested {_f(run.requested_kw)} kW  "
            f"expected {_f(run.expected_pct, 0)} %  delivered {_f(run.delivered_kw)} kW "
            f"({_f(run.delivered_pct, 0)} %)  rebound peak {_f(run.rebound_kw)} kW")


HEAD = ("building", "season", "hour", "requested kW", "expected %", "delivered kW",
        "delivered %", "baseline kW", "no-event kW", "baseline err kW", "baseline err %",
        "actual kW", "vs no-event %", "rebound kW", "no-event peak kW", "rebound excess %")


def table(results: list[RunResult]) -> list[list[str]]:
    rows = []
    for r in sorted(results, key=lambda r: (r.building, r.season, r.hour)):
        rows.append([r.building, r.season, f"{r.hour:02d}:00", _f(r.requested_kw),
                     _f(r.expected_pct, 0), _f(r.delivered_kw), _f(r.delivered_pct, 0),
                     _f(r.baseline_kw), _f(r.twin_kw), _f(r.baseline_error_kw),
                     _f(r.baseline_error_pct), _f(r.actual_kw), _f(r.true_pct, 0),
                     _f(r.rebound_kw), _f(r.twin_peak_kw), _f(r.rebound_excess_pct, 0)])
    return rows


def summary(results: list[RunResult]) -> list[str]:
    met = [r for r in results if r.planned_to_meet and r.delivered_pct is not None]
    short = [r for r in results if not r.planned_to_meet and r.delivered_pct is not None]
    ok_met = [r for r in met if abs(r.delivered_pct - 100) <= TOLERANCE]  # type: ignore[operator]
    ok_short = [r for r in short
                if abs(r.expected_pct - r.delivered_pct) <= TOLERANCE]  # type: ignore[operator]
    lines = [
        f"runs: {len(results)} ({len(met)} expected to meet the request, {len(short)} expected "
        f"to fall short, {len(results) - len(met) - len(short)} without a delivered figure: "
        "nothing requested or no readings)",
        f"expected to meet: delivered within ±{TOLERANCE:.0f} points in {len(ok_met)}/{len(met)}"
        f" = {_share(ok_met, met)} (target >= 90 %)",
        f"expected to fall short: expected within ±{TOLERANCE:.0f} points of delivered in "
        f"{len(ok_short)}/{len(short)} = {_share(ok_short, short)} (target >= 90 %)",
    ]
    big = [r for r in met + short if abs(r.requested_kw or 0.0) >= SMALL_KW]
    if len(big) < len(met) + len(short):
        big_met = [r for r in big if r.planned_to_meet]
        big_short = [r for r in big if not r.planned_to_meet]
        lines.append(f"without requests under {SMALL_KW:g} kW (the home at night): "
                     f"{len([r for r in big_met if r in ok_met])}/{len(big_met)} = "
                     f"{_share([r for r in big_met if r in ok_met], big_met)} and "
                     f"{len([r for r in big_short if r in ok_short])}/{len(big_short)} = "
                     f"{_share([r for r in big_short if r in ok_short], big_short)}")
    delivered = [r.delivered_pct for r in results if r.delivered_pct is not None]
    if delivered:
        lines.append(f"delivered (against the reported baseline): median "
                     f"{statistics.median(delivered):.0f} %, range "
                     f"{min(delivered):.0f}-{max(delivered):.0f} %")
    true = [p for r in results if (p := r.true_pct) is not None]
    if true:
        near = sum(abs(p - 100) <= TOLERANCE for p in true)
        lines.append(f"shed against the no-event twin: median {statistics.median(true):.0f} % "
                     f"of requested, within ±{TOLERANCE:.0f} points in {near}/{len(true)}")
    for name in (*BUILDINGS, None):
        errors = sorted(abs(e) for r in results if (e := r.baseline_error_pct) is not None
                        and name in (None, r.building))
        if errors:
            p90 = errors[min(len(errors) - 1, int(0.9 * len(errors)))]
            lines.append(f"|baseline error| {name or 'all'}: median "
                         f"{statistics.median(errors):.1f} %, 90th percentile {p90:.1f} % "
                         f"({len(errors)} runs with >= {SMALL_KW:g} kW of no-event load)")
    excess = [e for r in results if (e := r.rebound_excess_pct) is not None]
    if excess:
        worse = sum(e > TOLERANCE for e in excess)
        lines.append(f"rebound peak in the hour after vs the no-event peak: median "
                     f"{statistics.median(excess):+.0f} %, worst {max(excess):+.0f} %, more "
                     f"than {TOLERANCE:.0f} % above it in {worse}/{len(excess)} runs")
    above = [r for r in results if r.rebound_kw is not None and r.baseline_kw is not None
             and r.rebound_kw > r.baseline_kw]
    lines.append(f"rebound peak above the event's baseline: {len(above)}/{len(results)} runs")
    return lines


def _share(part: list[RunResult], whole: list[RunResult]) -> str:
    return f"{100 * len(part) / len(whole):.0f} %" if whole else "n/a"


def render(rows: list[list[str]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(HEAD) + " |", "|" + "---|" * len(HEAD)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def say(text: str) -> None:
    print(text, flush=True)


def run_all(seasons: tuple[str, ...], hours: tuple[int, ...], speed: float,
            lead: timedelta = LEAD, poll_cache: bool = True) -> list[Season]:
    """Every season in parallel; their results."""
    runs = [Season(name, hours, speed, OUT / name, lead, poll_cache) for name in seasons]
    threads = [threading.Thread(target=s.run, name=f"delivery-{s.name}") for s in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return runs


def load_results(path: Path) -> list[RunResult]:
    """The runs a ``results*.json`` file holds (as ``main`` writes them)."""
    rows = json.loads(path.read_text("utf-8"))
    return [RunResult(**{**row, "start": datetime.fromisoformat(row["start"])}) for row in rows]


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print its table (``python -m tests.benchmarks delivery``)."""
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.bench_delivery")
    parser.add_argument("--quick", action="store_true",
                        help="summer only, events at 10:00, 14:00 and 18:00 local")
    parser.add_argument("--odd", action="store_true", help="events at the odd local hours")
    parser.add_argument("--speed", type=float, default=SPEED)
    parser.add_argument("--lead", type=float, default=LEAD.total_seconds() / 60,
                        help="notice of each event [simulated min] (default %(default)g)")
    parser.add_argument("--season", choices=tuple(SEASONS), help="only this season")
    parser.add_argument("--no-poll-cache", action="store_true",
                        help="the VTN reads every poll from its database ([polls] cache = "
                             "false)")
    parser.add_argument("--hours", help="only these local start hours, e.g. 16,18 (a subset "
                        "for development; the events still follow each other)")
    parser.add_argument("--combine", nargs="+", metavar="FILE", type=Path,
                        help="run nothing: print the table and summary of saved runs (the "
                             "results-<season>-<even|odd>.json files earlier runs wrote)")
    args = parser.parse_args([] if argv is None and __name__ != "__main__" else argv)
    if args.combine:
        saved = [load_results(path) for path in args.combine]
        combined = [r for runs in saved for r in runs]
        print(render(table(combined)))
        print()
        for line in summary(combined):
            say(line)
        return
    args.quick = args.quick or os.environ.get("BENCH_QUICK") == "1"
    seasons: tuple[str, ...] = ("summer",) if args.quick else tuple(SEASONS)
    if args.season:
        seasons = (args.season,)
    hours = (10, 14, 18) if args.quick else tuple(range(1 if args.odd else 0, 24, 2))
    if args.hours:
        hours = tuple(sorted({int(h) % 24 for h in args.hours.split(",")}))
    began = time.monotonic()
    say(f"seasons {', '.join(seasons)}; events at local {', '.join(f'{h:02d}' for h in hours)}"
        f":00, issued {args.lead:g} min ahead; speed {args.speed:g}x; work files in {OUT}")
    runs = run_all(seasons, hours, args.speed, timedelta(minutes=args.lead),
                   not args.no_poll_cache)
    results = [r for s in runs for r in s.results]
    wall = time.monotonic() - began
    OUT.mkdir(parents=True, exist_ok=True)
    saved = json.dumps([{**asdict(r), "start": r.start.isoformat()} for r in results], indent=1)
    (OUT / "results.json").write_text(saved, "utf-8")
    if not args.hours and not args.quick:  # a whole day of one kind: kept for --combine
        name = f"results-{'-'.join(seasons)}-{'odd' if args.odd else 'even'}.json"
        (OUT / name).write_text(saved, "utf-8")
    print()
    print(render(table(results)))
    print()
    for line in summary(results):
        say(line)
    say(f"wall time {wall:.0f} s ({len(seasons)} season(s) in parallel, {args.speed:g}x)")
    for season in runs:
        if season.error:
            say(f"[{season.name}] FAILED: {season.error}")


if __name__ == "__main__":
    main(sys.argv[1:])
