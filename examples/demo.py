"""``make demo``: the VTN and the three example buildings as VENs, in separate processes, through
a one-hour demand-response event in simulated time, then the VTN's performance and a chart.

    .venv/bin/python -m examples.demo [--targets office,home] [--speed 120] [--event-start ISO]
                                      [--keep] [--mqtt [--broker URL]]

The VTN, the VENs and their simulated buildings share one simulated clock running ``--speed``
times faster than the wall clock (``[clock]`` in every configuration: the same start and speed,
so they agree without talking). Every protocol time (events, reports, ReplayProtect), every poll
interval and report period is in simulated time; at 120x a simulated hour lasts 30 s.

1. writes the configurations into ``var/demo/`` (SQLite files, logs and results go there too);
2. starts the VTN (``python -m vtn serve --plain-http``) on a free port;
3. starts the office, hotel and home buildings as VENs (``python -m ven run --config ...``),
   each polling once a wall second and reporting usage and baseline minute by minute, every 5
   simulated minutes, from about 4 1/2 simulated hours before the event (the baselines' day-of
   adjustment looks at the 3 hours ending an hour before it);
4. waits until all three have registered (``oadr-vtn ven list --json``);
5. issues a SIMPLE level-2 event for two of them through the CLI (``oadr-vtn event create``):
   one hour in four 15-minute intervals, at 18:00 in California on 15 July 2026 by default
   (``--event-start``), over 4 hours ahead;
6. lets the VENs answer, plan, act and report through the event and the hour after it, until
   the VTN holds every interval;
7. prints the per-building table from ``oadr-vtn performance EVENT_ID --json`` and each
   targeted building's 15-minute intervals, writes ``var/demo/performance.png`` (baseline,
   target and actual kW per building, from an hour before the event to an hour after it, in
   the building's local time), ``.json`` and ``.csv``, and stops every process (SIGTERM, then
   SIGKILL after 10 s).

Once the VENs have registered it prints the dashboards' URLs: the VTN's at ``/admin/ui`` on
the admin listener (log in with the contents of ``var/demo/admin-token``) and each building's
at ``/ui`` on its building API (``[api]`` on a free port; token in
``var/demo/ven/<building>-api-token``). At the end it keeps everything up until Enter when
stdin is a terminal, or until Ctrl-C with ``--keep``; without a terminal (CI) it stops at once.

With ``--mqtt`` the buildings' devices are not simulated inside the VENs: step 3 also starts
one MQTT building simulator per building (``python -m ven.devices.mqttsim``, topics under
``demo/<building>/``) and each VEN drives its building through the Mosquitto broker
(``--broker``, default mqtt://127.0.0.1:1883; the demo stops at once, exit status 1, when it is
not reachable), reporting the usage of the simulator's meter.

The processes run in real time at ``--speed`` (about three and a half minutes at 120x). A
failure ends it with the step that failed, the last lines of the failing process's log and
exit status 1. The buildings' loads follow their local clocks (California and Spain) in
simulated time, so each run shows the same hour of the same day. The planning-only dry runs
of the example buildings are ``python -m examples.plan_events``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from common.clock import Clock, ScaledClock, SystemClock
from common.wording import duration_words

ROOT = Path(__file__).resolve().parent.parent
BUILDINGS_DIR = ROOT / "examples" / "buildings"
OUT_DIR = ROOT / "var" / "demo"
BUILDINGS = ("office", "hotel", "home")
DEFAULT_TARGETS = ("office", "home")
STEPS = 7
POLL_S = 2  # wall-clock mode (speed 1) [s]
SPEED = 120.0
"""How many times faster than the wall clock the demo's simulated time runs [-]."""
EVENT_START = datetime(2026, 7, 16, 1, 0, tzinfo=UTC)
"""The event's simulated start: 18:00 on 15 July in California (03:00 on the 16th in Spain)."""
EVENT = timedelta(hours=1)
INTERVALS = 4
BEFORE = timedelta(hours=4)
"""Simulated time the VENs run and report before the event: the day-of baseline adjustment's
window (3 hours ending an hour before the event) is then covered by readings."""
SHOWN_BEFORE = timedelta(hours=1)
"""How much of the time before the event the chart shows."""
AFTER = timedelta(hours=1)
"""Simulated time followed after the event (the rebound; shown in the chart)."""
STARTUP_S = 25.0
"""Wall time allowed for the VTN and the VENs to start and register [s]: simulated time starts
this long (times the speed) before the hour before the event."""
NOTICE = timedelta(minutes=5)
"""The event is not issued with less notice than this (simulated); else the demo fails."""
LEAD = timedelta(seconds=20)  # wall-clock mode: the event starts at least this long ahead
STOP_GRACE_S = 10.0
REGISTER_TIMEOUT_S = 90.0
REPORT_TIMEOUT = timedelta(minutes=2, seconds=30)
MQTT_BROKER = "mqtt://127.0.0.1:1883"
MQTT_STALE_S = 30  # a simulated device silent this long is offline [s]
MQTT_STEP_S = 30.0  # in simulated time the MQTT simulators step this often [simulated s]
"""How long after the event's end the VTN may wait for the last interval's readings."""


