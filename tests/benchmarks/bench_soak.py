"""Soak: 1,000 VENs polling and reporting for 30 minutes; memory, open files, errors and p99
must stay flat.

Run: ``.venv/bin/python -m tests.benchmarks soak`` (opt-in: not part of a plain ``make bench``;
30 min of real time plus the set-up). ``--minutes M`` (or ``BENCH_SOAK_MINUTES``) shortens it,
``--vens N`` changes the fleet, ``--sqlite`` runs on a SQLite file instead of PostgreSQL
(database ``bench_soak`` on 127.0.0.1:5432, dropped and made again; never the tests' ``test``);
``BENCH_QUICK=1``: 3 minutes; ``BENCH_SOAK_PROFILE=FILE`` runs the VTN under cProfile.

The VTN is ``python -m vtn serve`` (one process, plain HTTP, ``polls.frequency`` 10 s); the
generator (``_soakgen``) registers the VENs over HTTP, has each offer TELEMETRY_USAGE, then
has each poll every 10 s and send an oadrUpdateReport every 60 s (100 polls/s and about 17
reports/s for 1,000 VENs; each report adds a reading to the database), checking every reply.
Every minute it samples the VTN's RSS, its open file descriptors, the minute's errors and the
p99 latency. At the end: the table of samples and a least-squares slope of each over the run
(the first minute left out as warm-up). Flat means: the fitted RSS growth over the run below
5 % of its mean, the fitted open-file growth over the run below 5, no error, and the fitted p99
growth over the run below 50 % of its median (latency on a shared machine is noisy).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.benchmarks import _pgseed
from tests.benchmarks._soakgen import MAX_IN_FLIGHT
from tests.benchmarks.bench_scale import PYTHON, ROOT, start

POLL_S = 10
REPORT_S = 60
SAMPLE_S = 60.0


def slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of `ys` over `xs` (0 with fewer than 2 points)."""
    if len(xs) < 2:
        return 0.0
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var if var else 0.0


def verdict(samples: list[dict[str, Any]]) -> list[str]:
    """One line per measure: its fitted slope and whether it is flat."""
    steady = samples[1:] if len(samples) > 2 else samples
    minutes = [s["t"] / 60 for s in steady]
    span = (minutes[-1] - minutes[0]) if len(minutes) > 1 else 0.0
    lines = []
    rss = [s["rss_kib"] / 1024 for s in steady]
    k = slope(minutes, rss)
    mean = sum(rss) / len(rss)
    lines.append(f"RSS: {k:+.2f} MiB/min ({k * span:+.1f} MiB over {span:.0f} min, mean "
                 f"{mean:.0f} MiB): {'flat' if abs(k * span) < 0.05 * mean else 'NOT flat'}")
    fds = [s["fds"] for s in steady]
    k = slope(minutes, [float(f) for f in fds])
    lines.append(f"open files: {k:+.2f}/min ({k * span:+.1f} over the run, {min(fds)}-{max(fds)}):"
                 f" {'flat' if abs(k * span) < 5 else 'NOT flat'}")
    errors = sum(s["errors"] for s in samples)
    unsent = sum(s.get("unsent", 0) for s in samples)
    lines.append(f"errors (a reply not HTTP 200 + responseCode 200, or no reply): {errors}"
                 + ("" if not errors else " (NOT none)")
                 + f"; requests not sent as {MAX_IN_FLIGHT} waited for replies: {unsent}")
    p99 = [(m, s["p99_ms"]) for m, s in zip(minutes, steady, strict=True) if s["p99_ms"]]
    if p99:
        values = sorted(v for _, v in p99)
        median = values[len(values) // 2]
        k = slope([m for m, _ in p99], [v for _, v in p99])
        lines.append(f"p99: {k:+.2f} ms/min ({k * span:+.1f} ms over the run, median "
                     f"{median:.1f} ms): {'flat' if abs(k * span) < 0.5 * median else 'NOT flat'}")
    return lines


def main() -> None:
    argv = sys.argv[1:]

    def option(name: str, env: str, default: str) -> str:
        if name in argv and argv.index(name) + 1 < len(argv):
            return argv[argv.index(name) + 1]
        return os.environ.get(env, default)

    quick = "--quick" in argv or os.environ.get("BENCH_QUICK", "") not in ("", "0")
    minutes = float(option("--minutes", "BENCH_SOAK_MINUTES", "3" if quick else "30"))
    vens = int(option("--vens", "BENCH_SOAK_VENS", "1000"))
    sqlite = "--sqlite" in argv
    print(f"Soak: {vens:,} VENs, poll every {POLL_S} s, report every {REPORT_S} s, "
          f"{minutes:g} min, on {'SQLite' if sqlite else 'PostgreSQL'}; {os.cpu_count()} CPUs "
          f"shared", flush=True)
    samples: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as tmp:
        work = Path(tmp)
        if sqlite:
            url = f"sqlite+aiosqlite:///{work / 'vtn.sqlite'}"
        else:
            made = _pgseed.fresh_postgres("bench_soak")
            if made is None:
                raise SystemExit("no PostgreSQL server on 127.0.0.1:5432")
            url = made
        _pgseed.migrate(url)
        profile = os.environ.get("BENCH_SOAK_PROFILE")
        vtn = start(work, url, 1, 1, Path(profile) if profile else None, poll_seconds=POLL_S)
        try:
            spec = {"base": vtn.bases[0], "server_pid": vtn.processes[0].pid,
                    "prefix": "soak-ven-", "vens": vens, "connections": 128,
                    "poll_s": POLL_S, "report_s": REPORT_S, "minutes": minutes,
                    "sample_s": SAMPLE_S}
            path = work / "spec.json"
            path.write_text(json.dumps(spec), encoding="utf-8")
            with subprocess.Popen([PYTHON, "-m", "tests.benchmarks._soakgen", str(path)],
                                  cwd=ROOT, stdout=subprocess.PIPE, text=True) as gen:
                assert gen.stdout is not None
                for line in gen.stdout:
                    record = json.loads(line)
                    if "minute" in record:
                        samples.append(record)
                    if vtn.processes[0].poll() is not None:
                        print("the VTN exited during the soak", flush=True)
                        gen.terminate()
            if gen.returncode != 0:
                print(f"the generator failed ({gen.returncode}); VTN log:\n{vtn.tail()}")
        finally:
            vtn.stop()
    print(f"\nMeasured {time.strftime('%Y-%m-%d')}:\n")
    print("| minute | RSS [MiB] | open fds | polls | reports | errors | not sent | p50 [ms] "
          "| p99 [ms] | lag [ms] |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for s in samples:
        print(f"| {s['minute']} | {s['rss_kib'] / 1024:.1f} | {s['fds']} | {s['polls']:,} | "
              f"{s['reports']:,} | {s['errors']} | {s.get('unsent', 0)} | "
              f"{s['p50_ms'] or float('nan'):.1f} | "
              f"{s['p99_ms'] or float('nan'):.1f} | {s['lag_ms']:.0f} |")
    print()
    if samples:
        for line in verdict(samples):
            print(line)
    for s in samples:
        for e in s["first_errors"]:
            print(f"minute {s['minute']}: error: {e}")


if __name__ == "__main__":
    main()
