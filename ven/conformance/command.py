"""``oadr-ven conformance``: the kit plays the VEN against a VTN under test, by URL."""

from __future__ import annotations

import argparse
import asyncio
import json
import ssl
import sys
from datetime import UTC, datetime
from pathlib import Path

from common.security import client_context, normalize_fingerprint, server_context
from ven.conformance.catalog import select
from ven.conformance.operator import (
    NoOperator,
    Operator,
    OursOperator,
    PromptOperator,
    ScriptOperator,
    read_token,
)
from ven.conformance.report import RunInfo, as_json, counts, write_reports
from ven.conformance.runner import PushSetup, run_cases
from ven.conformance.scenario import (
    PUSH_QUIET,
    PUSH_WAIT,
    Case,
    CaseResult,
    Outcome,
    TlsFiles,
)

__all__ = ["HELP", "add_conformance_arguments", "conformance_command"]

HELP = ("Test a VTN by URL: the kit plays a 2.0b VEN through certification cases "
        "(pull N1_*, E1_*, P1_*, R1_*, G1_*, A_E3_*; push N0_*, E0_*, P0_*, R0_*, G0_*, "
        "A_E2_* with --push-listen) and writes JSON, JUnit XML and Markdown reports.")


def add_conformance_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--vtn-url", required=True, metavar="URL",
                        help="the VTN's 2.0b base URL, e.g. "
                             "https://vtn.example:8443/OpenADR2/Simple/2.0b")
    parser.add_argument("--cert", type=Path, metavar="FILE", help="the VEN's certificate (TLS)")
    parser.add_argument("--key", type=Path, metavar="FILE", help="its private key")
    parser.add_argument("--ca", type=Path, metavar="FILE", help="CA bundle for the VTN")
    parser.add_argument("--vtn-fingerprint", metavar="FP",
                        help="expected fingerprint of the VTN's certificate")
    parser.add_argument("--plain-http", action="store_true",
                        help="allow an http:// URL (no TLS; development only)")
    parser.add_argument("--identity-header", metavar="'NAME: VALUE'",
                        help="plain HTTP: send this header with every request, as a "
                             "TLS-terminating proxy in front of the VTN would (e.g. "
                             "'X-Client-Fingerprint: AA:BB:...'); without it, or a client "
                             "certificate, the VTN cannot tell who sends oadrQueryRegistration")
    parser.add_argument("--push-listen", metavar="HOST:PORT",
                        help="run the push variants (N0_*, E0_*, P0_*, ...): listen here "
                             "for the VTN's pushes (TLS with --cert/--key/--ca when the VTN "
                             "URL is https)")
    parser.add_argument("--push-address", metavar="URL",
                        help="the transport address to register (default: the listener's "
                             "http(s)://HOST:PORT); set it when the VTN reaches the kit "
                             "through another name")
    parser.add_argument("--push-wait", type=float, default=PUSH_WAIT, metavar="S",
                        help=f"push: how long to wait for an expected push [s] "
                             f"(default {PUSH_WAIT:g})")
    parser.add_argument("--push-quiet", type=float, default=PUSH_QUIET, metavar="S",
                        help=f"push: how long without a push means nothing is waiting [s] "
                             f"(default {PUSH_QUIET:g})")
    parser.add_argument("--cases", default="N1_*,E1_*",
                        help="comma-separated glob patterns of case IDs (default N1_*,E1_*)")
    parser.add_argument("--operator", choices=["ours", "script", "prompt", "none"],
                        default="none", help="who does the steps a person at the VTN would do")
    parser.add_argument("--operator-url", metavar="URL",
                        help="ours: the VTN's admin listener, e.g. http://127.0.0.1:8081")
    parser.add_argument("--operator-token-file", type=Path, metavar="FILE",
                        help="ours: the file with the admin token")
    parser.add_argument("--operator-script", metavar="CMD",
                        help="script: run as CMD STEP 'JSON' per step (see docs/conformance.md)")
    parser.add_argument("--ven-name", default="oadr-kit-ven", help="the venName to register")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR",
                        help="directory for report.json, junit.xml and report.md")
    parser.add_argument("--json", action="store_true", help="print the JSON report on stdout")


class _UsageError(Exception):
    pass


def _operator(args: argparse.Namespace) -> Operator:
    if args.operator == "ours":
        if not args.operator_url or not args.operator_token_file:
            raise _UsageError("--operator ours needs --operator-url and --operator-token-file")
        return OursOperator(args.operator_url, read_token(args.operator_token_file))
    if args.operator == "script":
        if not args.operator_script:
            raise _UsageError("--operator script needs --operator-script")
        return ScriptOperator(args.operator_script)
    if args.operator == "prompt":
        return PromptOperator()
    return NoOperator()


