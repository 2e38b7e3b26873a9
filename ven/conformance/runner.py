"""Running cases against one VTN: each case gets a fresh conversation (``Wire.restart``),
runs, is cleaned up, and becomes a ``CaseResult``; the findings of common.conformance fail a
case that met every expectation."""

from __future__ import annotations

import logging
import ssl
import time
from collections.abc import Callable, Sequence

from ven.conformance.operator import Operator
from ven.conformance.scenario import (
    Case,
    CaseFailed,
    CaseResult,
    Harness,
    NeedsOperator,
    Outcome,
)
from ven.conformance.wire import Wire

__all__ = ["run_cases"]

log = logging.getLogger("ven.conformance")


async def run_cases(cases: Sequence[Case], *, vtn_url: str, operator: Operator,
                    ssl_context: ssl.SSLContext | None = None, ven_name: str = "oadr-kit-ven",
                    headers: dict[str, str] | None = None,
                    progress: Callable[[CaseResult], None] | None = None) -> list[CaseResult]:
    """Run `cases` in order against the VTN at `vtn_url` (its 2.0b base path); `headers` go
    with every request (``--identity-header``)."""
    results: list[CaseResult] = []
    async with Wire(vtn_url, ssl_context=ssl_context, headers=headers) as wire:
        for case in cases:
            result = await run_case(case, wire, operator, ven_name=ven_name)
            results.append(result)
            if progress is not None:
                progress(result)
    return results


async def run_case(case: Case, wire: Wire, operator: Operator, *, ven_name: str
                   ) -> CaseResult:
    if case.run is None:
        return CaseResult(case.case_id, case.title, Outcome.NOT_APPLICABLE, case.not_applicable)
    wire.restart()
    harness = Harness(wire, operator, ven_name=ven_name)
    started = time.monotonic()
    outcome, reason = Outcome.PASS, None
    try:
        await case.run(harness)
    except CaseFailed as exc:
        outcome, reason = Outcome.FAIL, str(exc)
    except NeedsOperator as exc:
        outcome, reason = Outcome.NEEDS_OPERATOR, str(exc)
    except Exception as exc:  # a bug of the kit, or an answer it cannot handle: the case fails
        log.exception("case %s raised", case.case_id)
        outcome, reason = Outcome.FAIL, f"the kit raised {type(exc).__name__}: {exc}"
    try:
        await harness.cleanup()
    except Exception as exc:  # cleanup is best effort; the transcript shows what happened
        log.warning("cleanup of %s failed: %s", case.case_id, exc)
    result = CaseResult(case.case_id, case.title, outcome, reason, harness.checks,
                        list(wire.records), time.monotonic() - started)
    if outcome is Outcome.PASS and result.findings:
        result.outcome = Outcome.FAIL
        result.reason = f"{len(result.findings)} conformance finding(s): " + ", ".join(
            sorted({f["rule"] for f in result.findings}))
    return result
