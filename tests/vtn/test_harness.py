"""The VTN protocol tests' harness itself (``tests.support.vtn_harness``)."""

from __future__ import annotations

from tests.support.vtn_harness import fingerprint_of


def test_fingerprints_are_distinct() -> None:
    assert len({fingerprint_of(n) for n in range(20)}) == 20
