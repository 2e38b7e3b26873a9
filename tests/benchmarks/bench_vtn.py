"""VTN load benchmark: our VTN (SQLite) against openleadr's ``OpenADRServer``, same run.

Run: ``.venv/bin/python -m tests.benchmarks vtn`` (``--quick`` on the command line, or
``BENCH_QUICK=1``: 1,000 VENs only). About 8 minutes in full, 4 in quick mode.
``BENCH_VTN_ONLY=registration`` (or ``polls``) runs one part. The registration part
(``_vtn_registration``: ours on SQLite and PostgreSQL against openleadr) runs first.

Set-up (each server in its own process, plain HTTP on 127.0.0.1, no TLS, no signatures):

- ours: ``python -m vtn serve --config <tmp>/vtn.toml --log-level WARNING`` with the database
  a SQLite file in a temporary directory (persistence on: every poll reads the database and
  records ``last_seen_at``). 1,000 VENs register over HTTP (oadrCreatePartyRegistration, 64 at
  a time) and are then polled until their queued oadrRegisterReport is delivered; 10,000 VENs
  are seeded through the storage API before the server starts (``_seed_vtn``; registering
  them over HTTP would take minutes);
- openleadr 0.5.36: ``python -m tests.benchmarks._openleadr_server`` (accepts every
  registration, ``ven_lookup`` from a dict, everything in memory: no persistence); VENs
  register over HTTP.

The load generator (``_loadgen``) is one more process: a minimal keep-alive HTTP/1.1 client
over asyncio streams with pre-built requests (its CPU per poll is printed; it must stay far
below the server's). Per server and VEN count it measures:

- closed loop: 64 connections polling as fast as the server answers, cycling through the VENs
  (nothing pending: every reply must be an oadrResponse 200, else it counts as an error);
  polls/s, p50/p99 latency;
- open loop: 1,000 polls/s on a fixed schedule for a few seconds; p99 from the scheduled time
  (a server that falls behind is charged for the backlog); if it cannot keep up, the achieved
  rate is shown instead;
- fan-out (largest VEN count only): one event for all VENs (ours: the admin API, targets
  all; openleadr: ``add_event`` per VEN through a control route in its launcher), then every
  VEN polls in rounds until each one has received oadrDistributeEvent; seconds from the
  creation request until the last VEN has it. It stops after ``FANOUT_LIMIT_S``; then the
  table shows ``>T (~N?)``: the seconds run and an extrapolation at the delivery rate reached.

Each server runs ``POLL_ROUNDS`` times, the servers taking turns; the table keeps each one's
best closed-loop round (every round's rate is printed as it ends).

CPU: each server under test is pinned to one CPU and the load generator to another
(``sched_setaffinity`` before the process starts; its threads inherit it), the same CPU for
every server in turn, so that each gets at most one core and the generator never competes with
it. ``BENCH_PIN=S,G`` picks the server's and the generator's CPU (default: the last and the
first CPU this process may use), ``BENCH_PIN=off`` leaves placement to the kernel. Pinned, the
2-worker configuration (which needs more than one core) is left out unless ``BENCH_VTN_WORKERS=1``.
Anything else running on the machine may still run on either CPU: the cores each server
actually used and its CPU per poll are printed with the rates.

Paired closed loop (pinned runs, unless ``BENCH_VTN_PAIRED=0``): before the rounds in turn,
ours (one process) and openleadr run at the same time, both on the server CPU, each with its
own generator; both closed loops start at the same moment (``run_together``: the generators
wait at a barrier after registering and draining). The kernel gives both servers the same
share of that CPU whatever else runs, so the ratio of their rates is the ratio of what each
does with the same CPU: the fair polls/s comparison on a shared machine.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.network import free_port

PYTHON = sys.executable
ROOT = Path(__file__).resolve().parents[2]
PREFIX = "bench-ven-"
CONCURRENCY = 64
CLOSED_SECONDS = 8.0
WARMUP_SECONDS = 1.5
OPEN_RATE = 1000.0
OPEN_SECONDS = 6.0
OPEN_MAX_IN_FLIGHT = 256
REGISTER_OVER_HTTP_UP_TO = 1000
FANOUT_LIMIT_S = 90.0
"""Fan-out stops after this long; VENs that did not have the event by then are counted."""
STARTUP_LIMIT_S = 60.0
LOADGEN_SLACK_S = 120.0
POLL_SECONDS = 10
POLL_ROUNDS = 2
"""Each server is measured this many times, taking turns; the table keeps its best round (the
machine is shared: the best round is the one least disturbed by anything else running)."""


def _pin_setting() -> tuple[int, int] | None:
    """(server CPU, generator CPU) from ``BENCH_PIN``, or None: not pinned."""
    value = os.environ.get("BENCH_PIN", "").strip().lower()
    if value in ("off", "0", "no", "none"):
        return None
    if value:
        server, generator = (int(part) for part in value.split(","))
        return server, generator
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2:
        return None
    return available[-1], available[0]


GENERATOR_NICE = -5
"""Pinned load generators run at this niceness when the user may raise priority (root): the
generator of the faster server sends more requests on a CPU shared with other work, and must
not be what limits it."""

PIN = _pin_setting()
"""(server CPU, load generator CPU), or None (``BENCH_PIN=off`` or a single CPU)."""


def pinned(role: str) -> Callable[[], None] | None:
    """A ``preexec_fn`` that pins the child to the `role`'s CPU (``server`` or
    ``generator``), or None when not pinning."""
    if PIN is None:
        return None
    cpu = PIN[0] if role == "server" else PIN[1]

    def pin() -> None:
        os.sched_setaffinity(0, {cpu})
        if role == "generator":  # the measuring side must not be what limits a server
            with contextlib.suppress(OSError):
                os.nice(GENERATOR_NICE)

    return pin


def placement() -> str:
    """One line saying where the servers and the generator run."""
    if PIN is None:
        return "not pinned: the kernel places servers and generator on the shared CPUs"
    return (f"each server pinned to CPU {PIN[0]} (in turn, the same for all), the load "
            f"generator to CPU {PIN[1]}; other work on the machine may use either")


EVENT_INPUT = {
    "targets": {"all": True},
    "signal_name": "SIMPLE",
    "level": 1,
    "start": "+5m",
    "duration": "PT1H",
    "response_required": "never",
}


def wait_listening(port: int, process: subprocess.Popen, limit_s: float) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before listening")
        with socket.socket() as probe:
            probe.settimeout(0.5)
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {limit_s:.0f} s")


def stop(process: subprocess.Popen | None) -> None:
    """SIGTERM, then SIGKILL if it does not exit within 15 s."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@dataclass
