"""VTN at scale: PostgreSQL (and SQLite for comparison), 10,000 and 100,000 VENs, workers and
two independent processes on one database.

Run: ``.venv/bin/python -m tests.benchmarks scale`` (opt-in: not part of a plain ``make
bench``; about 15-25 min on the 2-core machine). Quick (a few minutes): ``--quick`` or
``BENCH_QUICK=1`` (10,000 VENs; SQLite, PostgreSQL 1 and 2 workers, two processes).
``--vens 10000,100000`` picks the VEN counts, ``--configs sqlite-1,pg-1,pg-2,pg-4,pg-2proc``
the set-ups (or ``BENCH_SCALE_VENS`` / ``BENCH_SCALE_CONFIGS``). ``BENCH_SCALE_PROFILE=FILE``
runs the (first) loaded VTN process under cProfile, its statistics written to FILE.

Per set-up and VEN count (each on a fresh database: PostgreSQL ``bench_scale`` on
127.0.0.1:5432, dropped and made again, never the tests' ``test``; SQLite a file in a temporary
directory):

1. the VTN (``python -m vtn serve``, plain HTTP, ``polls.frequency`` 60 s) starts on the
   empty, migrated database; the RSS of its processes (supervisor and workers) is read once
   its poll cache is warm; it stops;
2. the VENs are seeded in the database (``_pgseed``: multi-row INSERTs, pull VENs, nothing
   pending); the VTN starts again (two ``serve`` processes on their own ports for
   ``pg-2proc``, as on two hosts; the load generator gives VEN `i` the process ``i % 2``);
3. the load generator (``_scalegen``, one process, 64 connections) runs a closed loop (polls
   as fast as answered: polls/s, p50/p99), an open loop at ``VENs / 60`` polls/s (every VEN
   once per 60 s poll interval: p99 from the scheduled send time), 1,000 registrations of new
   VENs over HTTP on top of the seeded ones, and the fan-out: one event for all VENs through
   the admin API, then every VEN polls in rounds until each has received it (seconds from the
   creation request; the target is one poll interval, 60 s);
4. RSS again; memory per VEN = (RSS after - RSS of the empty VTN) / (VENs seeded + VENs
   registered) [KiB], all processes of the set-up together (each worker keeps its own poll
   cache).

The machine's 2 cores are shared by the servers, PostgreSQL, the generator and whatever else
runs: absolute numbers are lower bounds and noisy; the server CPU per poll is printed too.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.benchmarks import _pgseed
from tests.benchmarks.bench_vtn import EVENT_INPUT, stop, wait_listening
from tests.support.network import free_port

PYTHON = sys.executable
ROOT = Path(__file__).resolve().parents[2]
PREFIX = "bench-ven-"
POLL_SECONDS = 60
CONCURRENCY = 64
CLOSED_SECONDS = 8.0
WARMUP_SECONDS = 2.0
OPEN_SECONDS = 8.0
REGISTER_COUNT = 1000
FANOUT_LIMIT_S = 180.0
STARTUP_LIMIT_S = 180.0
WARM_LIMIT_S = 180.0
CONFIGS = {
    "sqlite-1": ("sqlite", 1, 1),
    "sqlite-2": ("sqlite", 2, 1),
    "pg-1": ("postgresql", 1, 1),
    "pg-2": ("postgresql", 2, 1),
    "pg-4": ("postgresql", 4, 1),
    "pg-2proc": ("postgresql", 1, 2),
}
"""name: (database, workers per process, serve processes)."""
FULL = [(10000, ["sqlite-1", "pg-1", "pg-2", "pg-4", "pg-2proc"]),
        (100000, ["pg-1", "pg-2", "pg-4", "pg-2proc"])]
QUICK = [(10000, ["sqlite-1", "pg-1", "pg-2", "pg-2proc"])]


def say(text: str) -> None:
    print(f"  {text}", flush=True)


def tree_pids(pid: int) -> list[int]:
    """`pid` and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError):
            with open(f"/proc/{entry}/stat", encoding="ascii") as file:
                parent = int(file.read().rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(children.get(p, []))
    return found


def rss_kib(pid: int) -> int:
    """Resident memory of `pid` and its descendants [KiB]."""
    total = 0
    for p in tree_pids(pid):
        with contextlib.suppress(OSError), open(f"/proc/{p}/status", encoding="ascii") as file:
            for line in file:
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


@dataclass
class Vtn:
    """The `serve` processes of one set-up."""

    processes: list[subprocess.Popen] = field(default_factory=list)
    bases: list[str] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)
    fanout: dict[str, Any] = field(default_factory=dict)

    def rss(self) -> int:
        return sum(rss_kib(p.pid) for p in self.processes)

    def stop(self) -> None:
        for process in self.processes:
            stop(process)

    def tail(self) -> str:
        return "\n".join(log.read_text(errors="replace")[-1200:] for log in self.logs
                         if log.exists())


