"""``make demo``: the VTN and the three example buildings as VENs, in separate processes, through
one short demand-response event, then the VTN's performance table and a chart.

    .venv/bin/python -m examples.demo [--targets hotel,home] [--keep] [--mqtt [--broker URL]]

1. writes the configurations into ``var/demo/`` (SQLite files, logs and results go there too);
2. starts the VTN (``python -m vtn serve --plain-http``) on a free port;
3. starts the office, hotel and home buildings as VENs (``python -m ven run --config ...``),
   each polling every 2 s and reporting usage and baseline every minute;
4. waits until all three have registered (``oadr-vtn ven list --json``);
5. issues a SIMPLE level-2 event for two of them through the CLI (``oadr-vtn event create``),
   starting at the next whole minute at least 20 s away, 2 minutes in 2 intervals;
6. lets the VENs answer, plan, act and report until the VTN holds every interval;
7. prints the per-building table from ``oadr-vtn performance EVENT_ID --json``, writes
   ``var/demo/performance.png`` (baseline, target and actual kW per building), ``.json`` and
   ``.csv``, and stops every process (SIGTERM, then SIGKILL after 10 s).

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

Real time is unavoidable (separate processes); the whole run takes three to four minutes. A
failure ends it with the step that failed, the last lines of the failing process's log and
exit status 1. The buildings' loads follow their local clocks (California and Berlin), so how
much each can shed depends on when the demo runs. The planning-only dry runs of the example
buildings are ``python -m examples.plan_events``.
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

from common.wording import duration_words

ROOT = Path(__file__).resolve().parent.parent
BUILDINGS_DIR = ROOT / "examples" / "buildings"
OUT_DIR = ROOT / "var" / "demo"
BUILDINGS = ("office", "hotel", "home")
DEFAULT_TARGETS = ("hotel", "home")
STEPS = 7
POLL_S = 2
EVENT = timedelta(minutes=2)
INTERVALS = 2
LEAD = timedelta(seconds=20)
STOP_GRACE_S = 10.0
REGISTER_TIMEOUT_S = 90.0
REPORT_TIMEOUT = timedelta(minutes=2, seconds=30)
MQTT_BROKER = "mqtt://127.0.0.1:1883"
MQTT_STALE_S = 30  # a simulated device silent this long is offline [s]
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

    # ---- plumbing --------------------------------------------------------------------------

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
        (self.out / "vtn.toml").write_text(vtn_toml(self.out, port, admin_port), "utf-8")
        for name in BUILDINGS:
            mqtt = None if self.broker is None else (self.broker, f"{self.mqtt_prefix}/{name}")
            (self.out / "ven" / f"{name}.toml").write_text(
                ven_toml(self.out, name, f"http://127.0.0.1:{port}/OpenADR2/Simple/2.0b",
                         mqtt=mqtt, api_port=self.api_ports[name]), "utf-8")
        return port, admin_port

    def start_simulators(self) -> list[Child]:
        """--mqtt: one MQTT building simulator per building (none without a broker)."""
        if self.broker is None:
            return []
        return [self.start(f"{name}-devices", [
            "-m", "ven.devices.mqttsim", "--building", str(BUILDINGS_DIR / f"{name}.toml"),
            "--broker", self.broker, "--prefix", f"{self.mqtt_prefix}/{name}"])
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
        now = datetime.now(UTC)
        start = ceil_minute(now + LEAD)
        args = ["event", "create", *[a for n in self.targets for a in ("--ven", vens[n])],
                "--signal", "SIMPLE", "--level", "2", "--start", start.isoformat(),
                "--duration", f"{int(EVENT.total_seconds())}s", "--intervals", str(INTERVALS)]
        event = self.vtn_cli(*args)
        left_out = [n for n in BUILDINGS if n not in self.targets]
        self.step(f"event {event['event_id']} issued through the CLI: SIMPLE level 2 for "
                  f"{' and '.join(self.targets)} at {start:%H:%M:%S} UTC for "
                  f"{duration_words(EVENT)} ({INTERVALS} intervals); "
                  f"{', '.join(left_out) or 'none'} not targeted")
        say(f"      `python -m vtn {' '.join(args)}`")
        return event

    def follow(self, event: dict[str, Any], vens: dict[str, str]) -> dict[str, Any]:
        event_id = event["event_id"]
        start = datetime.fromisoformat(event["start"].replace("Z", "+00:00"))
        end = start + EVENT
        self.step("the VENs answer, plan, act and report; waiting for every interval")
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
            if datetime.now(UTC) < end:
                return False
            result.update(self.vtn_cli("performance", event_id))
            rows = {p["ven_id"]: p for p in result["performance"]}
            return set(rows) >= expected and all(
                rows[v]["data_points"] >= INTERVALS for v in expected)

        def progress() -> str:
            now = datetime.now(UTC)
            if now < start:
                return f"event starts in {math.ceil((start - now).total_seconds() / 10) * 10} s"
            if now < end:
                left = timedelta(seconds=math.ceil((end - now).total_seconds() / 15) * 15)
                return f"event active, about {duration_words(max(left, timedelta(0)))} left"
            return "event over; waiting for the readings of its last interval"

        wait_s = (end - datetime.now(UTC) + REPORT_TIMEOUT).total_seconds()
        self.wait("the readings of every interval", complete, wait_s, progress)
        return result

    def finish(self, performance: dict[str, Any], vens: dict[str, str]) -> None:
        self.step("results")
        names = {v: n for n, v in vens.items()}
        print()
        print(performance_text(performance, names))
        (self.out / "performance.json").write_text(json.dumps(performance, indent=2), "utf-8")
        csv_text = subprocess.run(
            [self.python, "-m", "vtn", "performance", performance["event_id"], "--csv",
             "--config", str(self.out / "vtn.toml")],
            cwd=ROOT, capture_output=True, text=True, timeout=60, check=True).stdout
        (self.out / "performance.csv").write_text(csv_text, "utf-8")
        readings = {v: self.vtn_cli("report", "export", "--ven", v)["readings"]
                    for v in vens.values()}
        chart = write_chart(performance, readings, names, self.out / "performance.png")
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


def ceil_minute(moment: datetime) -> datetime:
    floor = moment.replace(second=0, microsecond=0)
    return floor if floor == moment else floor + timedelta(minutes=1)


def vtn_toml(out: Path, port: int, admin_port: int) -> str:
    """The VTN's configuration: plain HTTP on `port`, SQLite in `out`, short polls."""
    lines = [
        'vtn_id = "DEMO-VTN"', 'host = "127.0.0.1"', f"port = {port}", "plain_http = true",
        f'state_dir = "{out}"',
        f'database_url = "sqlite+aiosqlite:///{out / "vtn.sqlite"}"',
        'market_contexts = ["http://demo.oadr-pair.example/dr"]',
        "[polls]", f"frequency = {POLL_S}",
        "[reports]", "granularity = 60", "back_duration = 60",
        "[admin]", f"port = {admin_port}", f'token_file = "{out / "admin-token"}"',
    ]
    return "\n".join(lines) + "\n"


