"""The openleadr VTN used as the VEN tests' peer (``tests.support.openleadr_vtn``)."""

from __future__ import annotations

from tests.support.openleadr_vtn import OpenleadrVtn


async def test_harness_starts_on_an_ephemeral_port():
    vtn = OpenleadrVtn()
    await vtn.start()
    try:
        assert vtn.port > 0
    finally:
        await vtn.stop()
