"""Push fan-out: one event to 10,000 push VENs; the target is every VEN within 10 s, none twice.

Run: ``.venv/bin/python -m tests.benchmarks push_fanout`` (opt-in: not part of a plain ``make
bench``; about 2 min). ``--vens N`` (or ``BENCH_PUSH_VENS``) changes the count, ``--sqlite``
runs on a SQLite file instead of PostgreSQL; ``BENCH_QUICK=1`` uses 2,000 VENs;
``BENCH_PUSH_PROFILE=FILE`` runs the VTN under cProfile (statistics in FILE).

Set-up: a fresh PostgreSQL database ``bench_push`` on 127.0.0.1:5432 (never the tests'
``test``); `N` push VENs (httpPullModel=false) seeded by ``_pgseed`` with transportAddress
``http://127.0.0.1:PORT/ven/<venID>``, all served by one ``_push_listener`` process that counts
the POSTs per VEN (distinct transport addresses, one socket); ``python -m vtn serve`` (one
process, plain HTTP, default ``[push]`` settings). One event for all VENs through the admin API;
then the listener's counts are read every 0.5 s until every VEN has it (or the limit), and
for ``SETTLE_S`` more to catch a second delivery. Reported: seconds from the creation request
to the first and the last VEN's first delivery, the 50th/99th percentile, VENs reached, VENs
reached more than once; CPU seconds of the VTN and of the listener (utime + stime from /proc,
their process trees) from the creation request to the moment every VEN had it, per 1,000
deliveries.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from tests.benchmarks import _pgseed
from tests.benchmarks.bench_scale import PYTHON, ROOT, rss_kib, start, tree_pids
from tests.benchmarks.bench_vtn import stop, wait_listening
from tests.support.network import free_port

PREFIX = "bench-push-"
TARGET_S = 10.0
LIMIT_S = 300.0
SETTLE_S = 5.0


def say(text: str) -> None:
    print(f"  {text}", flush=True)


def cpu_s(pid: int) -> float:
    """CPU time (user + system) of `pid` and its descendants so far [s] (Linux /proc)."""
    total = 0
    for p in tree_pids(pid):
        try:
            with open(f"/proc/{p}/stat", encoding="ascii") as file:
                fields = file.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime [clock ticks]
    return total / os.sysconf("SC_CLK_TCK")


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as reply:
        return json.loads(reply.read())


def post_json(url: str, body: Any, headers: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", **headers})
    with urllib.request.urlopen(request, timeout=60) as reply:
        return reply.status, reply.read()


def measure(vens: int, sqlite: bool) -> dict[str, Any]:
    """Seed, start, create the event, count the deliveries; the results."""
    with tempfile.TemporaryDirectory(prefix="bench-push-") as tmp:
        work = Path(tmp)
        if sqlite:
            url = f"sqlite+aiosqlite:///{work / 'vtn.sqlite'}"
        else:
            made = _pgseed.fresh_postgres("bench_push")
            if made is None:
                raise RuntimeError("no PostgreSQL server on 127.0.0.1:5432")
            url = made
        port = free_port()
        listener = subprocess.Popen(
            [PYTHON, "-m", "tests.benchmarks._push_listener", str(port)], cwd=ROOT,
            stdout=(work / "listener.log").open("wb"), stderr=subprocess.STDOUT,
            start_new_session=True)
        vtn = None
        try:
            wait_listening(port, listener, 30)
            base = f"http://127.0.0.1:{port}"
            seeded = subprocess.run(
                [PYTHON, "-m", "tests.benchmarks._pgseed", url, PREFIX, str(vens), "60",
                 f"{base}/ven"],
                cwd=ROOT, capture_output=True, text=True, timeout=1800, check=False)
            if seeded.returncode != 0:
                raise RuntimeError(f"seeding failed: {seeded.stderr[-1500:]}")
            say(f"{vens:,} push VENs seeded in {float(seeded.stdout):.0f} s; starting the VTN")
            profile = os.environ.get("BENCH_PUSH_PROFILE")
            vtn = start(work, url, 1, 1, Path(profile) if profile else None)
            say("VTN up; creating the event")
            vtn_pid = vtn.processes[0].pid
            cpu0 = (cpu_s(vtn_pid), cpu_s(listener.pid))
            cpu1 = None
            began = time.time()
            status, body = post_json(vtn.fanout["url"], vtn.fanout["json"],
                                     vtn.fanout["headers"])
            created_s = time.time() - began
            if status not in (200, 201):
                raise RuntimeError(f"creating the event: HTTP {status}: {body[:300]!r}")
            deadline = began + LIMIT_S
            last_print = 0.0
            while time.time() < deadline:
                s = get_json(f"{base}/stats")
                if s["vens"] >= vens:
                    cpu1 = (cpu_s(vtn_pid), cpu_s(listener.pid))
                    break
                if time.time() - last_print >= 5:
                    last_print = time.time()
                    say(f"{time.time() - began:5.1f} s: {s['vens']:,} VENs reached")
                time.sleep(0.5)
            if cpu1 is None:
                cpu1 = (cpu_s(vtn_pid), cpu_s(listener.pid))
            time.sleep(SETTLE_S)
            s = get_json(f"{base}/stats")
            rss = rss_kib(vtn.processes[0].pid)
        finally:
            if vtn is not None:
                log_tail = vtn.tail()
                vtn.stop()
            stop(listener)
    times = [t - began for t in s["times"]]
    return {
        "vens": vens, "reached": s["vens"], "posts": s["posts"], "duplicates": s["duplicates"],
        "first_s": times[0] if times else None, "last_s": times[-1] if times else None,
        "p50_s": times[len(times) // 2] if times else None,
        "p99_s": times[min(len(times) - 1, int(0.99 * len(times)))] if times else None,
        "created_s": created_s, "rss_mib": rss / 1024, "log_tail": log_tail,
        "database": "SQLite" if sqlite else "PostgreSQL",
        "vtn_cpu_s": cpu1[0] - cpu0[0], "listener_cpu_s": cpu1[1] - cpu0[1],
    }


def main() -> None:
    argv = sys.argv[1:]
    quick = "--quick" in argv or os.environ.get("BENCH_QUICK", "") not in ("", "0")
    vens = 2000 if quick else 10000
    if "--vens" in argv and argv.index("--vens") + 1 < len(argv):
        vens = int(argv[argv.index("--vens") + 1])
    vens = int(os.environ.get("BENCH_PUSH_VENS", vens))
    sqlite = "--sqlite" in argv
    print(f"Push fan-out: one event to {vens:,} push VENs (one listener process, a path per "
          f"VEN); target: all within {TARGET_S:.0f} s, none twice; {os.cpu_count()} CPUs shared",
          flush=True)
    r = measure(vens, sqlite)
    print(f"\nMeasured {time.strftime('%Y-%m-%d')}:\n")
    print("| database | push VENs | reached | first [s] | p50 [s] | p99 [s] | all [s] | "
          "twice | within 10 s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")

    def f(v: float | None) -> str:
        return "-" if v is None else f"{v:.1f}"

    done = r["reached"] == vens
    print(f"| {r['database']} | {vens:,} | {r['reached']:,} | {f(r['first_s'])} | "
          f"{f(r['p50_s'])} | {f(r['p99_s'])} | {f(r['last_s']) if done else '-'} | "
          f"{r['duplicates']} | {'yes' if done and r['last_s'] <= TARGET_S else 'no'} |")
    print(f"\nevent created in {r['created_s']:.2f} s; {r['posts']:,} POSTs; VTN RSS "
          f"{r['rss_mib']:.0f} MiB after the run")
    per = 1000 / max(1, r["reached"])
    print(f"CPU until every VEN had it: VTN {r['vtn_cpu_s']:.1f} s "
          f"({r['vtn_cpu_s'] * per:.2f} s per 1,000 deliveries), listener "
          f"{r['listener_cpu_s']:.1f} s ({r['listener_cpu_s'] * per:.2f} s per 1,000); "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if not done:
        print(f"stopped after {LIMIT_S:.0f} s with {vens - r['reached']:,} VENs not reached; "
              f"VTN log tail:\n{r['log_tail']}")


if __name__ == "__main__":
    main()