class Server:
    """A running server process and how the generator reaches it."""

    name: str
    process: subprocess.Popen
    base: str
    fanout: dict[str, Any]
    register_over_http: bool
    drain: bool
    log: Path
    notes: list[str] = field(default_factory=list)


def start_ours(work: Path, vens: int, workers: int = 1, database_url: str | None = None) -> Server:
    """Our VTN on a SQLite file in `work` (or on `database_url`), `vens` VENs seeded if more
    than register over HTTP."""
    port = free_port()
    admin_port = free_port()  # a separate admin listener, kept off fixed ports
    url = database_url or f"sqlite+aiosqlite:///{work / 'vtn.sqlite'}"
    database = "SQLite" if url.startswith("sqlite") else "PostgreSQL"
    toml = (
        f"plain_http = true\nhost = \"127.0.0.1\"\nport = {port}\nworkers = {workers}\n"
        f"state_dir = {json.dumps(str(work))}\ndatabase_url = {json.dumps(url)}\n"
        f"[polls]\nfrequency = {POLL_SECONDS}\n"
        f"[admin]\nhost = \"127.0.0.1\"\nport = {admin_port}\n"
        f"token_file = {json.dumps(str(work / 'admin-token'))}\n"
    )
    (work / "vtn.toml").write_text(toml, encoding="utf-8")
    over_http = vens <= REGISTER_OVER_HTTP_UP_TO
    notes = []
    if not over_http:
        seeded = subprocess.run(
            [PYTHON, "-m", "tests.benchmarks._seed_vtn", url, PREFIX, str(vens), str(POLL_SECONDS)],
            cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
        )
        if seeded.returncode != 0:
            raise RuntimeError(f"seeding failed: {seeded.stderr[-2000:]}")
        notes.append(f"{vens} VENs seeded via the storage API in {float(seeded.stdout):.0f} s")
    log = work / "vtn.log"
    process = subprocess.Popen(
        [PYTHON, "-m", "vtn", "serve", "--config", str(work / "vtn.toml"),
         "--log-level", "WARNING"],
        cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
        preexec_fn=pinned("server"),
    )
    try:
        wait_listening(port, process, STARTUP_LIMIT_S)
        wait_listening(admin_port, process, STARTUP_LIMIT_S)
        token_file = work / "admin-token"
        for _ in range(100):
            if token_file.exists() and token_file.read_text().strip():
                break
            time.sleep(0.1)
        token = token_file.read_text(encoding="ascii").strip()
    except BaseException:
        stop(process)
        raise
    return Server(
        name=f"ours ({database})" if workers == 1 else f"ours ({database}, {workers} workers)",
        process=process,
        base=f"http://127.0.0.1:{port}/OpenADR2/Simple/2.0b",
        fanout={
            "url": f"http://127.0.0.1:{admin_port}/admin/api/v1/events",
            "json": EVENT_INPUT,
            "headers": {"Authorization": f"Bearer {token}"},
        },
        register_over_http=over_http,
        drain=over_http,
        log=log,
        notes=notes,
    )


