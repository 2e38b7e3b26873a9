"""Fixtures of the VEN tests: openleadr's VTN as the peer (a module may override ``vtn``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.openleadr_vtn import OpenleadrVtn


@pytest.fixture
async def vtn() -> AsyncIterator[OpenleadrVtn]:
    """openleadr's VTN on a free port of 127.0.0.1, plain HTTP, default settings."""
    server = OpenleadrVtn()
    await server.start()
    yield server
    await server.stop()
