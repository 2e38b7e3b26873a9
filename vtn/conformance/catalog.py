"""Every case of the kit's VTN side, in run order: the pull variants (``CASES``) and their push
twins (``PUSH_CASES``, the same scripts over a push registration).

Order: the registration and event cases of ``scenarios``, the ported A_E cases (``event_cases``,
then the state sequences of ``state_cases`` and the observations of ``observation_cases``),
the opt (P), report (R) and general (G) cases, and last the cancellations (N1_0030, N1_0040:
they end the registration).
"""

from __future__ import annotations

from vtn.conformance.event_cases import EVENT_CASES
from vtn.conformance.general_cases import GENERAL_CASES, PULL_ONLY
from vtn.conformance.observation_cases import OBSERVATION_CASES
from vtn.conformance.opt_cases import OPT_CASES
from vtn.conformance.report_cases import REPORT_CASES
from vtn.conformance.scenarios import BASE_CASES, Case, push_id
from vtn.conformance.state_cases import STATE_CASES

__all__ = ["CASES", "PUSH_CASES"]

_LAST = ("N1_0030_TH_VTN", "N1_0040_TH_VTN")

CASES: tuple[Case, ...] = (
    *(c for c in BASE_CASES if c.id not in _LAST),
    *(Case(*row) for row in (*EVENT_CASES, *STATE_CASES, *OBSERVATION_CASES, *OPT_CASES,
                             *REPORT_CASES, *GENERAL_CASES)),
    *(c for c in BASE_CASES if c.id in _LAST),
)
"""Every pull case, in the order a run takes them."""

PUSH_CASES: tuple[Case, ...] = tuple(Case(push_id(c.id), c.title, c.run) for c in CASES
                                     if c.id not in PULL_ONLY)
"""The push variants: the same scripts, the messages pushed to the VEN's transport address
instead of handed to its polls (``ScriptedVtn(push=True)``)."""
