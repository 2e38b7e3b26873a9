"""Running cases against a VEN: ``select`` the cases, ``run_cases`` in order, and
``run_ven`` (the ``oadr-vtn conformance run-ven`` command: listen, run, write the reports)."""

from __future__ import annotations

import argparse
import asyncio
import signal
import ssl
import sys
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common.errors import ConfigError
from common.security import client_context, server_context
from vtn.conformance.catalog import CASES, PUSH_CASES
from vtn.conformance.operator import Operator, make_operator
from vtn.conformance.records import CaseResult, Outcome
from vtn.conformance.report import summary, write_reports
from vtn.conformance.scenarios import Case, Context, push_id
from vtn.conformance.server import ScriptedVtn

__all__ = ["run_cases", "run_ven", "select"]


def select(ids: Iterable[str] | None, *, push: bool = False) -> tuple[Case, ...]:
    """The cases named by `ids` (``N1_0010`` or ``N1_0010_TH_VTN``; with `push` their push
    twins ``N0_5010``, and a pull ID names its twin too), in run order; all when `ids` is
    empty or ``None``. Raises ``ConfigError`` for an unknown ID."""
    table = PUSH_CASES if push else CASES
    wanted = {i.upper().removesuffix("_TH_VTN") for i in ids or ()}
    if push:
        pull_ids = {c.id.removesuffix("_TH_VTN") for c in CASES}
        wanted = {push_id(i) if i in pull_ids else i for i in wanted}
    known = {case.id.removesuffix("_TH_VTN") for case in table}
    if unknown := sorted(wanted - known):
        raise ConfigError(f"unknown case(s) {', '.join(unknown)}; known: "
                          f"{', '.join(sorted(known))}")
    return tuple(c for c in table if not wanted or c.id.removesuffix("_TH_VTN") in wanted)


async def run_cases(vtn: ScriptedVtn, cases: Sequence[Case], operator: Operator, *,
                    timeout: float = 30.0, quiet: float = 5.0) -> list[CaseResult]:
    """Run `cases` one after the other against the VEN talking to `vtn`.

    `timeout` bounds each wait for the VEN [s]; `quiet` is how long the harness watches for
    something that must not happen (a poll after a cancelled registration) [s]. Any rule
    finding on the VEN's messages fails a case that otherwise passed.
    """
    results = []
    for case in cases:
        started = time.monotonic()
        context = Context(case.id, vtn, operator, timeout, quiet, start=vtn.begin(case.id))
        outcome, reason = await case.run(context)
        transcript = vtn.since(context.start)
        findings = [f for record in transcript for f in record.findings]
        if outcome is Outcome.PASS and findings:
            rules = sorted({f.rule.id for f in findings})
            outcome, reason = Outcome.FAIL, (f"{len(findings)} rule finding(s) on the VEN's "
                                             f"messages: {', '.join(rules)}")
        results.append(CaseResult(case.id, case.title, outcome, reason, findings, transcript,
                                  time.monotonic() - started))
    vtn.begin("teardown")
    return results


def _listen(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"--listen wants HOST:PORT, got {text!r}")
    return host.strip("[]"), int(port)


def _tls(args: argparse.Namespace) -> ssl.SSLContext | None:
    given = [args.cert, args.key, args.ca]
    if not any(given):
        return None
    if not all(given):
        raise ConfigError("TLS needs --cert, --key and --ca together")
    return server_context(args.cert, args.key, ca=args.ca)


def _push_tls(args: argparse.Namespace) -> ssl.SSLContext:
    """The harness's client context for pushing to an https VEN: its certificate, the VEN's
    CA; the VEN is known by its certificate, not a host name."""
    return client_context(args.cert, args.key, ca=args.ca, check_hostname=False)


async def _run(args: argparse.Namespace) -> int:
    cases = select(args.case, push=args.push)
    operator = make_operator(args.operator)
    host, port = _listen(args.listen)
    tls = _tls(args)
    vtn = ScriptedVtn(vtn_id=args.vtn_id, poll_freq=timedelta(seconds=args.poll_freq),
                      ven_fingerprint=args.ven_fingerprint, push=args.push,
                      push_tls=_push_tls(args) if tls is not None else None)
    url = await vtn.start(host, port, tls)
    sys.stderr.write(f"oadr-vtn: conformance harness listening; point the VEN at {url}\n")
    started = datetime.now(UTC)
    try:
        results = await run_cases(vtn, cases, operator, timeout=args.timeout, quiet=args.quiet)
    finally:
        await vtn.stop()
    files = write_reports(Path(args.out), results, target=url, started=started,
                          operator=args.operator,
                          transport="simpleHttp push" if args.push else "simpleHttp pull")
    counts = summary(results)
    for result in results:
        sys.stdout.write(f"{result.case_id:18} {result.outcome!s:15} {result.reason}\n")
    sys.stdout.write(", ".join(f"{k}: {v}" for k, v in counts.items())
                     + f"; reports: {', '.join(str(f) for f in files)}\n")
    return 1 if counts[Outcome.FAIL] else 0


def run_ven(args: argparse.Namespace) -> int:
    """The ``conformance run-ven`` command: 0 no case failed, 1 some failed, 2 bad input."""
    try:
        return asyncio.run(_interruptible(args))
    except (ConfigError, ValueError, OSError, ssl.SSLError) as exc:
        sys.stderr.write(f"oadr-vtn: {exc}\n")
        return 2


async def _interruptible(args: argparse.Namespace) -> int:
    task = asyncio.ensure_future(_run(args))
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, task.cancel)
    try:
        return await task
    except asyncio.CancelledError:
        sys.stderr.write("oadr-vtn: interrupted; no report written\n")
        return 1
