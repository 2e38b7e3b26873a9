"""Waiting for what another task, connection or process does, with a time limit."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def until(condition: Callable[[], bool], limit: float = 10.0) -> bool:
    """Whether `condition` became true within `limit` seconds: for what another connection or
    process does (a listener connecting, a notice arriving), never to let time pass."""
    try:
        async with asyncio.timeout(limit):
            while not condition():
                await asyncio.sleep(0.005)
    except TimeoutError:
        return False
    return True