class StepFailed(Exception):
    """A step of the demo failed; `log` is the log of the process to blame, if any."""

    def __init__(self, message: str, log: Path | None = None) -> None:
        super().__init__(message)
        self.log = log


@dataclass
class Child:
    """A process the demo started, with its log file."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def check(self) -> None:
        """``StepFailed`` if the process has exited."""
        code = self.process.poll()
        if code is not None:
            raise StepFailed(f"{self.name} exited with status {code}", self.log)


@dataclass
class Demo:
    """The running demo: its directory, the processes and the step counter."""

    out: Path
    targets: tuple[str, ...]
    python: str = sys.executable
    children: list[Child] = field(default_factory=list)
    step_no: int = 0
    doing: str = "starting"
    began: float = field(default_factory=time.monotonic)
    broker: str | None = None  # --mqtt: the buildings' devices on this broker
    admin_port: int = 0
    api_ports: dict[str, int] = field(default_factory=dict)  # building -> its API's port
    mqtt_prefix: str = "demo"  # building `name`'s topics are <mqtt_prefix>/<name>/...
    event_length: timedelta = EVENT  # the event's duration (`intervals` intervals)
    intervals: int = INTERVALS
    lead: timedelta = LEAD  # wall-clock mode: the event starts at least this long ahead
    report_s: int = 60  # report granularity, VTN and VENs; in wall-clock mode the event starts
    # on a whole multiple of it [s]
    report_every_s: int | None = 300  # how often the VENs send reports (None: report_s) [s]
    speed: float = SPEED  # simulated time, this many times faster than the wall clock; 1: the
    # wall clock itself (no [clock] table; the event starts `lead` after it is issued)
    event_start: datetime | None = EVENT_START  # the event's simulated start (speed != 1;
    # None: `lead` after it is issued, on a whole interval)
    before: timedelta = BEFORE  # simulated time run before the event (speed != 1)
    after: timedelta = AFTER  # simulated time followed after the event's end
    startup_s: float = STARTUP_S  # wall time allowed to start and register [s]
    sim_start: datetime | None = None  # set by prepare(): the simulated time at `wall_start`
    wall_start: datetime | None = None

    # ---- plumbing --------------------------------------------------------------------------

    @property
    def simulated(self) -> bool:
        """True when the demo runs in simulated time (speed other than 1)."""
        return self.speed != 1

    @property
    def clock(self) -> Clock:
        """The clock the VTN and the VENs share (prepare() sets a simulated one's start)."""
        if self.sim_start is None or self.wall_start is None:
            return SystemClock()
        return ScaledClock(self.sim_start, self.speed, self.wall_start)

    @property
    def poll_s(self) -> int:
        """The VENs' poll interval: a wall second in simulated time [s of the clock]."""
        return max(POLL_S, round(self.speed)) if self.simulated else POLL_S

    def clock_table(self) -> str:
        """The ``[clock]`` table of every configuration ("" in wall-clock mode)."""
        if self.sim_start is None or self.wall_start is None:
            return ""
        return (f"\n[clock]\nspeed = {self.speed:g}\nstart = {_toml_time(self.sim_start)}\n"
                f"wall_start = {_toml_time(self.wall_start)}\n")

    def step(self, text: str, *, doing: str | None = None) -> None:
        """Announce the next step; `doing` names it in a failure message (default `text`)."""
        self.step_no += 1
        self.doing = doing or text
        say(f"[{self.step_no}/{STEPS}] {text}")

    def start(self, name: str, args: Sequence[str]) -> Child:
        log = self.out / "logs" / f"{name}.log"
        handle = log.open("wb")
        process = subprocess.Popen([self.python, *args], cwd=ROOT, stdout=handle,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   env={**os.environ, "PYTHONUNBUFFERED": "1"})
        handle.close()
        child = Child(name, process, log)
        self.children.append(child)
        return child

    def check_children(self) -> None:
        for child in self.children:
            child.check()

    def vtn_cli(self, *args: str) -> Any:
        """``oadr-vtn ARGS --config vtn.toml --json``; the parsed JSON."""
        command = [self.python, "-m", "vtn", *args, "--config", str(self.out / "vtn.toml"),
                   "--json"]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60,
                              check=False)
        if done.returncode != 0:
            raise StepFailed(f"`oadr-vtn {' '.join(args)}` failed: "
                             f"{(done.stderr or done.stdout).strip()}")
        return json.loads(done.stdout)

    def wait(self, what: str, ready: Callable[[], bool], timeout_s: float,
             show: Callable[[], str] | None = None) -> None:
        """Poll `ready` every second (and the processes) until it holds or time runs out."""
        deadline = time.monotonic() + timeout_s
        shown = ""
        while True:
            self.check_children()
            if ready():
                break
            if show is not None:
                text = show()
                if text != shown:
                    say(f"      {text}")
                    shown = text
            if time.monotonic() > deadline:
                raise StepFailed(f"timed out after {timeout_s:.0f} s waiting for {what}")
            time.sleep(1.0)

    def stop(self) -> None:
        """SIGTERM to every process (VENs first), then SIGKILL what is left after a grace."""
        for child in reversed(self.children):
            if child.process.poll() is None:
                child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        for child in reversed(self.children):
            try:
                child.process.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                say(f"      {child.name} did not stop within {STOP_GRACE_S:.0f} s; killing it")
                child.process.kill()
                child.process.wait()

    # ---- the steps -------------------------------------------------------------------------

    def prepare(self) -> tuple[int, int]:
        self.step(f"writing the configurations into {_show(self.out)}")
        for stale in ("logs", "ven"):
            shutil.rmtree(self.out / stale, ignore_errors=True)
        for pattern in ("vtn.sqlite*", "admin-token", "performance.*"):
            for path in self.out.glob(pattern):
                path.unlink()
        (self.out / "logs").mkdir(parents=True, exist_ok=True)
        (self.out / "ven").mkdir(parents=True, exist_ok=True)
        port, admin_port = free_port(), free_port()
        self.admin_port = admin_port
        self.api_ports = {name: free_port() for name in BUILDINGS}
        if self.simulated:  # simulated time starts now, startup and the hour before ahead
            self.wall_start = datetime.now(UTC).replace(microsecond=0)
            self.sim_start = ((self.event_start or EVENT_START) - self.before
                              - timedelta(seconds=self.startup_s * self.speed))
        every = self.report_every_s or self.report_s
        clock = self.clock_table()
        (self.out / "vtn.toml").write_text(vtn_toml(
            self.out, port, admin_port, report_s=self.report_s, poll_s=self.poll_s,
            report_every_s=every) + clock, "utf-8")
        for name in BUILDINGS:
            mqtt = None if self.broker is None else (self.broker, f"{self.mqtt_prefix}/{name}")
            (self.out / "ven" / f"{name}.toml").write_text(
                ven_toml(self.out, name, f"http://127.0.0.1:{port}/OpenADR2/Simple/2.0b",
                         mqtt=mqtt, api_port=self.api_ports[name], report_s=self.report_s,
                         poll_s=self.poll_s,
                         stale_s=round(MQTT_STALE_S * max(self.speed, 1.0))) + clock,
                "utf-8")
        return port, admin_port

    def start_simulators(self) -> list[Child]:
        """--mqtt: one MQTT building simulator per building (none without a broker)."""
        if self.broker is None:
            return []
        clock = [] if self.sim_start is None or self.wall_start is None else [
            "--speed", f"{self.speed:g}", "--sim-start", self.sim_start.isoformat(),
            "--wall-start", self.wall_start.isoformat(),  # a step every 30 simulated s:
            "--interval", f"{min(1.0, MQTT_STEP_S / self.speed):.3g}"]  # meters each minute
        return [self.start(f"{name}-devices", [
            "-m", "ven.devices.mqttsim", "--building", str(BUILDINGS_DIR / f"{name}.toml"),
            "--broker", self.broker, "--prefix", f"{self.mqtt_prefix}/{name}", *clock])
            for name in BUILDINGS]

    def start_vtn(self, port: int) -> Child:
        self.doing = "starting the VTN"
        vtn = self.start("vtn", ["-m", "vtn", "serve", "--config", str(self.out / "vtn.toml"),
                                 "--plain-http"])
        self.wait("the VTN to listen", lambda: listening(port), 30)
        self.wait("the VTN's admin API", lambda: self._admin_answers(), 30)
        self.step(f"VTN up on 127.0.0.1:{port} (log {_show(vtn.log)})", doing="VTN start")
        return vtn

    def show_dashboards(self) -> None:
        """Print the dashboards' URLs and where their tokens are."""
        say(f"      VTN dashboard: http://127.0.0.1:{self.admin_port}/admin/ui "
            f"(token: the contents of {_show(self.out / 'admin-token')})")
        for name, api_port in self.api_ports.items():
            say(f"      {name} building dashboard: http://127.0.0.1:{api_port}/ui (token: "
                f"{_show(self.out / 'ven' / f'{name}-api-token')})")

    def hold(self, keep: bool) -> None:
        """Keep everything up: until Enter on a terminal, until Ctrl-C with `keep`, not at all
        otherwise (CI)."""
        if sys.stdin.isatty():
            input("Everything stays up; press Enter to stop. ")
        elif keep:
            say("--keep: everything stays up; Ctrl-C stops it")
            while True:
                self.check_children()
                time.sleep(1.0)

    def _admin_answers(self) -> bool:
        try:
            self.vtn_cli("ven", "list")
        except StepFailed:
            return False
        return True

    def start_vens(self) -> dict[str, str]:
        self.step("starting the office, hotel and home buildings as VENs" + (
            "" if self.broker is None else f", their devices on MQTT ({self.broker})"))
        self.start_simulators()
        for name in BUILDINGS:
            self.start(name, ["-m", "ven", "run", "--config",
                              str(self.out / "ven" / f"{name}.toml")])
        found: dict[str, str] = {}

        def registered() -> bool:
            vens = self.vtn_cli("ven", "list")["vens"]
            found.update({v["ven_name"]: v["ven_id"] for v in vens if v["ven_name"] in BUILDINGS})
            if len(found) < len(BUILDINGS):
                return False
            offered = self.vtn_cli("report", "list")["subscriptions"]
            return {s["ven_id"] for s in offered} >= set(found.values())

        self.wait("3 VENs to register", registered, REGISTER_TIMEOUT_S,
                  lambda: f"waiting for {len(BUILDINGS)} VENs to register "
                          f"({len(found)}/{len(BUILDINGS)})…")
        self.step("all VENs registered: " + ", ".join(f"{n} = {found[n]}" for n in BUILDINGS),
                  doing="issuing the event")
        return found

    def issue_event(self, vens: dict[str, str]) -> dict[str, Any]:
        now = self.clock.now()
        if self.simulated and self.event_start is not None:
            start = self.event_start
            if start - now < NOTICE:
                raise StepFailed(f"the VENs registered at {now:%H:%M} UTC simulated time, too "
                                 f"late for an event at {start:%H:%M} UTC: starting took "
                                 f"longer than {self.startup_s:.0f} s (try a lower --speed)")
        elif self.simulated:
            start = ceil_step(now + self.lead, self.event_length / self.intervals)
        else:
            start = ceil_step(now + self.lead, timedelta(seconds=self.report_s))
        args = ["event", "create", *[a for n in self.targets for a in ("--ven", vens[n])],
                "--signal", "SIMPLE", "--level", "2", "--start", start.isoformat(),
                "--duration", f"{int(self.event_length.total_seconds())}s", "--intervals",
                str(self.intervals)]
        event = self.vtn_cli(*args)
        left_out = [n for n in BUILDINGS if n not in self.targets]
        zones = building_zones()
        local = ", ".join(f"{_local(start, zones[n])}-"
                          f"{_local(start + self.event_length, zones[n])} {zones[n]} ({n})"
                          for n in self.targets)
        self.step(f"event {event['event_id']} issued through the CLI at {now:%H:%M} UTC"
                  f"{' (simulated)' if self.simulated else ''}: SIMPLE level 2 for "
                  f"{' and '.join(self.targets)} at {start:%Y-%m-%d %H:%M:%S} UTC for "
                  f"{duration_words(self.event_length)} ({self.intervals} intervals); local "
                  f"time {local}; {', '.join(left_out) or 'none'} not targeted")
        say(f"      `python -m vtn {' '.join(args)}`")
        return event

    def follow(self, event: dict[str, Any], vens: dict[str, str]) -> dict[str, Any]:
        event_id = event["event_id"]
        start = datetime.fromisoformat(event["start"].replace("Z", "+00:00"))
        end = start + self.event_length
        watched = end + (self.after if self.simulated else timedelta(0))
        clock = self.clock
        self.step("the VENs answer, plan, act and report; waiting for every interval" + (
            f" and the {duration_words(self.after)} after the event" if watched > end else ""))
        answers: dict[str, str] = {}
        expected = {vens[n] for n in BUILDINGS}
        result: dict[str, Any] = {}

        def complete() -> bool:
            if len(answers) < len(self.targets):
                for r in self.vtn_cli("event", "responses", event_id)["responses"]:
                    if r["opt"] and r["ven_id"] not in answers:
                        answers[r["ven_id"]] = r["opt"]
                        name = next(n for n, v in vens.items() if v == r["ven_id"])
                        say(f"      {name} answered {r['opt']}")
            if clock.now() < watched:
                return False
            result.update(self.vtn_cli("performance", event_id))
            rows = {p["ven_id"]: p for p in result["performance"]}
            return set(rows) >= expected and all(
                rows[v]["data_points"] >= self.intervals for v in expected)

        def rounded(span: timedelta) -> str:
            return duration_words(max(step * math.ceil(span / step), timedelta(0)))

        zone = building_zones()[self.targets[0]]
        step = timedelta(seconds=10)

        def progress() -> str:
            nonlocal step
            now = clock.now()
            step = (timedelta(seconds=10) if not self.simulated else timedelta(minutes=30)
                    if now < start else self.event_length / self.intervals)
            at = (f"{_local(now - (now - start) % step, zone)} {zone} (simulated): "
                  if self.simulated else "")
            if now < start:
                return f"{at}event starts in about {rounded(start - now)}"
            if now < end:
                return f"{at}event active, about {rounded(end - now)} left"
            if now < watched:
                return f"{at}event over; watching the hour after it ({rounded(watched - now)} left)"
            return "waiting for the readings of the event's last interval"

        wait_s = ((watched - clock.now()).total_seconds() / self.speed
                  + REPORT_TIMEOUT.total_seconds())
        self.wait("the readings of every interval", complete, wait_s, progress)
        return result

    def finish(self, performance: dict[str, Any], vens: dict[str, str]) -> None:
        self.step("results")
        names = {v: n for n, v in vens.items()}
        print()
        print(performance_text(performance, names))
        print()
        print(interval_text(performance, names, building_zones(),
                            self.event_length / self.intervals))
        (self.out / "performance.json").write_text(json.dumps(performance, indent=2), "utf-8")
        csv_text = subprocess.run(
            [self.python, "-m", "vtn", "performance", performance["event_id"], "--csv",
             "--config", str(self.out / "vtn.toml")],
            cwd=ROOT, capture_output=True, text=True, timeout=60, check=True).stdout
        (self.out / "performance.csv").write_text(csv_text, "utf-8")
        readings = {v: self.vtn_cli("report", "export", "--ven", v)["readings"]
                    for v in vens.values()}
        first = performance["performance"][0]
        window = ((_time(first["start"]) - min(self.before, SHOWN_BEFORE),
                   _time(first["end"]) + self.after) if self.simulated else None)
        chart = write_chart(performance, readings, names, self.out / "performance.png",
                            zones=building_zones(), window=window,
                            interval=self.event_length / self.intervals)
        print()
        say(f"chart {_show(chart)}; rows {_show(self.out / 'performance.csv')} and .json; "
            f"logs in {_show(self.out / 'logs')}")


