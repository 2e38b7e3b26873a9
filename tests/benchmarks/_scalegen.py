"""The scale benchmark's load generator: ``_loadgen``'s phases over one or several VTN processes.

Run by ``bench_scale`` as ``python -m tests.benchmarks._scalegen SPEC.json``; prints progress on
stderr and one JSON object (the results) on its last stdout line. ``SpreadPool`` gives VEN `i`
the `i`-th server modulo their number (two ``serve`` processes on one database, as on two
hosts: each VEN always talks to the same one), with ``_loadgen.HttpPool`` connections to each.
The phases are ``_loadgen``'s: ``register`` (fresh VENs, ``register_prefix``, over HTTP on top
of the seeded ones), ``closed``, ``open`` (at ``vens / 60`` polls/s: every VEN once a minute),
``fanout`` (one event for all, every seeded VEN polled in rounds until each has it). Server CPU
is summed over all the server processes (and their workers).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any
from urllib.parse import urlsplit

from tests.benchmarks import _loadgen as lg


class SpreadPool:
    """``HttpPool``'s interface over several servers: each built request goes to one of them,
    in turn (so request `i` of a list built in order goes to server ``i % n``)."""

    def __init__(self, bases: list[str], size: int, timeout: float) -> None:
        self.pools = []
        for base in bases:
            parts = urlsplit(base)
            self.pools.append(lg.HttpPool(parts.hostname or "127.0.0.1", parts.port or 80,
                                          size, timeout))
        self.timeout = timeout
        self._route: dict[int, lg.HttpPool] = {}
        self._built = 0

    def request(self, path: str, body: bytes, content_type: str = "application/xml") -> bytes:
        """The request bytes for the next server in turn (remembered by identity)."""
        pool = self.pools[self._built % len(self.pools)]
        self._built += 1
        request = pool.request(path, body, content_type)
        self._route[id(request)] = pool
        return request

    def server_of(self, request: bytes) -> lg.HttpPool:
        """The connections `request` was built for."""
        return self._route[id(request)]

    async def post(self, request: bytes) -> tuple[int, bytes]:
        """Send `request` to the server it was built for."""
        return await self._route[id(request)].post(request)

    async def close(self) -> None:
        for pool in self.pools:
            await pool.close()


def server_cpu(pids: list[int]) -> float:
    """CPU seconds used so far by all the server processes and their children."""
    return sum(lg.process_cpu(pid) for pid in pids)


def say(text: str) -> None:
    print(f"    [gen] {text}", file=sys.stderr, flush=True)


async def run(spec: dict[str, Any]) -> dict[str, Any]:
    """The phases named in `spec`; the results, JSON-ready."""
    pids: list[int] = spec["server_pids"]
    concurrency = spec.get("concurrency", 64)
    size = max(concurrency, spec.get("open", {}).get("max_in_flight", 0))
    pool = SpreadPool(spec["bases"], size, spec.get("request_timeout_s", lg.REQUEST_TIMEOUT_S))
    checks = lg.Checks()
    client = lg.Client(pool, spec["bases"][0], checks)  # type: ignore[arg-type]  # duck-typed
    results: dict[str, Any] = {}
    started = time.perf_counter()
    polls = [client.poll_request(body) for body in lg.poll_bodies(lg.ven_ids(spec["prefix"],
                                                                             spec["vens"]))]
    say(f"{len(polls):,} poll requests built in {time.perf_counter() - started:.1f} s")
    try:
        if "closed" in spec:
            c = spec["closed"]
            cpu = server_cpu(pids)
            results["closed"] = await lg.closed_loop(client, polls, concurrency, c["seconds"],
                                                     c["warmup"], pids[0])
            used = server_cpu(pids) - cpu
            results["closed"]["server_cpu_total"] = used / (c["seconds"] + c["warmup"])
            say(f"closed loop: {results['closed']['per_second']:.0f} polls/s")
        if "open" in spec:
            o = spec["open"]
            results["open"] = await lg.open_loop(client, polls, o["rate"], o["seconds"],
                                                 o["max_in_flight"], pids[0])
            say(f"open loop at {o['rate']:.0f}/s: achieved "
                f"{results['open']['achieved_per_second']:.0f}/s")
        if "register" in spec:
            r = spec["register"]
            ids = lg.ven_ids(r["prefix"], r["count"])
            results["register"] = await lg.register(client, ids, concurrency, r["limit_s"])
            say(f"registration: {results['register']['per_second']:.0f}/s")
        if "fanout" in spec:
            results["fanout"] = await lg.fanout(client, polls,
                                                {"concurrency": concurrency, **spec["fanout"]})
            say(f"fan-out: {results['fanout'].get('elapsed', 0):.1f} s, "
                f"{results['fanout'].get('missing')} missing")
    finally:
        await pool.close()
    results["errors"] = checks.errors
    results["first_errors"] = checks.first_errors
    return results


def main() -> None:
    """Read the spec named on the command line, run it, print the results as JSON."""
    with open(sys.argv[1], encoding="utf-8") as file:
        spec = json.load(file)
    for url in [*spec["bases"], spec.get("fanout", {}).get("url", spec["bases"][0])]:
        if not url.startswith("http://127.0.0.1:"):
            raise SystemExit(f"refusing to load anything but 127.0.0.1: {url}")
    sys.stdout.write(json.dumps(asyncio.run(run(spec))) + "\n")


if __name__ == "__main__":
    main()
