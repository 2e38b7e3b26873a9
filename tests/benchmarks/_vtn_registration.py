"""The VTN benchmark's registration part: registrations over HTTP per second, ours on SQLite and
on PostgreSQL against openleadr's in-memory ``OpenADRServer``, in the same run.

Each server starts empty in its own process (ours: one process, no workers; PostgreSQL: a new
database ``oadr_bench_<random>`` on the test server, dropped afterwards, so nothing running
concurrently is touched). The load generator (``_loadgen``) registers `count` VENs over HTTP
(oadrCreatePartyRegistration, 64 at a time, every reply checked: HTTP 200, responseCode 200,
the VEN's own venID), then registers the same VENs again, unchanged (a fleet restarting after
a firmware update). The servers take turns, round after round (2 in quick mode, else 3), and
the table shows each one's best round (the machine is shared; all rounds are printed). Ours
commits each registration (the VEN and its queued oadrRegisterReport) before it answers;
openleadr keeps a dict.

Pinned (``bench_vtn.PIN``; the default on 2 or more CPUs) the servers are measured in pairs
instead, unless ``BENCH_VTN_PAIRED=0``: ours on SQLite, then on PostgreSQL, each at the same
time as an openleadr server, both on the server CPU, each registration phase starting at the
same moment for both (``bench_vtn.run_together``); PostgreSQL itself is not pinned.
``BENCH_VTN_IN_TURN=1`` runs the rounds in turn as well.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from tests.benchmarks import bench_vtn as vtn

POSTGRES_ADMIN_DSN_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"
"""The PostgreSQL server's admin database (``OADR_TEST_POSTGRES`` overrides, as for tests)."""


def _postgres(action: str, name: str) -> str | None:
    """Create or drop the database `name`; the SQLAlchemy URL (create), or None if there is
    no PostgreSQL server."""
    import asyncpg
    from sqlalchemy.engine import make_url

    dsn = os.environ.get("OADR_TEST_POSTGRES", POSTGRES_ADMIN_DSN_DEFAULT)

    async def run() -> None:
        connection = await asyncpg.connect(dsn, timeout=5)
        try:
            if action == "create":
                await connection.execute(f'CREATE DATABASE "{name}"')
            else:
                await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()

    try:
        asyncio.run(run())
    except (OSError, asyncpg.PostgresError, TimeoutError):
        if action == "create":
            return None
        raise
    url = make_url(dsn).set(drivername="postgresql+asyncpg", database=name)
    return url.render_as_string(hide_password=False)


def _run(server: vtn.Server, work: Path, count: int) -> dict[str, Any]:
    """Register `count` VENs, then again; the load generator's results."""
    spec = {
        "base": server.base,
        "server_pid": server.process.pid,
        "prefix": vtn.PREFIX,
        "vens": count,
        "concurrency": vtn.CONCURRENCY,
        "register": True,
        "reregister": True,
        "register_limit_s": 240.0,
    }
    path = work / f"spec-registration-{server.process.pid}.json"
    path.write_text(vtn.json.dumps(spec), encoding="utf-8")
    done = vtn.subprocess.run(
        [vtn.PYTHON, "-m", "tests.benchmarks._loadgen", str(path)],
        cwd=vtn.ROOT, capture_output=True, text=True, timeout=600, check=False,
        preexec_fn=vtn.pinned("generator"),
    )
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(f"load generator failed ({done.returncode}): {done.stderr[-3000:]}")
    results: dict[str, Any] = vtn.json.loads(done.stdout.strip().splitlines()[-1])
    return results


def measure(kind: str, count: int) -> tuple[str, dict[str, Any]]:
    """One server (``sqlite``, ``postgresql`` or ``openleadr``): its name and results."""
    names = {"sqlite": "ours (SQLite)", "postgresql": "ours (PostgreSQL)",
             "openleadr": "openleadr 0.5.36 (memory)"}
    database = f"oadr_bench_{uuid.uuid4().hex[:16]}"
    with tempfile.TemporaryDirectory(prefix=f"bench-vtn-registration-{kind}-") as tmp:
        work = Path(tmp)
        server: vtn.Server | None = None
        url = None
        try:
            if kind == "postgresql":
                url = _postgres("create", database)
                if url is None:
                    return names[kind], {"error": "no PostgreSQL server (skipped)"}
            if kind == "openleadr":
                server = vtn.start_openleadr(work, count)
            else:
                server = vtn.start_ours(work, 0, database_url=url)
            return names[kind], _run(server, work, count)
        except Exception as exc:  # one failed configuration must not hide the others
            return names[kind], {"error": f"{type(exc).__name__}: {exc}"}
        finally:
            vtn.stop(server.process if server is not None else None)
            if url is not None:
                _postgres("drop", database)