# ---- files, ports, text ------------------------------------------------------------------------


def say(text: str) -> None:
    print(text, flush=True)


def _show(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def free_port() -> int:
    """A TCP port free on the loopback interface right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def ceil_step(moment: datetime, step: timedelta) -> datetime:
    """`moment` rounded up to a whole multiple of `step` since the Unix epoch."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    past = (moment - epoch) % step
    return moment if not past else moment - past + step


def vtn_toml(out: Path, port: int, admin_port: int, *, report_s: int = 60,
             poll_s: int = POLL_S, report_every_s: int | None = None) -> str:
    """The VTN's configuration: plain HTTP on `port`, SQLite in `out`, polls every `poll_s`,
    readings every `report_s` sent every `report_every_s` (default `report_s`) [s]."""
    lines = [
        'vtn_id = "DEMO-VTN"', 'host = "127.0.0.1"', f"port = {port}", "plain_http = true",
        f'state_dir = "{out}"',
        f'database_url = "sqlite+aiosqlite:///{out / "vtn.sqlite"}"',
        'market_contexts = ["http://demo.oadr-pair.example/dr"]',
        "[polls]", f"frequency = {poll_s}",
        "[reports]", f"granularity = {report_s}",
        f"back_duration = {report_every_s or report_s}",
        "[admin]", f"port = {admin_port}", f'token_file = "{out / "admin-token"}"',
    ]
    return "\n".join(lines) + "\n"


def ven_toml(out: Path, name: str, url: str, *, mqtt: tuple[str, str] | None = None,
             api_port: int | None = None, report_s: int = 60, poll_s: int = POLL_S,
             stale_s: int = 30) -> str:
    """A VEN's configuration: plain HTTP to the VTN, the example building, short polls, reports
    sampled every `report_s` at the finest [s]; with `mqtt` = (broker URL, topic prefix) the
    building's devices and meter are on that broker; with `api_port` its building API and
    dashboard on that loopback port."""
    if api_port is not None:
        api_table = (f'\n[api]\nport = {api_port}\n'
                       f'token_file = "{out / "ven" / f"{name}-api-token"}"\n')
    else:
        api_table = ""
    devices = "" if mqtt is None else (
        f'\n[mqtt]\nurl = "{mqtt[0]}"\nprefix = "{mqtt[1]}"\nmeter = "meter"\n'
        f"stale_after = {stale_s}\n")
    return f"""\
[vtn]
url = "{url}"
allow_plain_http = true

[ven]
name = "{name}"
database = "{out / "ven" / f"{name}.sqlite"}"
building = "{BUILDINGS_DIR / f"{name}.toml"}"
poll_interval_s = {poll_s}

[reports]
min_sampling_s = {report_s}
{devices}{api_table}"""


def broker_reachable(url: str) -> bool:
    """Whether the MQTT broker of `url` (mqtt://host:port) accepts TCP connections."""
    from ven.devices.mqttconfig import broker_address

    host, port, _ = broker_address(url)
    try:
        with socket.create_connection((host, port), timeout=2.0):
            return True
    except OSError:
        return False


def _num(value: float | None, digits: int = 1, suffix: str = "") -> str:
    return "-" if value is None else f"{value:.{digits}f}{suffix}"


def performance_text(performance: dict[str, Any], names: dict[str, str]) -> str:
    """The per-building table of ``oadr-vtn performance --json``."""
    head = ["building", "event", "requested kW", "baseline kW", "target kW", "actual kW",
            "achieved kW", "delivered", "kWh", "points", "baseline confidence"]
    rows = [head]
    for p in sorted(performance["performance"], key=lambda p: names.get(p["ven_id"], "")):
        confidence = p["baseline_confidence"]
        rows.append([
            names.get(p["ven_id"], p["ven_id"]), p["participation"], _num(p["requested_kw"]),
            _num(p["baseline_kw"]), _num(p["target_kw"]), _num(p["actual_kw"]),
            _num(p["reduction_kw"]), _num(p["delivered_pct"], 0, " %"),
            _num(p["delivered_kwh"], 2),
            str(p["data_points"]),
            "-" if confidence is None else f"{confidence} % ({p['baseline_method']})",
        ])
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = []
    for k, row in enumerate(rows):
        lines.append("  ".join(c.ljust(w) if i in (0, 1, 10) else c.rjust(w)
                               for i, (c, w) in enumerate(zip(row, widths, strict=True)))
                     .rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    for p in sorted(performance["performance"], key=lambda p: names.get(p["ven_id"], "")):
        adjustment = p.get("baseline_adjustment")
        if adjustment is not None:  # the VTN's own computation, from the readings before
            lines.append(f"{names.get(p['ven_id'], p['ven_id'])} baseline: {adjustment['text']}")
    lines.append("")
    lines.append("requested = the programme's share of the baseline (SIMPLE level 2: 20 %); "
                 "achieved = baseline - actual;")
    lines.append("delivered = achieved / requested energy over the event; target = baseline "
                 "- requested (means over the event).")
    return "\n".join(lines)


def write_chart(performance: dict[str, Any], readings: dict[str, list[dict[str, Any]]],
                names: dict[str, str], path: Path, *, zones: dict[str, str] | None = None,
                window: tuple[datetime, datetime] | None = None,
                interval: timedelta | None = None) -> Path:
    """Baseline, target and actual power over time, one panel per building (PNG, Agg): the
    event shaded, its `interval`s marked, each panel in its building's local time (`zones`:
    building name -> IANA zone; UTC without), over `window` (default: what was read)."""
    from zoneinfo import ZoneInfo

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import AutoDateLocator, DateFormatter
    from matplotlib.figure import Figure

    rows = {p["ven_id"]: p for p in performance["performance"]}
    vens = sorted(readings, key=lambda v: names.get(v, v))
    fig = Figure(figsize=(10, 0.6 + 3.0 * len(vens)), layout="constrained")
    FigureCanvasAgg(fig)
    legend: tuple[list[Any], list[str]] = ([], [])
    for k, ven_id in enumerate(vens):
        name = names.get(ven_id, ven_id)
        zone_name = (zones or {}).get(name, "UTC")
        zone = ZoneInfo(zone_name)
        ax = fig.add_subplot(len(vens), 1, k + 1)
        row = rows.get(ven_id)
        if row:
            ax.axvspan(_time(row["start"]), _time(row["end"]), color="tab:orange", alpha=0.12,  # type: ignore[arg-type]  # datetimes: matplotlib converts them, its stubs omit them
                       label="event")
            mark = _time(row["start"]) + (interval or timedelta(0))
            while interval and mark < _time(row["end"]):
                ax.axvline(mark, color="tab:orange", alpha=0.5, linewidth=0.8)  # type: ignore[arg-type]  # datetimes, as above
                mark += interval
        curves: tuple[tuple[str, str, dict[str, Any]], ...] = (
            ("baseline", "baseline (reported by the VEN)", {"color": "tab:gray"}),
            ("usage", "actual (metered)", {"color": "tab:blue", "linewidth": 2}))
        for kind, label, style in curves:
            points = sorted((_time(r["start"]), _kw(r)) for r in readings[ven_id]
                            if r["report_type"] == kind and r["item_units"] == "W"
                            and (window is None or window[0] <= _time(r["start"]) < window[1]))
            if points:
                step = points[1][0] - points[0][0] if len(points) > 1 else timedelta(minutes=1)
                xs = [t for t, _ in points] + [points[-1][0] + step]
                ys = [v for _, v in points] + [points[-1][1]]
                ax.step(xs, ys, where="post", label=label, **style)  # type: ignore[arg-type]  # datetimes, as above
        if row and row["intervals"] and row["requested_kw"]:
            xs = [_time(i["start"]) for i in row["intervals"]]
            xs.append(xs[-1] + _duration(row["intervals"][-1]["duration"]))
            ys = [i["target_kw"] for i in row["intervals"]]
            ax.step(xs, [*ys, ys[-1]], where="post", linestyle="--", color="tab:red",  # type: ignore[arg-type]  # datetimes, as above
                    label="target (baseline - requested)")
        title = f"{name} ({zone_name})"
        if row:
            pct = row["delivered_pct"]
            title += f": {row['participation']}" + (
                "" if pct is None else f", delivered {pct:.0f} % of the requested energy")
        ax.set_title(title, loc="left", fontsize="medium")
        ax.set_ylabel("power [kW]")
        ax.set_xlabel(f"local time, {zone_name} [hh:mm]")
        if window is not None:
            ax.set_xlim(window[0], window[1])  # type: ignore[arg-type]  # datetimes, as above
        ax.xaxis.set_major_locator(AutoDateLocator(tz=zone, minticks=6, maxticks=14))
        ax.xaxis.set_major_formatter(DateFormatter("%H:%M", tz=zone))
        ax.set_ylim(bottom=min(0.0, ax.get_ylim()[0]))
        ax.grid(alpha=0.3)
        labelled = ax.get_legend_handles_labels()
        if len(labelled[1]) > len(legend[1]):  # one legend for all panels: the fullest one
            legend = labelled
    day = None
    if performance["performance"]:
        day = _time(performance["performance"][0]["start"])
    fig.suptitle("SIMPLE level-2 event" + (f" of {day:%d %B %Y} UTC" if day else "")
                 + ": baseline, target and actual load per building")
    if legend[1]:
        fig.legend(*legend, loc="outside lower center", ncols=len(legend[1]),
                   fontsize="small", frameon=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    return path


def building_zones() -> dict[str, str]:
    """Each example building's time zone (its file's ``timezone``), by building name."""
    import tomllib

    zones = {}
    for name in BUILDINGS:
        data = tomllib.loads((BUILDINGS_DIR / f"{name}.toml").read_text("utf-8"))
        zone = data.get("timezone", data.get("building", {}).get("timezone", "UTC"))
        zones[name] = zone if isinstance(zone, str) else "UTC"
    return zones


def _local(moment: datetime, zone: str) -> str:
    from zoneinfo import ZoneInfo

    return f"{moment.astimezone(ZoneInfo(zone)):%H:%M}"


def _toml_time(moment: datetime) -> str:
    """A TOML offset date-time (UTC, ``Z``)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def interval_text(performance: dict[str, Any], names: dict[str, str], zones: dict[str, str],
                  interval: timedelta) -> str:
    """Each targeted building's event intervals of `interval` (the event's signal intervals):
    mean baseline, target, actual and achieved [kW] and delivered [%] over the VTN's finer
    rows, at the buildings' local times."""
    lines: list[str] = []
    for p in sorted(performance["performance"], key=lambda p: names.get(p["ven_id"], "")):
        if not p.get("intervals") or not p["requested_kw"]:
            continue
        name = names.get(p["ven_id"], p["ven_id"])
        zone = zones.get(name, "UTC")
        start = _time(p["start"])
        groups: dict[int, list[dict[str, Any]]] = {}
        for row in p["intervals"]:
            groups.setdefault((_time(row["start"]) - start) // interval, []).append(row)
        lines.append(f"{name}, per {duration_words(interval)} interval (local time, {zone}):")
        lines.append(f"  {'interval':<13}  {'baseline kW':>11}  {'target kW':>9}  "
                     f"{'actual kW':>9}  {'achieved kW':>11}  {'delivered':>9}")
        for k in sorted(groups):
            rows = groups[k]
            begin = start + k * interval
            span = f"{_local(begin, zone)}-{_local(begin + interval, zone)}"
            mean = {key: _mean([r.get(key) for r in rows])
                    for key in ("baseline_kw", "target_kw", "actual_kw", "reduction_kw",
                                "requested_kw")}
            pct = (None if not mean["requested_kw"] or mean["reduction_kw"] is None
                   else 100 * mean["reduction_kw"] / mean["requested_kw"])
            lines.append(f"  {span:<13}  {_num(mean['baseline_kw']):>11}  "
                         f"{_num(mean['target_kw']):>9}  {_num(mean['actual_kw']):>9}  "
                         f"{_num(mean['reduction_kw']):>11}  {_num(pct, 0, ' %'):>9}")
    return "\n".join(lines)


def _mean(values: list[Any]) -> float | None:
    known = [float(v) for v in values if v is not None]
    return sum(known) / len(known) if known else None


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _duration(text: str) -> timedelta:
    from common.xml.lexical import read_duration

    return read_duration(text)


_SCALE = {"k": 1.0, "M": 1000.0, "none": 0.001, None: 0.001}


def _kw(reading: dict[str, Any]) -> float:
    return float(reading["value"]) * _SCALE.get(reading["scale"], 1.0)


def _aware(text: str) -> datetime:
    """An ISO 8601 time with its UTC offset (argparse type)."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} needs its UTC offset (e.g. ...T01:00Z)")
    return moment.astimezone(UTC)


def tail(path: Path | None, lines: int = 25) -> str:
    """The last `lines` lines of a log file."""
    if path is None or not path.exists():
        return ""
    text = path.read_text("utf-8", errors="replace").splitlines()
    return "\n".join(text[-lines:])


# ---- entry point -------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m examples.demo", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--targets", default=",".join(DEFAULT_TARGETS),
                        help="the buildings the event is for (comma-separated; default "
                             f"{','.join(DEFAULT_TARGETS)})")
    parser.add_argument("--speed", type=float, default=SPEED,
                        help="simulated time runs this many times faster than the wall clock "
                             "(default %(default)g: the 3 simulated hours in about 3 minutes)")
    parser.add_argument("--event-start", type=_aware, default=EVENT_START,
                        help="the event's simulated start, ISO 8601 with its offset (default "
                             f"{EVENT_START.isoformat()}, 18:00 in California)")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="working directory "
                        f"(default {_show(OUT_DIR)})")
    parser.add_argument("--keep", action="store_true", help="keep the VTN, the VENs and the "
                        "dashboards up at the end until Ctrl-C (with a terminal: until Enter)")
    parser.add_argument("--mqtt", action="store_true", help="the buildings' devices behind "
                        "MQTT building simulators, through the broker (see --broker)")
    parser.add_argument("--broker", default=MQTT_BROKER,
                        help="the MQTT broker of --mqtt (default %(default)s)")
    args = parser.parse_args(argv)
    targets = tuple(t.strip() for t in args.targets.split(",") if t.strip())
    if not targets or any(t not in BUILDINGS for t in targets):
        parser.error(f"--targets: choose among {', '.join(BUILDINGS)}")
    if args.mqtt and not broker_reachable(args.broker):
        say(f"demo: --mqtt needs an MQTT broker, and none answers at {args.broker} (start "
            "Mosquitto, e.g. `mosquitto -p 1883`, or pass --broker mqtt://HOST:PORT)")
        return 1
    if not (math.isfinite(args.speed) and args.speed > 1):
        parser.error("--speed: must be a number above 1 (simulated time)")
    demo = Demo(out=args.out.resolve(), targets=targets,
                broker=args.broker if args.mqtt else None, speed=args.speed,
                event_start=args.event_start)
    try:
        port, _ = demo.prepare()
        demo.start_vtn(port)
        vens = demo.start_vens()
        demo.show_dashboards()
        event = demo.issue_event(vens)
        performance = demo.follow(event, vens)
        demo.finish(performance, vens)
        demo.show_dashboards()
        demo.hold(args.keep)
    except (StepFailed, subprocess.SubprocessError, OSError, ValueError) as exc:
        log = exc.log if isinstance(exc, StepFailed) else None
        if log is None:  # blame a process that died, if one did
            log = next((c.log for c in demo.children if c.process.poll() not in (None, 0)),
                       None)
        say(f"\ndemo FAILED at step {max(demo.step_no, 1)}/{STEPS} ({demo.doing}): {exc}")
        if log is not None:
            say(f"last lines of {_show(log)}:\n{tail(log)}")
        demo.stop()
        return 1
    except KeyboardInterrupt:
        say("\ninterrupted; stopping")
        demo.stop()
        return 130
    say("stopping the VENs and the VTN")
    demo.stop()
    say(f"done in {time.monotonic() - demo.began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
