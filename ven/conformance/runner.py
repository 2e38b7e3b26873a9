"""Running cases against one VTN: each case gets a fresh conversation (``Wire.restart``),
runs, is cleaned up, and becomes a ``CaseResult``; the findings of common.conformance fail a
case that met every expectation."""

from __future__ import annotations

import logging
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ven.conformance.catalog import NO_LISTENER
from ven.conformance.operator import Operator
from ven.conformance.push import PushListener
from ven.conformance.scenario import (
    PUSH_QUIET,
    PUSH_WAIT,
    Case,
    CaseFailed,
    CaseResult,
    Harness,
    NeedsOperator,
    NotApplicable,
    Outcome,
    TlsFiles,
)
from ven.conformance.wire import Wire

__all__ = ["PushSetup", "run_cases"]

log = logging.getLogger("ven.conformance")


@dataclass(frozen=True, slots=True)
class PushSetup:
    """Where the kit listens for pushes (``host``, ``port``; 0: a free port), the transport
    address it registers (``None``: ``http(s)://host:port`` of the listener), the TLS context
    of the listener, and its time limits [s]."""

    host: str
    port: int
    address: str | None = None
    tls: ssl.SSLContext | None = None
    wait: float = PUSH_WAIT
    quiet: float = PUSH_QUIET


async def run_cases(cases: Sequence[Case], *, vtn_url: str, operator: Operator,
                    ssl_context: ssl.SSLContext | None = None, ven_name: str = "oadr-kit-ven",
                    headers: dict[str, str] | None = None, push: PushSetup | None = None,
                    tls_files: TlsFiles | None = None,
                    progress: Callable[[CaseResult], None] | None = None) -> list[CaseResult]:
    """Run `cases` in order against the VTN at `vtn_url` (its 2.0b base path); `headers` go
    with every request (``--identity-header``); `push` lets the push variants run (without
    it they are ``n/a``); `tls_files` (https) let G1_4010 open connections of its own."""
    results: list[CaseResult] = []
    async with Wire(vtn_url, ssl_context=ssl_context, headers=headers) as wire:
        listener = None
        address = None
        if push is not None and any(c.push and c.run is not None for c in cases):
            listener = PushListener(wire, push.host, push.port, tls=push.tls)
            port = await listener.start()
            scheme = "https" if push.tls is not None else "http"
            address = push.address or f"{scheme}://{push.host}:{port}"
        try:
            for case in cases:
                result = await run_case(case, wire, operator, ven_name=ven_name,
                                        push_address=address, push=push,
                                        tls_files=tls_files)
                results.append(result)
                if progress is not None:
                    progress(result)
        finally:
            if listener is not None:
                await listener.stop()
    return results


async def run_case(case: Case, wire: Wire, operator: Operator, *, ven_name: str,
                   push_address: str | None = None, push: PushSetup | None = None,
                   tls_files: TlsFiles | None = None) -> CaseResult:
    if case.run is None:
        return CaseResult(case.case_id, case.title, Outcome.NOT_APPLICABLE, case.not_applicable)
    if case.push and push_address is None:
        return CaseResult(case.case_id, case.title, Outcome.NOT_APPLICABLE, NO_LISTENER)
    wire.restart()
    harness = Harness(wire, operator, ven_name=ven_name,
                      push_address=push_address if case.push else None,
                      push_wait=push.wait if push else PUSH_WAIT,
                      push_quiet=push.quiet if push else PUSH_QUIET, tls_files=tls_files)
    started = time.monotonic()
    outcome, reason = Outcome.PASS, None
    try:
        await case.run(harness)
    except CaseFailed as exc:
        outcome, reason = Outcome.FAIL, str(exc)
    except NeedsOperator as exc:
        outcome, reason = Outcome.NEEDS_OPERATOR, str(exc)
    except NotApplicable as exc:
        outcome, reason = Outcome.NOT_APPLICABLE, str(exc)
    except Exception as exc:  # a bug of the kit, or an answer it cannot handle: the case fails
        log.exception("case %s raised", case.case_id)
        outcome, reason = Outcome.FAIL, f"the kit raised {type(exc).__name__}: {exc}"
    try:
        await harness.cleanup()
    except Exception as exc:  # cleanup is best effort; the transcript shows what happened
        log.warning("cleanup of %s failed: %s", case.case_id, exc)
    result = CaseResult(case.case_id, case.title, outcome, reason, harness.checks,
                        list(wire.records), time.monotonic() - started)
    failing = [f for f in result.findings if f["rule"] not in harness.waived]
    if outcome is Outcome.PASS and failing:
        result.outcome = Outcome.FAIL
        result.reason = f"{len(failing)} conformance finding(s): " + ", ".join(
            sorted({f["rule"] for f in failing}))
    return result
