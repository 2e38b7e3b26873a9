"""Many simulated push VENs behind one aiohttp listener: a path per VEN, deliveries counted.

Run by ``bench_push_fanout`` as ``python -m tests.benchmarks._push_listener PORT``. Each VEN's
transportAddress is ``http://127.0.0.1:PORT/ven/<venID>``, so the VTN POSTs its
oadrDistributeEvent to ``/ven/<venID>/EiEvent``; the listener answers 200 with an empty body
(the event asks for no response), and counts every POST per VEN with the wall-clock time
[s since the epoch] of the first. ``GET /stats`` returns ``{"vens": distinct VENs reached,
"posts": all POSTs, "duplicates": POSTs beyond the first per VEN, "first": t, "last": t of the
latest first delivery, "times": sorted first-delivery times}``. Only 127.0.0.1.
"""

from __future__ import annotations

import sys
import time

from aiohttp import web

COUNTS = web.AppKey("counts", dict)
FIRST = web.AppKey("first", dict)
MAX_BODY = 1 << 20


async def delivered(request: web.Request) -> web.Response:
    """Count one push to the VEN named in the path."""
    await request.read()
    ven_id = request.match_info["ven_id"]
    counts = request.app[COUNTS]
    counts[ven_id] = counts.get(ven_id, 0) + 1
    request.app[FIRST].setdefault(ven_id, time.time())
    return web.Response(status=200, body=b"")


async def stats(request: web.Request) -> web.Response:
    """What was delivered so far."""
    counts: dict[str, int] = request.app[COUNTS]
    times = sorted(request.app[FIRST].values())
    return web.json_response({
        "vens": len(counts),
        "posts": sum(counts.values()),
        "duplicates": sum(n - 1 for n in counts.values()),
        "first": times[0] if times else None,
        "last": times[-1] if times else None,
        "times": times,
    })


def main() -> None:
    port = int(sys.argv[1])
    app = web.Application(client_max_size=MAX_BODY)
    app[COUNTS] = {}
    app[FIRST] = {}
    app.router.add_post("/ven/{ven_id}/{service}", delivered)
    app.router.add_get("/stats", stats)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None,
                backlog=4096)


if __name__ == "__main__":
    main()
