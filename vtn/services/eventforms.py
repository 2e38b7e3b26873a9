"""The wire form of each event, built once for all the VENs served in the same second."""

from __future__ import annotations

from collections.abc import Callable, Hashable

from common.messages.event import OadrEvent

__all__ = ["KEEP_FORMS", "EventForms"]

KEEP_FORMS = 512
"""Forms kept (the newest): every event in force, times the eiTargets its VENs are shown."""


class EventForms:
    """Recent ``OadrEvent`` values by what decides them: the event's modification, the instant
    (whole seconds: ``vtn.services.event.distribute``), the near window and the eiTarget the
    VEN is shown. When an event reaches thousands of VENs, each second's VENs get one value,
    which the encoder also writes once (``common.xml``'s filled-event memo)."""

    def __init__(self, keep: int = KEEP_FORMS) -> None:
        self._keep = keep
        self._forms: dict[Hashable, OadrEvent] = {}
        self.built = 0
        """How many forms were built (for the tests)."""

    def form(self, key: Hashable, build: Callable[[], OadrEvent]) -> OadrEvent:
        """The form of `key`, built by `build` if not kept."""
        found = self._forms.get(key)
        if found is None:
            found = build()
            self.built += 1
            if len(self._forms) >= self._keep:
                del self._forms[next(iter(self._forms))]  # the oldest
            self._forms[key] = found
        return found