def measure_pair(database: str, count: int) -> dict[str, dict[str, Any]]:
    """Ours on `database` (``sqlite`` or ``postgresql``) and openleadr at the same time, both
    pinned to the server CPU, each registering `count` VENs (then again, unchanged) from its
    own generator, both starting at the same moment (``bench_vtn.run_together``). PostgreSQL
    itself is not pinned. Results by kind (``ours``, ``openleadr``)."""
    name = f"oadr_bench_{uuid.uuid4().hex[:16]}"
    url = None
    with contextlib.ExitStack() as stack:
        servers: dict[str, vtn.Server] = {}
        try:
            if database == "postgresql":
                url = _postgres("create", name)
                if url is None:
                    return {"ours": {"error": "no PostgreSQL server (skipped)"}, "openleadr": {}}
            for kind in ("ours", "openleadr"):
                work = Path(stack.enter_context(tempfile.TemporaryDirectory(
                    prefix=f"bench-vtn-registration-pair-{kind}-")))
                servers[kind] = (vtn.start_openleadr(work, count) if kind == "openleadr"
                                 else vtn.start_ours(work, 0, database_url=url))
            specs = {kind: {
                "base": server.base, "server_pid": server.process.pid, "prefix": vtn.PREFIX,
                "vens": count, "concurrency": vtn.CONCURRENCY, "register": True,
                "reregister": True, "register_limit_s": 240.0,
            } for kind, server in servers.items()}
            return vtn.run_together(servers, specs, ("register", "reregister"), 2 * 240.0)
        finally:
            for server in servers.values():
                vtn.stop(server.process)
            if url is not None:
                _postgres("drop", name)


def report_pairs(pairs: list[tuple[str, dict[str, dict[str, Any]]]], count: int) -> None:
    """The paired registration runs, one line each, with the ratios ours / openleadr."""
    print(f"Paired registration, {count:,} VENs: ours and openleadr at once, both on CPU "
          f"{vtn.PIN[0] if vtn.PIN else '-'}, their generators on CPU "
          f"{vtn.PIN[1] if vtn.PIN else '-'} (PostgreSQL not pinned)")
    print("database  phase  ours /s  openleadr /s  ratio  ours cores  openleadr cores  "
          "ours CPU µs/reg  openleadr CPU µs/reg  late s  errors")
    for database, r in pairs:
        if any("error" in x for x in r.values()):
            print(f"{database}  failed: {[x.get('error', '')[:300] for x in r.values()]}")
            continue
        late = max(x.get("late_s", 0.0) for x in r.values())
        errors = sum(x.get("errors", 0) for x in r.values())
        for phase in ("register", "reregister"):
            o, theirs = r["ours"].get(phase), r["openleadr"].get(phase)
            if not o or not theirs:
                continue
            o_cpu = o["server_cpu_per_registration"]
            t_cpu = theirs["server_cpu_per_registration"]
            print(f"{database}  {phase}  {o['per_second']:,.0f}  {theirs['per_second']:,.0f}  "
                  f"{vtn._ratio(o['per_second'], theirs['per_second'])}  "
                  f"{o_cpu * o['per_second']:.2f}  {t_cpu * theirs['per_second']:.2f}  "
                  f"{o_cpu * 1e6:.0f}  {t_cpu * 1e6:.0f}  {late:.1f}  {errors}")
        for kind in ("ours", "openleadr"):
            for e in r[kind].get("first_errors", [])[:3]:
                print(f"  {database} {kind}: error: {e}")
    print()


def _cell(r: dict[str, Any], phase: str) -> tuple[str, str]:
    g = r.get(phase)
    if not g:
        return "-", "-"
    cpu = g.get("server_cpu_per_registration", float("nan")) * 1e6
    return f"{g['per_second']:,.0f}", "-" if cpu != cpu else f"{cpu:,.0f}"