def start(work: Path, url: str, workers: int, count: int, profile: Path | None = None,
          poll_seconds: int = POLL_SECONDS) -> Vtn:
    """`count` ``serve`` processes of `workers` workers on `url`; returns once each listens,
    its admin token exists and its poll caches are warm (or ``WARM_LIMIT_S`` passed). With
    `profile`, the first process runs under cProfile, its statistics written there at exit."""
    vtn = Vtn()
    try:
        for n in range(count):
            home = work / f"vtn{n}"
            home.mkdir(exist_ok=True)
            port, admin_port = free_port(), free_port()
            (home / "vtn.toml").write_text(
                f"plain_http = true\nhost = \"127.0.0.1\"\nport = {port}\nworkers = {workers}\n"
                f"state_dir = {json.dumps(str(home))}\ndatabase_url = {json.dumps(url)}\n"
                f"[polls]\nfrequency = {poll_seconds}\n"
                f"[admin]\nhost = \"127.0.0.1\"\nport = {admin_port}\n"
                f"token_file = {json.dumps(str(home / 'admin-token'))}\n",
                encoding="utf-8")
            log = home / f"vtn-{int(time.time())}.log"
            vtn.logs.append(log)
            profiling = ["-m", "cProfile", "-o", str(profile)] if profile and n == 0 else []
            process = subprocess.Popen(
                [PYTHON, *profiling, "-m", "vtn", "serve", "--config", str(home / "vtn.toml"),
                 "--log-level", "INFO"],
                cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                start_new_session=True)
            vtn.processes.append(process)
            wait_listening(port, process, STARTUP_LIMIT_S)
            wait_listening(admin_port, process, STARTUP_LIMIT_S)
            vtn.bases.append(f"http://127.0.0.1:{port}/OpenADR2/Simple/2.0b")
            if n == 0:
                token_file = home / "admin-token"
                deadline = time.monotonic() + 10
                while not (token_file.exists() and token_file.read_text().strip()):
                    if time.monotonic() > deadline:
                        raise RuntimeError("no admin token after 10 s")
                    time.sleep(0.1)
                vtn.fanout = {
                    "url": f"http://127.0.0.1:{admin_port}/admin/api/v1/events",
                    "json": EVENT_INPUT,
                    "headers": {"Authorization": f"Bearer {token_file.read_text().strip()}"},
                }
        deadline = time.monotonic() + WARM_LIMIT_S
        while time.monotonic() < deadline:
            warm = sum(log.read_text(errors="replace").count("Poll cache warm")
                       for log in vtn.logs if log.exists())
            if warm >= workers * count:
                break
            time.sleep(0.25)
        else:
            say(f"(poll caches not all warm after {WARM_LIMIT_S:.0f} s; going on)")
    except BaseException:
        vtn.stop()
        raise
    return vtn


def fresh_database(kind: str, work: Path) -> str:
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{work / 'vtn.sqlite'}"
    else:
        made = _pgseed.fresh_postgres()
        if made is None:
            raise RuntimeError("no PostgreSQL server on 127.0.0.1:5432")
        url = made
    _pgseed.migrate(url)
    return url