def start_openleadr(work: Path, vens: int) -> Server:
    port = free_port()
    log = work / "openleadr.log"
    process = subprocess.Popen(
        [PYTHON, "-m", "tests.benchmarks._openleadr_server", "--port", str(port),
         "--poll-seconds", str(POLL_SECONDS)],
        cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
        preexec_fn=pinned("server"),
    )
    try:
        wait_listening(port, process, STARTUP_LIMIT_S)
    except BaseException:
        stop(process)
        raise
    return Server(
        name="openleadr 0.5.36 (memory)",
        process=process,
        base=f"http://127.0.0.1:{port}/OpenADR2/Simple/2.0b",
        fanout={"url": f"http://127.0.0.1:{port}/bench/event", "json": {}},
        register_over_http=True,
        drain=True,
        log=log,
    )


def run_loadgen(work: Path, server: Server, vens: int, *, fanout: bool) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "base": server.base,
        "server_pid": server.process.pid,
        "prefix": PREFIX,
        "vens": vens,
        "concurrency": CONCURRENCY,
        "register": server.register_over_http,
        "drain": server.drain,
        "register_limit_s": 240.0,
        "closed": {"seconds": CLOSED_SECONDS, "warmup": WARMUP_SECONDS},
        "open": {"rate": OPEN_RATE, "seconds": OPEN_SECONDS, "max_in_flight": OPEN_MAX_IN_FLIGHT},
    }
    if fanout:
        spec["fanout"] = {**server.fanout, "limit_s": FANOUT_LIMIT_S, "max_rounds": 10}
    path = work / f"spec-{server.process.pid}.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    limit = (spec["register_limit_s"] * 2 + CLOSED_SECONDS + OPEN_SECONDS + FANOUT_LIMIT_S
             + LOADGEN_SLACK_S)
    done = subprocess.run(
        [PYTHON, "-m", "tests.benchmarks._loadgen", str(path)],
        cwd=ROOT, capture_output=True, text=True, timeout=limit, check=False,
        preexec_fn=pinned("generator"),
    )
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(f"load generator failed ({done.returncode}): {done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(kind: str, vens: int, *, fanout: bool) -> tuple[Server | None, dict[str, Any]]:
    """Start one server, load it, stop it; (server, results) or (None, {"error": ...})."""
    with tempfile.TemporaryDirectory(prefix=f"bench-vtn-{kind}-") as tmp:
        work = Path(tmp)
        server: Server | None = None
        try:
            if kind == "openleadr":
                server = start_openleadr(work, vens)
            else:
                server = start_ours(work, vens, workers=2 if kind == "ours-2" else 1)
            results = run_loadgen(work, server, vens, fanout=fanout)
            if server.process.poll() is not None:
                results.setdefault("first_errors", []).append(
                    f"server exited with {server.process.returncode}")
            return server, results
        except Exception as exc:  # one failed configuration must not hide the others
            tail = ""
            if server is not None:
                with contextlib.suppress(OSError):
                    tail = server.log.read_text(errors="replace")[-1500:]
            return server, {"error": f"{type(exc).__name__}: {exc}", "log_tail": tail}
        finally:
            stop(server.process if server is not None else None)


PAIRED_START_S = 1.0
"""The paired closed loops start this long after both generators are ready (have registered
and drained their VENs) [s]."""


def run_together(servers: dict[str, Server], specs: dict[str, dict[str, Any]],
                 phases: tuple[str, ...], limit_s: float) -> dict[str, dict[str, Any]]:
    """One generator per server (``specs[kind]``, all pinned to the generator CPU), each of
    their `phases` (``register``, ``reregister``, ``closed``) started at the same moment once
    all are ready for it; each one's results (or ``{"error": ...}``) by kind."""
    generators: dict[str, subprocess.Popen] = {}
    go = next(iter(servers.values())).log.parent / "go"
    ready = {kind: server.log.parent / "ready" for kind, server in servers.items()}
    try:
        for kind, server in servers.items():
            spec = {**specs[kind], "together": {
                "phases": phases, "ready_file": str(ready[kind]), "go_file": str(go)}}
            path = server.log.parent / "spec-together.json"
            path.write_text(json.dumps(spec), encoding="utf-8")
            generators[kind] = subprocess.Popen(
                [PYTHON, "-m", "tests.benchmarks._loadgen", str(path)], cwd=ROOT,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                preexec_fn=pinned("generator"),
            )
        deadline = time.monotonic() + limit_s
        for phase in phases:
            while not all(Path(f"{path}.{phase}").exists() for path in ready.values()):
                if time.monotonic() > deadline or any(
                        g.poll() is not None for g in generators.values()):
                    break
                time.sleep(0.05)
            Path(f"{go}.{phase}").write_text(f"{time.time() + PAIRED_START_S:.3f}",
                                             encoding="utf-8")
        results: dict[str, dict[str, Any]] = {}
        for kind, generator in generators.items():
            out, err = generator.communicate(timeout=limit_s + LOADGEN_SLACK_S)
            if generator.returncode != 0 or not out.strip():
                results[kind] = {"error": f"load generator failed ({generator.returncode}): "
                                          f"{err[-1500:]}"}
            else:
                results[kind] = json.loads(out.strip().splitlines()[-1])
        return results
    finally:
        for generator in generators.values():
            if generator.poll() is None:
                generator.kill()
                generator.wait()


def paired_closed_loop(vens: int) -> dict[str, dict[str, Any]]:
    """Ours (one process) and openleadr at the same time, both pinned to the server CPU, each
    loaded by its own generator (both pinned to the generator CPU) in a closed loop that starts
    at the same moment: the kernel shares that CPU between the two servers alike, whatever
    else runs on the machine. Results by kind (``ours``, ``openleadr``)."""
    with contextlib.ExitStack() as stack:
        servers: dict[str, Server] = {}
        try:
            for kind in ("ours", "openleadr"):
                work = Path(stack.enter_context(
                    tempfile.TemporaryDirectory(prefix=f"bench-vtn-paired-{kind}-")))
                servers[kind] = (start_openleadr(work, vens) if kind == "openleadr"
                                 else start_ours(work, vens))
            specs = {kind: {
                "base": server.base, "server_pid": server.process.pid, "prefix": PREFIX,
                "vens": vens, "concurrency": CONCURRENCY,
                "register": server.register_over_http, "drain": server.drain,
                "register_limit_s": 240.0,
                "closed": {"seconds": CLOSED_SECONDS, "warmup": WARMUP_SECONDS},
            } for kind, server in servers.items()}
            return run_together(servers, specs, ("closed",), 2 * 240.0 + CLOSED_SECONDS)
        finally:
            for server in servers.values():
                stop(server.process)


def report_paired(rounds: list[dict[str, dict[str, Any]]], vens: int) -> None:
    """The paired closed loops, round by round, and the ratios ours / openleadr."""
    print(f"Paired closed loop, {vens:,} VENs: both servers at once on CPU "
          f"{PIN[0] if PIN else '-'}, each with its own generator on CPU "
          f"{PIN[1] if PIN else '-'}, {CONCURRENCY} connections each, {CLOSED_SECONDS:.0f} s")
    print("round  ours polls/s  openleadr polls/s  ratio  ours cores  openleadr cores  "
          "ours CPU µs/poll  openleadr CPU µs/poll  CPU ratio  ours p99 ms  openleadr p99 ms  "
          "generator cores (ours, openleadr)  late s  errors")
    for number, r in enumerate(rounds, 1):
        if any("error" in x for x in r.values()):
            print(f"{number}  failed: {[x.get('error', '')[:200] for x in r.values()]}")
            continue
        o, lr = r["ours"]["closed"], r["openleadr"]["closed"]
        o_cpu = o["server_cpu"] / o["per_second"] * 1e6 if o["per_second"] else float("nan")
        l_cpu = lr["server_cpu"] / lr["per_second"] * 1e6 if lr["per_second"] else float("nan")
        late = max(r["ours"].get("late_s", 0), r["openleadr"].get("late_s", 0))
        errors = r["ours"].get("errors", 0) + r["openleadr"].get("errors", 0)
        print(f"{number}  {o['per_second']:,.0f}  {lr['per_second']:,.0f}  "
              f"{_ratio(o['per_second'], lr['per_second'])}  {o['server_cpu']:.2f}  "
              f"{lr['server_cpu']:.2f}  {o_cpu:.0f}  {l_cpu:.0f}  {_ratio(l_cpu, o_cpu)}  "
              f"{o['p99_ms']:.1f}  {lr['p99_ms']:.1f}  "
              f"{o['generator_cpu']:.2f}, {lr['generator_cpu']:.2f}  {late:.1f}  {errors}")
        for kind in ("ours", "openleadr"):
            for e in r[kind].get("first_errors", [])[:3]:
                print(f"  {kind}: error: {e}")
    print()


# ---- report -------------------------------------------------------------------------------------


def _num(value: float | None, fmt: str) -> str:
    if value is None or value != value:  # None or NaN
        return "-"
    return format(value, fmt)


def _open_cell(o: dict[str, Any] | None) -> str:
    if not o:
        return "-"
    sustained = o["skipped"] == 0 and o["achieved_per_second"] >= 0.95 * o["rate"]
    if sustained:
        return f"{o['p99_ms']:.1f}"
    return f"n/a ({o['achieved_per_second']:.0f}/s)"


def _ratio(a: float | None, b: float | None) -> str:
    if not a or not b or a != a or b != b:
        return "-"
    return f"{a / b:.2f}x"


def report(rows: list[tuple[str, int, dict[str, Any]]], notes: list[str]) -> None:
    header = ("server", "VENs", "polls/s", "p50 ms", "p99 ms", "1000/s p99 ms", "fan-out s",
              "CPU ms/poll", "errors")
    table = []
    for name, vens, r in rows:
        if "error" in r:
            table.append((name, f"{vens:,}", "failed: " + r["error"][:60], "", "", "", "", "", ""))
            continue
        c = r.get("closed", {})
        f = r.get("fanout")
        fan = "-"
        if f:
            fan = _num(f.get("seconds"), ".1f")
            if f.get("missing"):  # stopped at the limit: extrapolate at the rate reached
                rate = f["delivered"] / f["elapsed"] if f.get("delivered") else 0
                fan = f">{f['elapsed']:.0f}" + (f" (~{vens / rate:.0f}?)" if rate else "")
        cpu = (c.get("server_cpu", float("nan")) / c["per_second"] * 1000
               if c and c.get("per_second") else None)
        table.append((
            name, f"{vens:,}", _num(c.get("per_second"), ".0f"), _num(c.get("p50_ms"), ".1f"),
            _num(c.get("p99_ms"), ".1f"), _open_cell(r.get("open")), fan, _num(cpu, ".2f"),
            str(r.get("errors", "-")),
        ))
    widths = [max(len(str(x)) for x in col) for col in zip(header, *table, strict=False)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    print(line.format(*header))
    print(line.format(*("-" * w for w in widths)))
    for t in table:
        print(line.format(*t))

    print()
    peers = {vens: r for name, vens, r in rows if name.startswith("openleadr")}
    for name, vens, ours in rows:
        if not name.startswith("ours"):
            continue
        ol = peers.get(vens, {})
        oc, lc = ours.get("closed", {}), ol.get("closed", {})
        of, lf = ours.get("fanout") or {}, ol.get("fanout") or {}
        fan = f", fan-out time {_ratio(of.get('seconds'), lf.get('seconds'))}" if of or lf else ""
        ours_cpu = oc.get("server_cpu", 0) / oc["per_second"] if oc.get("per_second") else None
        ol_cpu = lc.get("server_cpu", 0) / lc["per_second"] if lc.get("per_second") else None
        print(f"{name}/openleadr at {vens:,} VENs: polls/s "
              f"{_ratio(oc.get('per_second'), lc.get('per_second'))} (target >= 3x), server CPU "
              f"per poll {_ratio(ol_cpu, ours_cpu)} less, p99 "
              f"{_ratio(oc.get('p99_ms'), lc.get('p99_ms'))}{fan}; cores used "
              f"{_num(oc.get('server_cpu'), '.2f')} and {_num(lc.get('server_cpu'), '.2f')}")
    for name, vens, r in rows:
        o = r.get("open") or {}
        c = r.get("closed") or {}
        if o:
            print(f"{name} {vens:,}: open loop {o['rate']:.0f}/s -> "
                  f"{o['achieved_per_second']:.0f}/s achieved, p50 {_num(o['p50_ms'], '.1f')} ms, "
                  f"p99 {_num(o['p99_ms'], '.1f')} ms, {o['skipped']} not sent (over "
                  f"{OPEN_MAX_IN_FLIGHT} in flight)")
        if c:
            per_poll = 1e6 / c["per_second"] if c.get("per_second") else float("nan")
            print(f"{name} {vens:,}: closed loop CPU: server {c.get('server_cpu', 0):.2f} cores "
                  f"({_num(c.get('server_cpu', 0) * per_poll, '.0f')} µs/poll), generator "
                  f"{c.get('generator_cpu', 0):.2f} cores "
                  f"({_num(c.get('generator_cpu', 0) * per_poll, '.0f')} µs/poll)")
        if r.get("register"):
            g = r["register"]
            print(f"{name} {vens:,}: registration over HTTP {g['per_second']:.0f}/s")
        if r.get("fanout"):
            f = r["fanout"]
            print(f"{name} {vens:,}: fan-out: event created in {f.get('create_seconds', 0):.2f} s, "
                  f"{f.get('rounds')} round(s), {f.get('polls')} polls, {f.get('missing')} VENs "
                  f"without it after {f.get('elapsed', 0):.0f} s"
                  + (" (stopped at the limit; '~N?' extrapolates at the delivery rate reached)"
                     if f.get("missing") else ""))
        for e in r.get("first_errors", []):
            print(f"{name} {vens:,}: error: {e}")
        if "error" in r:
            print(f"{name} {vens:,}: FAILED: {r['error']}\n{r.get('log_tail', '')}")
    print()
    for n in notes:
        print(f"note: {n}")


def main() -> None:
    quick = "--quick" in sys.argv[1:] or os.environ.get("BENCH_QUICK", "") not in ("", "0")
    only = os.environ.get("BENCH_VTN_ONLY", "")
    if only not in ("", "registration", "polls"):
        raise SystemExit(f"BENCH_VTN_ONLY must be registration or polls, not {only!r}")
    if only != "polls":
        from tests.benchmarks import _vtn_registration

        _vtn_registration.main(quick)
    if only == "registration":
        return
    counts = [1000] if quick else [1000, 10000]
    print(f"VTN load: plain HTTP on 127.0.0.1 (no TLS, no XML signatures); {CONCURRENCY} "
          f"connections, closed loop {CLOSED_SECONDS:.0f} s, open loop {OPEN_RATE:.0f}/s for "
          f"{OPEN_SECONDS:.0f} s; fan-out at {counts[-1]:,} VENs; "
          f"{os.cpu_count()} CPUs shared by server and load generator", flush=True)
    rows: list[tuple[str, int, dict[str, Any]]] = []
    notes = [
        "server and load generator share this machine's CPUs (and with anything else running "
        "on it): throughput and latency are lower bounds; CPU ms/poll is the server's CPU "
        "(all threads) per poll in the closed loop",
        "ours persists to SQLite (WAL); openleadr keeps everything in memory",
        "both servers log at WARNING (openleadr: ERROR, as it warns per event without callback)",
    ]
    workers = PIN is None or os.environ.get("BENCH_VTN_WORKERS", "") not in ("", "0")
    kinds = ("ours", "ours-2", "openleadr") if workers else ("ours", "openleadr")
    notes.append(placement())
    paired = PIN is not None and os.environ.get("BENCH_VTN_PAIRED", "1") not in ("", "0")
    for vens in counts:
        if paired:
            pairs = []
            for number in range(POLL_ROUNDS):
                started = time.perf_counter()
                pairs.append(paired_closed_loop(vens))
                print(f"  paired closed loop, {vens:,} VENs, round {number + 1}: done in "
                      f"{time.perf_counter() - started:.0f} s", flush=True)
            report_paired(pairs, vens)
        best: dict[str, tuple[str, int, dict[str, Any]]] = {}
        for number in range(POLL_ROUNDS):
            for kind in kinds:
                started = time.perf_counter()
                server, results = measure(kind, vens, fanout=vens == counts[-1])
                name = server.name if server else kind
                if server is not None and number == 0:
                    notes.extend(f"{name}: {n}" for n in server.notes)
                rate = (results.get("closed") or {}).get("per_second", 0.0)
                print(f"  {name}, {vens:,} VENs, round {number + 1}: {rate:,.0f} polls/s, done "
                      f"in {time.perf_counter() - started:.0f} s", flush=True)
                kept = best.get(kind)
                if kept is None or rate > (kept[2].get("closed") or {}).get("per_second", 0.0):
                    best[kind] = (name, vens, results)
        rows.extend(best[kind] for kind in kinds)
    print()
    report(rows, notes)


if __name__ == "__main__":
    main()
