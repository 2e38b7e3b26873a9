"""A VEN client's test companions: an event handler that records, and the building's devices."""

from __future__ import annotations

from ven.client import EventState

DEVICES = ("ahu-1", "pv-1")
"""The resource IDs the test VEN reports for."""


class Recorder:
    """An EventHandler that remembers what it was told."""

    def __init__(self) -> None:
        self.events: list[EventState] = []
        self.cancels: list[EventState] = []

    async def on_event(self, state: EventState) -> None:
        """Remember an event the client handed over."""
        self.events.append(state)

    async def on_cancel(self, state: EventState) -> None:
        """Remember a cancellation the client handed over."""
        self.cancels.append(state)