def measure(config: str, vens: int) -> dict[str, Any]:
    """One set-up at one VEN count (see the module docstring); the results."""
    kind, workers, count = CONFIGS[config]
    with tempfile.TemporaryDirectory(prefix=f"bench-scale-{config}-") as tmp:
        work = Path(tmp)
        url = fresh_database(kind, work)
        vtn = start(work, url, workers, count)
        time.sleep(1.0)
        rss_empty = vtn.rss()
        vtn.stop()
        say(f"empty VTN: {rss_empty / 1024:.0f} MiB RSS; seeding {vens:,} VENs")
        done = subprocess.run(
            [PYTHON, "-m", "tests.benchmarks._pgseed", url, PREFIX, str(vens), str(POLL_SECONDS)],
            cwd=ROOT, capture_output=True, text=True, timeout=1800, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"seeding failed: {done.stderr[-1500:]}")
        seed_s = float(done.stdout)
        say(f"seeded in {seed_s:.0f} s; starting the VTN")
        started = time.perf_counter()
        profile = os.environ.get("BENCH_SCALE_PROFILE")
        vtn = start(work, url, workers, count, Path(profile) if profile else None)
        start_s = time.perf_counter() - started
        rss_warm = vtn.rss()
        say(f"VTN up and warm in {start_s:.0f} s ({rss_warm / 1024:.0f} MiB RSS); loading it")
        try:
            spec = {
                "bases": vtn.bases,
                "server_pids": [p.pid for p in vtn.processes],
                "prefix": PREFIX,
                "vens": vens,
                "concurrency": CONCURRENCY,
                "closed": {"seconds": CLOSED_SECONDS, "warmup": WARMUP_SECONDS},
                "open": {"rate": vens / POLL_SECONDS, "seconds": OPEN_SECONDS,
                         "max_in_flight": 512},
                "register": {"prefix": "bench-new-", "count": REGISTER_COUNT, "limit_s": 240.0},
                "fanout": {**vtn.fanout, "limit_s": FANOUT_LIMIT_S, "max_rounds": 10},
            }
            path = work / "spec.json"
            path.write_text(json.dumps(spec), encoding="utf-8")
            gen = subprocess.run(
                [PYTHON, "-m", "tests.benchmarks._scalegen", str(path)],
                cwd=ROOT, stdout=subprocess.PIPE, text=True, timeout=1200, check=False)
            if gen.returncode != 0 or not gen.stdout.strip():
                raise RuntimeError(f"load generator failed ({gen.returncode})")
            results: dict[str, Any] = json.loads(gen.stdout.strip().splitlines()[-1])
            rss_after = vtn.rss()
            for p in vtn.processes:
                if p.poll() is not None:
                    results["first_errors"].append(f"server exited with {p.returncode}")
        except Exception as exc:
            return {"error": f"{type(exc).__name__}: {exc}", "log_tail": vtn.tail()}
        finally:
            vtn.stop()
    results.update(rss_empty_kib=rss_empty, rss_warm_kib=rss_warm, rss_after_kib=rss_after,
                   seed_seconds=seed_s, start_seconds=start_s)
    return results


# ---- report -------------------------------------------------------------------------------------


def _f(value: float | None, fmt: str) -> str:
    if value is None or value != value:
        return "-"
    return format(value, fmt)


def row(config: str, vens: int, r: dict[str, Any]) -> list[str]:
    kind, workers, count = CONFIGS[config]
    name = ("SQLite" if kind == "sqlite" else "PostgreSQL") + (
        ", 2 processes" if count == 2 else f", {workers} worker{'s' if workers > 1 else ''}")
    if "error" in r:
        return [name, f"{vens:,}", "failed: " + r["error"][:70]] + [""] * 8
    c, o, g, f = r.get("closed", {}), r.get("open", {}), r.get("register", {}), r.get("fanout", {})
    fan = _f(f.get("seconds"), ".1f")
    if f.get("missing"):
        fan = f">{f.get('elapsed', 0):.0f} ({f['missing']:,} missing)"
    within = "-" if not f else ("yes" if not f.get("missing") and f["seconds"] <= POLL_SECONDS
                                else "no")
    sustained = o and o["skipped"] == 0 and o["achieved_per_second"] >= 0.95 * o["rate"]
    open_cell = (f"{o['p99_ms']:.1f}" if sustained
                 else f"n/a ({o.get('achieved_per_second', 0):.0f}/s)") if o else "-"
    cpu = (c["server_cpu_total"] / c["per_second"] * 1e6 if c.get("per_second") else None)
    per_ven = (r["rss_after_kib"] - r["rss_empty_kib"]) / (vens + g.get("registered", 0))
    return [name, f"{vens:,}", _f(c.get("per_second"), ",.0f"), _f(c.get("p50_ms"), ".1f"),
            _f(c.get("p99_ms"), ".1f"), open_cell, fan, within, _f(g.get("per_second"), ",.0f"),
            f"{per_ven:.1f}", f"{_f(cpu, '.0f')}", str(r.get("errors", "-"))]


