"""openleadr's ``OpenADRServer`` as the benchmark's reference VTN, in its own process.

Run: ``python -m tests.benchmarks._openleadr_server --port P [--poll-seconds S]``.

- plain HTTP on 127.0.0.1 (no ``http_cert``): openleadr then skips certificate and signature
  checks (``request.secure`` is false), so unsigned messages are accepted;
- ``on_create_party_registration`` accepts every VEN (its proposed venID, else a new one) and
  keeps it in a dict; ``ven_lookup`` answers from that dict, so polls from registered VENs are
  answered and unknown ones get oadrRequestReregistration (openleadr's own behaviour);
- openleadr keeps everything in memory: there is no persistence;
- a control route ``POST /bench/event`` (not part of OpenADR) adds one event for every
  registered VEN with ``server.add_event`` (openleadr queues events per VEN) and answers
  ``{"vens": N, "seconds": S}``: the benchmark's "create one event for all VENs".

Stops on SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from openleadr import OpenADRServer

VTN_ID = "OL-VTN"


def build(port: int, poll_seconds: float) -> tuple[OpenADRServer, dict[str, dict[str, Any]]]:
    """The server and its registry of VENs (ven_id -> openleadr's VEN dict)."""
    vens: dict[str, dict[str, Any]] = {}

    def ven_lookup(ven_id: str) -> dict[str, Any]:
        return vens.get(ven_id, {})

    server = OpenADRServer(
        vtn_id=VTN_ID,
        http_host="127.0.0.1",
        http_port=port,
        requested_poll_freq=timedelta(seconds=poll_seconds),
        ven_lookup=ven_lookup,
        verify_message_signatures=False,
    )

    def on_create_party_registration(info: dict[str, Any]) -> tuple[str, str]:
        ven_id = info.get("ven_id") or uuid.uuid4().hex
        known = vens.get(ven_id)
        if known is not None:
            return ven_id, known["registration_id"]
        registration_id = uuid.uuid4().hex
        vens[ven_id] = {
            "ven_id": ven_id,
            "ven_name": info.get("ven_name"),
            "fingerprint": None,
            "registration_id": registration_id,
        }
        return ven_id, registration_id

    server.add_handler("on_create_party_registration", on_create_party_registration)

    async def add_event_for_all(request: web.Request) -> web.Response:
        started = time.perf_counter()
        start = datetime.now(UTC) + timedelta(minutes=5)
        interval = {"dtstart": start, "duration": timedelta(hours=1), "signal_payload": 1.0}
        for ven_id in list(vens):
            server.add_event(
                ven_id=ven_id,
                signal_name="SIMPLE",
                signal_type="level",
                intervals=[dict(interval)],
                response_required="never",
                market_context="http://MarketContext1",
            )
        return web.json_response({"vens": len(vens), "seconds": time.perf_counter() - started})

    server.app.router.add_post("/bench/event", add_event_for_all)
    return server, vens


async def run(port: int, poll_seconds: float) -> None:
    server, _ = build(port, poll_seconds)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await server.run()
    try:
        await stop.wait()
    finally:
        await server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--poll-seconds", type=float, default=10.0)
    args = parser.parse_args()
    # openleadr logs every handled message at INFO (and warns about each event without a
    # callback); keep only errors, as the VTN runs at WARNING in the benchmark.
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("openleadr").setLevel(logging.ERROR)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(args.port, args.poll_seconds))


if __name__ == "__main__":
    main()
