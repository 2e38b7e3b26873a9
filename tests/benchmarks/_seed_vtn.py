"""Seed a VTN database with pull VENs through the storage API, before the VTN starts.

Run: ``python -m tests.benchmarks._seed_vtn DATABASE_URL PREFIX COUNT``. Each VEN is what a
plain-HTTP oadrCreatePartyRegistration would store (pull, not report-only, unsigned, the
synthetic ``unauthenticated:<venID>`` identity), without the oadrRegisterReport that
registration queues: so the VENs have nothing pending. Prints the seconds it took.
"""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import timedelta

from common.clock import SystemClock
from tests.benchmarks._loadgen import ven_ids
from vtn.domain import VenRegistration
from vtn.services.registration import UNAUTHENTICATED
from vtn.storage import open_store


async def seed(url: str, prefix: str, count: int, poll_seconds: float) -> float:
    started = time.perf_counter()
    store = await open_store(url, clock=SystemClock())
    try:
        for ven_id in ven_ids(prefix, count):
            await store.vens.create(
                VenRegistration(
                    fingerprint=f"{UNAUTHENTICATED}{ven_id}",
                    http_pull_model=True,
                    transport_address=None,
                    report_only=False,
                    xml_signature=False,
                    ven_name=ven_id,
                    poll_frequency=timedelta(seconds=poll_seconds),
                    ven_id=ven_id,
                )
            )
    finally:
        await store.close()
    return time.perf_counter() - started


def main() -> None:
    url, prefix, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    poll_seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 10.0
    print(f"{asyncio.run(seed(url, prefix, count, poll_seconds)):.3f}")


if __name__ == "__main__":
    main()
