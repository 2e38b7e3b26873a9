"""The kit's VTN side: a scripted fake VTN that runs certification cases against a VEN.

``oadr-vtn conformance run-ven --listen HOST:PORT --out DIR`` listens for the VEN under
test, plays each case (CONFORMANCE.md §2.2, named by case ID) through the VEN's own polls
or, with ``--push``, by POSTing to its transport address (the push variants), judges every
VEN message with ``common.conformance`` and writes the reports. It is separate from the VTN
proper: it imports none of ``vtn.services`` or ``vtn.storage`` (and nothing of ``ven``).

- ``server``: ``ScriptedVtn``, the listener and its default answers, recording every exchange;
- ``catalog``: every case (``CASES``, ``PUSH_CASES``), in run order;
- ``scenarios``: the registration and event cases and their ``Context``; ``event_cases``,
  ``state_cases`` (event-state sequences), ``observation_cases`` (what the VEN does with an
  event in time, read through the operator), ``opt_cases``, ``report_cases`` and
  ``general_cases``: the ported A_E, P, R and G cases;
- ``operator``: adapters for steps a person takes on the VEN (``none``, ``prompt``,
  ``script:CMD``, ``ours-ven:CONFIG``);
- ``records``: ``Record`` (one exchange), ``CaseResult`` and ``Outcome``;
- ``report``: the JSON, JUnit XML and Markdown reports (``common.conformance.run_report``);
- ``runner``: ``select``, ``run_cases`` and the command (``run_ven``).
"""

from vtn.conformance.catalog import CASES
from vtn.conformance.records import CaseResult, Outcome, Record
from vtn.conformance.runner import run_cases, run_ven, select
from vtn.conformance.server import ScriptedVtn

__all__ = ["CASES", "CaseResult", "Outcome", "Record", "ScriptedVtn", "run_cases", "run_ven",
           "select"]
