"""Every case the kit knows, by certification ID: the scenarios it runs (``registration``,
``events``, ``opts``, ``reports``, ``general``, ``ported``, ``sequences``; each pull case has
its push twin, the same scenario over a push registration: N1_00xx/N0_50xx, E1_10xx/E0_60xx,
P1_20xx/P0_70xx, R1_30xx-31xx/R0_80xx-81xx, G1_40xx/G0_90xx (G1_4015 has none),
A_E3_*/A_E2_*) and the cases it reports ``n/a`` with the reason."""

from __future__ import annotations

import fnmatch

from ven.conformance import (
    events,
    general,
    opts,
    ported,
    registration,
    reports,
    sequences,
)
from ven.conformance.scenario import Case

__all__ = ["CATALOG", "NO_LISTENER", "select"]

NO_LISTENER = ("a push variant: the run has no push listener (--push-listen, --push-address); "
               "run the pull variant, or give a listener the VTN can reach")
XMPP = "XMPP is out of scope (CONFORMANCE.md: simpleHttp only until an issue asks for it)"

_PUSH_TWINS = {
    "N1_0010": "N0_5010", "N1_0015": "N0_5015", "N1_0020": "N0_5020", "N1_0025": "N0_5025",
    "N1_0030": "N0_5030", "N1_0040": "N0_5040", "N1_0050": "N0_5050", "N1_0060": "N0_5060",
    "N1_0065": "N0_5065", "N1_0070": "N0_5070", "N1_0080": "N0_5080",
    "E1_1010": "E0_6010", "E1_1020": "E0_6020", "E1_1025": "E0_6025", "E1_1027": "E0_6027",
    "E1_1030": "E0_6030", "E1_1040": "E0_6040", "E1_1050": "E0_6050", "E1_1060": "E0_6060",
    "E1_1065": "E0_6065", "E1_1070": "E0_6070", "E1_1080": "E0_6080",
    "G1_4010": "G0_9010", "G1_4011": "G0_9011", "G1_4020": "G0_9020",
}
_FAMILIES = ("P1_", "R1_", "A_E3_")
"""Families whose every case has a push twin: P1_2010 -> P0_7010, R1_3010 -> R0_8010,
A_E3_0420 -> A_E2_0420."""


def push_twin(case_id: str) -> str | None:
    """The push twin of pull case `case_id` (None: it has none)."""
    if case_id in _PUSH_TWINS:
        return _PUSH_TWINS[case_id]
    if case_id.startswith("A_E3_"):
        return "A_E2_" + case_id[5:]
    if case_id.startswith(_FAMILIES):
        return f"{case_id[0]}0_{int(case_id[3:7]) + 5000:04d}"
    return None

_NOT_RUN = (
    ("N1_0025", "Pre-allocated venID (pull)",
     "needs a venID the VTN's operator allocated out of band before registration (optional "
     "in 2.0b); our VTN assigns venIDs at registration, and the kit has no option to send "
     "one yet"),
    ("E1_1070", "Negative: custom event signal (pull)",
     "a VEN test: a VTN under test is not asked to send custom signals"),
)


def _catalog() -> dict[str, Case]:
    cases: dict[str, Case] = {}
    for case_id, title, run, operator in (*registration.CASES, *events.CASES, *opts.CASES,
                                          *reports.CASES, *general.CASES, *ported.CASES,
                                          *sequences.CASES):
        cases[case_id] = Case(case_id, title, run, steps=_steps(run.__doc__),
                              operator=operator)
    for case_id, title, reason in (*_NOT_RUN, *reports.NOT_RUN, *general.NOT_RUN):
        cases[case_id] = Case(case_id, title, None, not_applicable=reason)
    for pull in list(cases):
        push = push_twin(pull)
        if push is None:
            continue
        twin = cases[pull]
        cases[push] = Case(push, twin.title.replace("(pull)", "(push)"), twin.run,
                           steps=twin.steps, not_applicable=twin.not_applicable,
                           operator=twin.operator, push=True)
    return dict(sorted(cases.items()))


def _steps(doc: str | None) -> tuple[str, ...]:
    return (" ".join((doc or "").split()),)


CATALOG = _catalog()


def select(patterns: str) -> list[Case]:
    """The cases whose IDs match any of the comma-separated glob `patterns` (``N1_*,E1_1010``),
    in ID order; an empty list when none match."""
    wanted = [p.strip() for p in patterns.split(",") if p.strip()]
    return [case for case_id, case in CATALOG.items()
            if any(fnmatch.fnmatchcase(case_id, p) for p in wanted)]