def report(rows: list[tuple[str, dict[str, Any]]], count: int, rounds: int) -> None:
    """Print the table (best round of each) and the ratios against openleadr."""
    header = ("server", "registrations/s", "CPU µs/reg", "again, unchanged /s", "CPU µs/reg",
              "errors")
    table = []
    for name, r in rows:
        if "error" in r:
            table.append((name, "failed: " + r["error"][:70], "", "", "", ""))
            continue
        table.append((name, *_cell(r, "register"), *_cell(r, "reregister"),
                      str(r.get("errors", "-"))))
    widths = [max(len(str(x)) for x in col) for col in zip(header, *table, strict=False)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    print(f"Registration over HTTP: {count:,} VENs, {vtn.CONCURRENCY} at a time, then the same "
          f"VENs again (unchanged); best of {rounds} rounds; {vtn.placement()} (PostgreSQL "
          f"itself is not pinned)")
    print(line.format(*header))
    print(line.format(*("-" * w for w in widths)))
    for t in table:
        print(line.format(*t))
    peer = dict(rows).get("openleadr 0.5.36 (memory)", {})
    for name, r in rows:
        if not name.startswith("ours") or "error" in r or "error" in peer:
            continue
        ratios = []
        for phase in ("register", "reregister"):
            ours, theirs = r.get(phase, {}), peer.get(phase, {})
            ratios.append(vtn._ratio(ours.get("per_second"), theirs.get("per_second")))
        print(f"{name}/openleadr: registrations/s {ratios[0]} (target >= 1x), unchanged "
              f"re-registrations/s {ratios[1]}")
    for name, r in rows:
        for phase in ("register", "reregister"):
            if r.get(phase):
                rates = ", ".join(f"{x:,.0f}" for x in r[phase]["all_per_second"])
                print(f"{name}: {phase} per round: {rates} /s")
        for e in r.get("first_errors", [])[:5]:
            print(f"{name}: error: {e}")
    print()


def _best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One server's results over its rounds: per phase the round with the highest rate (the
    machine is shared: the best round is the one least disturbed); errors added up."""
    good = [r for r in runs if "error" not in r]
    if not good:
        return runs[-1]
    best: dict[str, Any] = {"errors": sum(r.get("errors", 0) for r in good), "first_errors": [],
                            "rounds": len(good)}
    for phase in ("register", "reregister"):
        done = [r[phase] for r in good if r.get(phase)]
        if done:
            best[phase] = max(done, key=lambda g: g["per_second"])
            best[phase]["all_per_second"] = [g["per_second"] for g in done]
    for r in good:
        best["first_errors"].extend(r.get("first_errors", []))
    return best


def main(quick: bool) -> None:
    """Measure and report the registration rates: `ROUNDS` rounds, the servers taking turns
    in each (so that a change in the machine's load hits all of them alike)."""
    count = 3000 if quick else 10000
    rounds = 2 if quick else 3
    if vtn.PIN is not None and os.environ.get("BENCH_VTN_PAIRED", "1") not in ("", "0"):
        pairs = []
        for number in range(rounds):
            for database in ("sqlite", "postgresql"):
                started = time.perf_counter()
                pairs.append((database, measure_pair(database, count)))
                print(f"  paired registration, {database}, round {number + 1}: done in "
                      f"{time.perf_counter() - started:.0f} s", flush=True)
        print()
        report_pairs(pairs, count)
        if os.environ.get("BENCH_VTN_IN_TURN", "") in ("", "0"):
            return
    kinds = ("sqlite", "postgresql", "openleadr")
    runs: dict[str, list[dict[str, Any]]] = {k: [] for k in kinds}
    names: dict[str, str] = {}
    for number in range(rounds):
        for kind in kinds:
            started = time.perf_counter()
            names[kind], results = measure(kind, count)
            runs[kind].append(results)
            print(f"  registration, {names[kind]}, round {number + 1}: done in "
                  f"{time.perf_counter() - started:.0f} s", flush=True)
    print()
    report([(names[k], _best(runs[k])) for k in kinds], count, rounds)