def _ssl(args: argparse.Namespace) -> ssl.SSLContext | None:
    if args.vtn_url.startswith("http://"):
        if not args.plain_http:
            raise _UsageError("an http:// VTN URL needs --plain-http (no TLS)")
        return None
    if not (args.cert and args.key and args.ca):
        raise _UsageError("an https:// VTN URL needs --cert, --key and --ca")
    return client_context(args.cert, args.key, ca=args.ca, check_hostname=False)


def _tls_files(args: argparse.Namespace) -> TlsFiles | None:
    """The client certificate files of an https run (``_ssl`` has checked they are given)."""
    if args.vtn_url.startswith("http://"):
        return None
    return TlsFiles(str(args.cert), str(args.key), str(args.ca))


def _identity_header(args: argparse.Namespace) -> dict[str, str] | None:
    if args.identity_header is None:
        return None
    name, colon, value = args.identity_header.partition(":")
    if not colon or not name.strip() or not value.strip():
        raise _UsageError("--identity-header needs 'NAME: VALUE'")
    return {name.strip(): value.strip()}


def _push(args: argparse.Namespace) -> PushSetup | None:
    if args.push_listen is None:
        if args.push_address is not None:
            raise _UsageError("--push-address needs --push-listen")
        return None
    host, _, port = args.push_listen.rpartition(":")
    if not host or not port.isdigit():
        raise _UsageError(f"--push-listen wants HOST:PORT, got {args.push_listen!r}")
    tls = None
    if not args.vtn_url.startswith("http://"):
        tls = server_context(args.cert, args.key, ca=args.ca)
    return PushSetup(host.strip("[]"), int(port), args.push_address, tls,
                     wait=args.push_wait, quiet=args.push_quiet)


def transport_of(cases: list[Case]) -> str:
    """``simpleHttp pull``, ``simpleHttp push`` or both, after the cases selected."""
    kinds = {"push" if c.push else "pull" for c in cases}
    return "simpleHttp " + " and ".join(k for k in ("pull", "push") if k in kinds)


def _progress(result: CaseResult) -> None:
    reason = f": {result.reason}" if result.reason and result.outcome is not Outcome.PASS else ""
    sys.stderr.write(f"{result.case_id} {result.outcome:<14} {result.title}{reason}\n")
    sys.stderr.flush()


def _fingerprint_check(results: list[CaseResult], expected: str) -> str | None:
    """A complaint when a TLS answer came from a certificate other than `expected`."""
    want = normalize_fingerprint(expected)
    for result in results:
        for record in result.transcript:
            if record.tls and record.tls.peer_fingerprint and normalize_fingerprint(
                    record.tls.peer_fingerprint) != want:
                return (f"the VTN presented certificate {record.tls.peer_fingerprint}, "
                        f"not {expected}")
    return None


def conformance_command(args: argparse.Namespace) -> int:
    """Run the selected cases; 0 when none failed, 1 when some did, 2 on a usage error."""
    try:
        operator = _operator(args)
        context = _ssl(args)
        headers = _identity_header(args)
        push = _push(args)
    except (_UsageError, OSError, ssl.SSLError) as exc:
        sys.stderr.write(f"oadr-ven conformance: {exc}\n")
        return 2
    cases = select(args.cases)
    if not cases:
        sys.stderr.write(f"oadr-ven conformance: no case matches {args.cases!r}\n")
        return 2
    started = datetime.now(UTC)
    results = asyncio.run(run_cases(cases, vtn_url=args.vtn_url, operator=operator,
                                    ssl_context=context, ven_name=args.ven_name,
                                    headers=headers, push=push,
                                    tls_files=_tls_files(args),
                                    progress=None if args.json else _progress))
    info = RunInfo(args.vtn_url, operator.name, started, datetime.now(UTC),
                   transport=transport_of(cases))
    paths = write_reports(args.out, info, results)
    tally = counts(results)
    summary = ", ".join(f"{n} {o}" for o, n in tally.items())
    if not args.json:  # --json: the document alone (the progress lines are in the reports)
        sys.stderr.write(f"{len(results)} cases: {summary}; reports in "
                         f"{paths['markdown'].parent}\n")
    problem = _fingerprint_check(results, args.vtn_fingerprint) if args.vtn_fingerprint else None
    if problem:
        sys.stderr.write(f"oadr-ven conformance: {problem}\n")
    if args.json:
        sys.stdout.write(json.dumps(as_json(info, results)) + "\n")
    return 1 if tally[str(Outcome.FAIL)] or problem else 0
