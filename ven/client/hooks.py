"""The interface to the building brain: async callbacks for event changes."""

from __future__ import annotations

from typing import Protocol

from ven.client.events import EventState

__all__ = ["EventHandler", "NoEventHandler"]


class EventHandler(Protocol):
    """What the VEN tells the building brain (dispatch). Both methods are awaited in the VEN's
    loop, after the change is stored: keep them short (start your own task for long work and
    keep a reference to it). An exception is logged and does not stop the VEN.

    - ``on_event(state)``: a new event, a modification (``modification_number`` grew), or a
      change of answer (``state.opt`` / ``state.device_opts``). Act on it only when ``state.opt``
      is optIn; ``state.effective_start`` already includes the randomisation.
    - ``on_cancel(state)``: the event is cancelled, explicitly or implied (``state.phase``);
      stop acting on it.
    """

    async def on_event(self, state: EventState) -> None:
        """A new or changed event."""
        ...

    async def on_cancel(self, state: EventState) -> None:
        """An event was cancelled."""
        ...


class NoEventHandler:
    """A handler that does nothing (a VEN that only reports and answers)."""

    async def on_event(self, state: EventState) -> None:
        """Ignore."""

    async def on_cancel(self, state: EventState) -> None:
        """Ignore."""