def ven_toml(out: Path, name: str, url: str, *, mqtt: tuple[str, str] | None = None,
             api_port: int | None = None) -> str:
    """A VEN's configuration: plain HTTP to the VTN, the example building, short polls; with
    `mqtt` = (broker URL, topic prefix) the building's devices and meter are on that broker;
    with `api_port` its building API and dashboard on that loopback port."""
    if api_port is not None:
        api_table = (f'\n[api]\nport = {api_port}\n'
                       f'token_file = "{out / "ven" / f"{name}-api-token"}"\n')
    else:
        api_table = ""
    devices = "" if mqtt is None else (
        f'\n[mqtt]\nurl = "{mqtt[0]}"\nprefix = "{mqtt[1]}"\nmeter = "meter"\n'
        f"stale_after = {MQTT_STALE_S}\n")
    return f"""\
[vtn]
url = "{url}"
allow_plain_http = true

[ven]
name = "{name}"
database = "{out / "ven" / f"{name}.sqlite"}"
building = "{BUILDINGS_DIR / f"{name}.toml"}"
poll_interval_s = {POLL_S}

[reports]
min_sampling_s = 60
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
    lines.append("")
    lines.append("requested = the programme's share of the baseline (SIMPLE level 2: 20 %); "
                 "achieved = baseline - actual;")
    lines.append("delivered = achieved / requested energy over the event; target = baseline "
                 "- requested (means over the event).")
    return "\n".join(lines)


def write_chart(performance: dict[str, Any], readings: dict[str, list[dict[str, Any]]],
                names: dict[str, str], path: Path) -> Path:
    """Baseline, target and actual kW over time, one panel per building (PNG, Agg)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import DateFormatter, MinuteLocator
    from matplotlib.figure import Figure

    rows = {p["ven_id"]: p for p in performance["performance"]}
    vens = sorted(readings, key=lambda v: names.get(v, v))
    fig = Figure(figsize=(9, 2.8 * len(vens)), layout="constrained")
    FigureCanvasAgg(fig)
    start = _time(performance["performance"][0]["start"]) if performance["performance"] else None
    for k, ven_id in enumerate(vens):
        ax = fig.add_subplot(len(vens), 1, k + 1)
        curves: tuple[tuple[str, str, dict[str, Any]], ...] = (
            ("baseline", "baseline", {}), ("usage", "actual", {"linewidth": 2}))
        for kind, label, style in curves:
            points = sorted((_time(r["start"]), _kw(r)) for r in readings[ven_id]
                            if r["report_type"] == ("baseline" if kind == "baseline" else "usage")
                            and r["item_units"] == "W")
            if points:
                xs = [t for t, _ in points] + [points[-1][0] + timedelta(minutes=1)]
                ys = [v for _, v in points] + [points[-1][1]]
                ax.step(xs, ys, where="post", label=label, **style)  # type: ignore[arg-type]  # datetimes: matplotlib converts them, its stubs omit them
        row = rows.get(ven_id)
        if row and row["intervals"]:
            xs = [_time(i["start"]) for i in row["intervals"]]
            xs.append(xs[-1] + _duration(row["intervals"][-1]["duration"]))
            ys = [i["target_kw"] for i in row["intervals"]]
            ax.step(xs, [*ys, ys[-1]], where="post", linestyle="--", label="target")  # type: ignore[arg-type]  # datetimes, as above
        if start is not None and row:
            ax.axvspan(_time(row["start"]), _time(row["end"]), alpha=0.1, label="event")  # type: ignore[arg-type]  # datetimes, as above
        title = names.get(ven_id, ven_id)
        if row:
            pct = row["delivered_pct"]
            title += f" ({row['participation']}" + ("" if pct is None else f", {pct:.0f} %") + ")"
        ax.set_title(title)
        ax.set_ylabel("kW")
        ax.xaxis.set_major_locator(MinuteLocator())
        ax.xaxis.set_major_formatter(DateFormatter("%H:%M"))
        ax.legend(loc="upper left", fontsize="small")
    fig.axes[-1].set_xlabel("UTC")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    return path


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _duration(text: str) -> timedelta:
    from common.xml.lexical import read_duration

    return read_duration(text)


_SCALE = {"k": 1.0, "M": 1000.0, "none": 0.001, None: 0.001}


def _kw(reading: dict[str, Any]) -> float:
    return float(reading["value"]) * _SCALE.get(reading["scale"], 1.0)


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
    demo = Demo(out=args.out.resolve(), targets=targets,
                broker=args.broker if args.mqtt else None)
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