def report(rows: list[tuple[str, int, dict[str, Any]]]) -> None:
    header = ["VTN", "VENs", "polls/s", "p50 ms", "p99 ms", "p99 @VENs/60 ms", "fan-out s",
              "<= 60 s", "registrations/s", "KiB/VEN", "CPU µs/poll", "errors"]
    table = [row(config, vens, r) for config, vens, r in rows]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|")
    for t in table:
        print("| " + " | ".join(t + [""] * (len(header) - len(t))) + " |")
    print()
    for config, vens, r in rows:
        if "error" in r:
            print(f"{config} {vens:,}: FAILED: {r['error']}\n{r.get('log_tail', '')}")
            continue
        f = r.get("fanout", {})
        print(f"{config} {vens:,}: seeded in {r['seed_seconds']:.0f} s, VTN up and warm in "
              f"{r['start_seconds']:.0f} s; RSS empty {r['rss_empty_kib'] / 1024:.0f} MiB, warm "
              f"{r['rss_warm_kib'] / 1024:.0f} MiB, after the run {r['rss_after_kib'] / 1024:.0f}"
              f" MiB; fan-out: event created in {f.get('create_seconds', 0):.2f} s, "
              f"{f.get('rounds')} round(s), {f.get('polls')} polls; open loop "
              f"{r.get('open', {}).get('rate', 0):.0f}/s")
        for e in r.get("first_errors", []):
            print(f"{config} {vens:,}: error: {e}")


def plan(argv: list[str]) -> list[tuple[int, list[str]]]:
    """Which (VEN count, set-ups) to run, from the command line and the environment."""
    def option(name: str, env: str) -> str:
        if name in argv and argv.index(name) + 1 < len(argv):
            return argv[argv.index(name) + 1]
        return os.environ.get(env, "")

    quick = "--quick" in argv or os.environ.get("BENCH_QUICK", "") not in ("", "0")
    chosen = QUICK if quick else FULL
    vens, configs = option("--vens", "BENCH_SCALE_VENS"), option("--configs", "BENCH_SCALE_CONFIGS")
    if configs:
        unknown = set(configs.split(",")) - set(CONFIGS)
        if unknown:
            raise SystemExit(f"unknown set-up(s) {sorted(unknown)}; have {sorted(CONFIGS)}")
    if vens:
        counts = [int(v) for v in vens.split(",")]
        names = configs.split(",") if configs else [c for _, cs in chosen for c in cs]
        names = list(dict.fromkeys(names))
        return [(n, [c for c in names if n <= 20000 or not c.startswith("sqlite")])
                for n in counts]
    if configs:
        return [(n, [c for c in configs.split(",") if c in cs]) for n, cs in chosen]
    return chosen


def main() -> None:
    runs = plan(sys.argv[1:])
    print(f"VTN at scale: plain HTTP on 127.0.0.1, {CONCURRENCY} connections, closed loop "
          f"{CLOSED_SECONDS:.0f} s, open loop at VENs/{POLL_SECONDS} polls/s for "
          f"{OPEN_SECONDS:.0f} s, {REGISTER_COUNT:,} registrations, fan-out of one event; "
          f"{os.cpu_count()} CPUs shared by VTN, PostgreSQL and generator; runs: "
          + "; ".join(f"{n:,} VENs: {', '.join(cs)}" for n, cs in runs), flush=True)
    rows: list[tuple[str, int, dict[str, Any]]] = []
    for vens, configs in runs:
        for config in configs:
            began = time.perf_counter()
            print(f"{config}, {vens:,} VENs:", flush=True)
            try:
                result = measure(config, vens)
            except Exception as exc:  # one failed set-up must not hide the others
                result = {"error": f"{type(exc).__name__}: {exc}"}
            rows.append((config, vens, result))
            say(f"done in {time.perf_counter() - began:.0f} s")
    print(f"\nMeasured {time.strftime('%Y-%m-%d')}:\n")
    report(rows)


if __name__ == "__main__":
    main()
