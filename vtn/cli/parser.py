"""The ``oadr-vtn`` command line: its commands, options and help texts."""

from __future__ import annotations

import argparse
import re
import sys
import typing
from dataclasses import fields
from datetime import datetime

from vtn.cli.connection import CONFIG_ENV
from vtn.config import AdminSettings, VtnConfig

__all__ = ["build_parser"]

_DEFAULTS = {f.name: f.default for f in fields(VtnConfig)}
_ADMIN = AdminSettings()

_DESCRIPTION = f"""\
An OpenADR 2.0b VTN. `serve` runs it; the other commands manage it through its admin API
(JSON over plain HTTP under /admin/api/v1 on the admin listener, by default
{_ADMIN.host}:{_ADMIN.port}; bearer token from the VTN's admin.token_file).

On the VTN's own host they need no options: the configuration is found as `serve` finds it
(--config FILE, or ${CONFIG_ENV}, else the defaults), and gives the admin URL
(http://admin.host:admin.port) and the token file (default state_dir/admin-token, written by the
first `serve`; state_dir defaults to var/ next to the configuration file, else under the
working directory). Times are shown in local time with the zone (--utc for UTC); --json prints
the API's JSON.
"""
_EPILOG = """\
examples:
  oadr-vtn serve --plain-http --port 8080
  oadr-vtn ven list
  oadr-vtn event create --all --signal SIMPLE --level 2 --start +5m --duration 1h
  oadr-vtn event list --current
  oadr-vtn event responses EVENT_ID
  oadr-vtn report export --ven VEN_ID --from 2026-07-01 --out readings.csv
run `oadr-vtn COMMAND --help` (e.g. `oadr-vtn event create --help`) for each command's options.
"""


def _values(text: str) -> float | list[float]:
    """``2`` or ``1,2,3`` (one value per interval)."""
    try:
        parts = [float(p) for p in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number or a comma-separated list "
                                         "of numbers (e.g. 2 or 0.3,0.45)") from None
    return parts[0] if len(parts) == 1 else parts


def _whole(text: str) -> int:
    """A whole number."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number (e.g. 4)") from None


def _when(text: str) -> str:
    """An ISO time (local if it has no zone), ``now`` or ``+DURATION``, as the API takes it."""
    if text.strip().lower() == "now" or text.strip().startswith("+"):
        return text.strip()
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time: give an ISO time (2026-07-01T14:00, local unless it has "
            "a zone), 'now' or +DURATION (+5m, +PT1H)") from None
    return (value.astimezone() if value.tzinfo is None else value).isoformat()


def _instant(text: str) -> str:
    """An ISO time (local if it has no zone), as the API takes it."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time: give an ISO time (2026-07-01 or 2026-07-01T14:00, local "
            "unless it has a zone)") from None
    return (value.astimezone() if value.tzinfo is None else value).isoformat()


_SIGNALS = ("SIMPLE", "LOAD_DISPATCH", "LOAD_CONTROL", "ELECTRICITY_PRICE")


def _signal_name(text: str) -> str:
    """A signal name the admin API takes, or a private ``x-`` one."""
    if text in _SIGNALS or (text.startswith("x-") and len(text) > 2):
        return text
    raise argparse.ArgumentTypeError(f"{text!r} is not one of {', '.join(_SIGNALS)} or a "
                                     "private x-NAME")


class _Formatter(argparse.RawDescriptionHelpFormatter):
    pass


class _Parser(argparse.ArgumentParser):
    """Bad input is one line on stderr, ``oadr-vtn: --option: what is wrong``, exit status 1,
    as for every other error of the command (not argparse's usage dump and status 2)."""

    def error(self, message: str) -> typing.NoReturn:
        message = re.sub(r"^argument ([^:]+): ", r"\1: ", message)
        command = self.prog if self.prog.startswith("oadr-vtn") else "oadr-vtn"
        sys.stderr.write(f"oadr-vtn: {message} (see `{command} --help`)\n")
        sys.exit(1)


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``oadr-vtn`` and all its commands."""
    common = _Parser(add_help=False)
    talk = common.add_argument_group("connection and output")
    talk.add_argument("--config", metavar="FILE",
                      help=f"the VTN configuration (TOML); default ${CONFIG_ENV} if set")
    talk.add_argument("--url", help="the admin API's base URL (default "
                                    "http://admin.host:admin.port from the configuration, "
                                    f"else http://127.0.0.1:{_ADMIN.port})")
    talk.add_argument("--token-file", metavar="FILE",
                      help="the admin token file (default: the configuration's "
                           "admin.token_file, else state_dir/admin-token)")
    talk.add_argument("--ca", metavar="FILE", help="CA bundle to verify an https VTN "
                                                    "(default: the configuration's tls.ca)")
    talk.add_argument("--client-cert", metavar="FILE",
                      help="client certificate (PEM) for a VTN that requires one")
    talk.add_argument("--client-key", metavar="FILE", help="its private key (PEM)")
    talk.add_argument("--json", action="store_true", help="print the API's JSON")
    talk.add_argument("--utc", action="store_true", help="show times in UTC, not local time")

    parser = _Parser(prog="oadr-vtn", description=_DESCRIPTION, epilog=_EPILOG,
                     formatter_class=_Formatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def group(name: str, text: str) -> argparse._SubParsersAction:
        sub = commands.add_parser(name, help=text, description=text, formatter_class=_Formatter)
        return sub.add_subparsers(dest="action", required=True, metavar="ACTION")

    def leaf(parent: argparse._SubParsersAction, name: str, text: str,
             examples: str) -> argparse.ArgumentParser:
        return parent.add_parser(name, help=text, description=text, parents=[common],
                                 epilog="examples:\n" + examples, formatter_class=_Formatter)

    _serve_parser(commands)
    vens = group("ven", "VEN registrations: list, show, cancel, reregister, capacity.")
    leaf(vens, "list", "List registered VENs.",
         "  oadr-vtn ven list\n  oadr-vtn ven list --cancelled --json\n").add_argument(
        "--cancelled", action="store_true", help="include cancelled registrations")
    leaf(vens, "show", "Show one VEN's registration.",
         "  oadr-vtn ven show VEN_ID\n").add_argument("ven_id", metavar="VEN_ID")
    leaf(vens, "cancel", "Cancel a VEN's registration; the VEN is sent "
                         "oadrCancelPartyRegistration (pushed, or at its next poll).",
         "  oadr-vtn ven cancel VEN_ID\n").add_argument("ven_id", metavar="VEN_ID")
    leaf(vens, "reregister", "Ask a VEN to register again; the VEN is sent "
                             "oadrRequestReregistration (pushed, or at its next poll).",
         "  oadr-vtn ven reregister VEN_ID\n  oadr-vtn ven reregister VEN_ID --json\n"
         ).add_argument("ven_id", metavar="VEN_ID")

    events = group("event", "Demand-response events: create, modify, cancel, list, show, "
                            "responses.")
    create = leaf(events, "create", "Issue an event to some or all VENs.", (
        "  oadr-vtn event create --ven VEN_ID --level 1 --start +5m --duration 1h\n"
        "  oadr-vtn event create --all --signal LOAD_DISPATCH --kw 50 --start 2026-07-01T14:00"
        " --duration 2h --intervals 4\n"
        "  oadr-vtn event create --group north --signal ELECTRICITY_PRICE --price 0.30,0.45 "
        "--start +PT1H --duration 2h --intervals 2\n"
        "  oadr-vtn event create --all --signal LOAD_DISPATCH --type delta --kw 20 "
        "--baseline-kw 120 --start +5m --duration 1h\n"
        "  oadr-vtn event create --all --signal x-myShed --type level --level 4 --start +5m "
        "--duration 1h\n"))
    _event_options(create, creating=True)
    modify = leaf(events, "modify", "Change an event; its modification number grows by one. "
                                    "Options not given keep their value.", (
        "  oadr-vtn event modify EVENT_ID --level 3\n"
        "  oadr-vtn event modify EVENT_ID --duration 90m --reason 'heat wave lasts'\n"))
    modify.add_argument("event_id", metavar="EVENT_ID")
    _event_options(modify, creating=False)
    modify.add_argument("--expect-mod", type=_whole, metavar="N", help="refuse unless the event "
                        "is at modification N (guards against concurrent changes)")
    modify.add_argument("--reason", help="why it changed (kept with the event)")
    cancel = leaf(events, "cancel", "Cancel an event (the VENs are told).",
                  "  oadr-vtn event cancel EVENT_ID --reason 'cooler than forecast'\n")
    cancel.add_argument("event_id", metavar="EVENT_ID")
    cancel.add_argument("--reason", help="why it was cancelled")
    listing = leaf(events, "list", "List events by start time.",
                   "  oadr-vtn event list\n  oadr-vtn event list --current --json\n")
    listing.add_argument("--current", action="store_true", help="only events not over yet")
    listing.add_argument("--no-cancelled", action="store_true", help="leave cancelled out")
    listing.add_argument("--limit", type=_whole, metavar="N", help="at most N events")
    leaf(events, "show", "Show one event with its intervals.",
         "  oadr-vtn event show EVENT_ID --utc\n").add_argument("event_id", metavar="EVENT_ID")
    leaf(events, "responses", "Per targeted VEN: which modification it has received and its "
                              "opt-in/opt-out answer.",
         "  oadr-vtn event responses EVENT_ID\n").add_argument("event_id", metavar="EVENT_ID")

    opts = group("opt", "Opts the VENs sent (event opt-in/opt-out, availability schedules).")
    opt_list = leaf(opts, "list", "List opts in the order received.",
                    "  oadr-vtn opt list --event EVENT_ID\n")
    opt_list.add_argument("--ven", metavar="VEN_ID", help="only this VEN's opts")
    opt_list.add_argument("--event", metavar="EVENT_ID", help="only opts of this event")
    opt_list.add_argument("--cancelled", action="store_true", help="include cancelled opts")

    leaf(vens, "capacity", "Shed capacity a VEN has shown: its largest achieved reduction, "
                           "its latest baseline and the capacity estimated from both.",
         "  oadr-vtn ven capacity VEN_ID --json\n").add_argument("ven_id", metavar="VEN_ID")
    perf = commands.add_parser(
        "performance", parents=[common], formatter_class=_Formatter,
        help="Per VEN: requested, baseline, target and actual kW of an event, %% delivered, kWh.",
        description="Per VEN that reported in the event window: requested shed, baseline, "
                    "target (baseline - requested) and actual kW, achieved reduction, %% of the "
                    "requested energy delivered, kWh, data points, baseline method and "
                    "confidence. VENs the event did not target show requested 0.",
        epilog="examples:\n  oadr-vtn performance EVENT_ID\n"
               "  oadr-vtn performance EVENT_ID --json\n"
               "  oadr-vtn performance EVENT_ID --csv > performance.csv\n")
    perf.add_argument("event_id", metavar="EVENT_ID")
    perf.add_argument("--csv", action="store_true", help="print the rows as CSV")
    perf.set_defaults(action="show")

    reports = group("report", "Reports: what VENs offer, what the VTN requested (request, "
                              "cancel), readings.")
    leaf(reports, "list", "List the reports VENs offer and the report requests made.",
         "  oadr-vtn report list\n  oadr-vtn report list --ven VEN_ID --json\n").add_argument(
        "--ven", metavar="VEN_ID", help="only this VEN")
    ask = leaf(reports, "request", "Ask a VEN for a report it offers (see `oadr-vtn report "
                                   "list`); the VEN is sent oadrCreateReport (pushed, or at its "
                                   "next poll). HISTORY reports are asked for once over "
                                   "--start/--duration (default: the last day).", (
        "  oadr-vtn report request VEN_ID SPECIFIER_ID\n"
        "  oadr-vtn report request VEN_ID SPECIFIER_ID --rid power --granularity 1m --every 15m\n"
        "  oadr-vtn report request VEN_ID SPECIFIER_ID --one-shot --json\n"
        "  oadr-vtn report request VEN_ID HISTORY_SPECIFIER_ID --start 2026-07-01 --duration 1d\n"))
    ask.add_argument("ven_id", metavar="VEN_ID")
    ask.add_argument("report_specifier_id", metavar="SPECIFIER_ID",
                     help="the reportSpecifierID the VEN offers")
    ask.add_argument("--rid", action="append", metavar="R_ID",
                     help="a data point to ask for (repeatable; default: all)")
    ask.add_argument("--granularity", metavar="DURATION",
                     help="sampling interval (1m, PT15M); not finer than the report's minPeriod")
    ask.add_argument("--every", dest="report_back_duration", metavar="DURATION",
                     help="how often the VEN sends (reportBackDuration)")
    ask.add_argument("--one-shot", action="store_true", help="one report, not periodic")
    ask.add_argument("--start", type=_when, metavar="TIME",
                     help="reportInterval start: ISO time (local unless it has a zone), 'now' "
                          "or +DURATION")
    ask.add_argument("--duration", metavar="DURATION",
                     help="reportInterval length (default: until cancelled; HISTORY: 1 day)")
    stop = leaf(reports, "cancel", "Cancel a report request; the VEN is sent oadrCancelReport "
                                   "(pushed, or at its next poll).", (
        "  oadr-vtn report cancel REPORT_REQUEST_ID\n"
        "  oadr-vtn report cancel REPORT_REQUEST_ID --report-to-follow --json\n"))
    stop.add_argument("report_request_id", metavar="REPORT_REQUEST_ID")
    stop.add_argument("--report-to-follow", action="store_true",
                      help="the VEN sends the data it has before it stops")
    export = leaf(reports, "export", "Export readings as CSV (columns: ven_id, "
                                     "report_request_id, r_id, start (UTC), duration, value, "
                                     "item_units, scale, report_type, reading_type, "
                                     "data_quality).", (
        "  oadr-vtn report export > readings.csv\n"
        "  oadr-vtn report export --ven VEN_ID --rid power --from 2026-07-01 --to 2026-07-02 "
        "--out july-1.csv\n"))
    export.add_argument("--ven", metavar="VEN_ID", help="only this VEN's readings")
    export.add_argument("--request", metavar="ID", help="only this report request")
    export.add_argument("--rid", action="append", metavar="R_ID",
                        help="only this data point (repeatable)")
    export.add_argument("--from", dest="start_from", type=_when, metavar="TIME",
                        help="intervals starting at or after TIME (local unless it has a zone)")
    export.add_argument("--to", dest="start_before", type=_when, metavar="TIME",
                        help="intervals starting before TIME")
    export.add_argument("--limit", type=_whole, metavar="N", help="at most N readings")
    export.add_argument("--out", metavar="FILE", help="write to FILE instead of stdout")
    _conformance_parser(group("conformance", "Conformance: check captured traffic against the "
                                             "2.0b certification rules (check), or play the "
                                             "VTN for a VEN under test (run-ven)."))
    audit = group("audit", "The audit log: every change operators made through the admin API "
                           "(who, what, when, on what).")
    audit_list = leaf(audit, "list", "List operator actions, oldest first.", (
        "  oadr-vtn audit list\n"
        "  oadr-vtn audit list --since 2026-07-01 --json\n"
        "  oadr-vtn audit list --since 2026-07-01T14:00 --action event.\n"
        "  oadr-vtn audit list --object EVENT_ID --limit 20\n"))
    audit_list.add_argument("--since", type=_instant, metavar="TIME",
                            help="actions at or after TIME (ISO; local unless it has a zone)")
    audit_list.add_argument("--until", type=_instant, metavar="TIME", help="actions before TIME")
    audit_list.add_argument("--action", dest="audit_action", metavar="ACTION",
                            help="only this action (event.cancel), or a family (event.)")
    audit_list.add_argument("--object", metavar="ID", help="only actions on this VEN or event")
    audit_list.add_argument("--limit", type=_whole, metavar="N", help="the newest N only")
    return parser


def _conformance_parser(actions: argparse._SubParsersAction) -> None:
    text = ("Check captured 2.0b traffic against the automatic certification rules (offline: "
            "no VTN needed). Exit status 0: no finding, 1: findings, 2: unreadable input.")
    check = actions.add_parser("check", help=text, description=text, formatter_class=_Formatter,
                               epilog=(
        "FILE is an XML oadrPayload, or a capture log of JSON lines\n"
        '  {"time": ISO8601, "direction": "ven->vtn"|"vtn->ven", "body": "<oadrPayload...>"}\n'
        "(see docs/conformance.md).\n"
        "examples:\n"
        "  oadr-vtn conformance check capture.jsonl\n"
        "  oadr-vtn conformance check distribute.xml --at 2026-07-01T17:00Z --json\n"
        "  oadr-vtn conformance check capture.jsonl --vtn-id vtn-1 --market-context "
        "http://mc\n"))
    check.add_argument("files", nargs="+", metavar="FILE", help="XML payload or capture log")
    check.add_argument("--vtn-id", action="append", metavar="ID",
                       help="a valid vtnID (repeatable; also learnt from registrations)")
    check.add_argument("--ven-id", action="append", metavar="ID",
                       help="a registered venID (repeatable; also learnt from registrations)")
    check.add_argument("--market-context", action="append", metavar="URI",
                       help="a known market context (repeatable; unchecked if none)")
    check.add_argument("--from", dest="sender", choices=["ven", "vtn"],
                       help="who sent an XML FILE (default: by its payload type)")
    check.add_argument("--at", metavar="TIME", help="when an XML FILE was sent (ISO 8601, "
                       "UTC unless it has a zone), for the createdDateTime rule")
    check.add_argument("--json", action="store_true", help="print one JSON document")
    _run_ven_parser(actions)


def _run_ven_parser(actions: argparse._SubParsersAction) -> None:
    text = ("Play the certification harness's VTN for a VEN under test: listen, run the cases "
            "(pull variants, by case ID) through the VEN's polls, judge every VEN message with "
            "the automatic rules, and write report.json, junit.xml and report.md. Exit status "
            "0: no case failed, 1: some failed, 2: bad options.")
    run = actions.add_parser("run-ven", help=text, description=text, formatter_class=_Formatter,
                             epilog=(
        "Start the harness, then point the VEN at the URL it prints (a base URL: the VEN "
        "posts to BASE/EiRegisterParty, BASE/OadrPoll...).\n"
        "examples:\n"
        "  oadr-vtn conformance run-ven --listen 127.0.0.1:8443 --out results/\n"
        "  oadr-vtn conformance run-ven --listen 0.0.0.0:8443 --cert th.pem --key th.key "
        "--ca ca.pem --ven-fingerprint 8E:...:5C --case N1_0020 --case E1_1020\n"
        "  oadr-vtn conformance run-ven --listen 127.0.0.1:8080 --operator script:./steps.sh\n"
        "operators (steps a person takes on the VEN, see docs/conformance.md): none (the "
        "default: such cases end needs-operator), prompt, script:COMMAND, "
        "ours-ven:VEN_CONFIG.\n"))
    run.add_argument("--listen", required=True, metavar="HOST:PORT",
                     help="where the harness listens (port 0: any free port)")
    run.add_argument("--out", required=True, metavar="DIR", help="where the reports go")
    run.add_argument("--case", action="append", metavar="ID",
                     help="run only this case (repeatable; N1_0020 or N1_0020_TH_VTN); "
                          "default: all")
    run.add_argument("--cert", metavar="FILE", help="the harness's TLS certificate (PEM)")
    run.add_argument("--key", metavar="FILE", help="its private key (PEM)")
    run.add_argument("--ca", metavar="FILE", help="the CA the VEN's client certificate must "
                     "chain to (TLS needs --cert, --key and --ca)")
    run.add_argument("--ven-fingerprint", metavar="FP",
                     help="require this client certificate fingerprint (403 otherwise)")
    run.add_argument("--operator", default="none", metavar="SPEC",
                     help="none | prompt | script:COMMAND | ours-ven:VEN_CONFIG")
    run.add_argument("--vtn-id", default="TH-VTN-1", help="the harness's vtnID")
    run.add_argument("--poll-freq", type=float, default=10.0, metavar="SECONDS",
                     help="the requestedOadrPollFreq handed to the VEN (whole seconds)")
    run.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                     help="how long each step waits for the VEN (default 60)")
    run.add_argument("--quiet", type=float, default=30.0, metavar="SECONDS",
                     help="how long the harness watches for what must not happen, e.g. a "
                          "poll after a cancelled registration (default 30)")
    run.add_argument("--push", action="store_true",
                     help="run the push variants (N0_50xx, E0_60xx, A_E0_*): the VEN registers "
                          "for push and the harness POSTs to its transport address (with "
                          "--cert/--key as its client certificate over https)")


def _serve_parser(commands: argparse._SubParsersAction) -> None:
    text = ("Run the VTN (2.0b endpoints, and the admin API on its own loopback listener) until "
            "stopped (Ctrl-C or SIGTERM).")
    serve = commands.add_parser("serve", help=text, description=text, formatter_class=_Formatter,
                                epilog=(
        "examples:\n"
        "  oadr-vtn serve --config vtn.toml\n"
        "  oadr-vtn serve --plain-http --port 8080 --db var/dev.sqlite   # development only\n"
        "The admin token is written to admin.token_file (mode 0600) at the first start.\n"
        "The admin API listens on http://admin.host:admin.port (default 127.0.0.1:8081).\n"))
    serve.add_argument("--config", metavar="FILE", help="the VTN configuration (TOML); "
                       f"default ${CONFIG_ENV} if set")
    serve.add_argument("--plain-http", action="store_true",
                       help="serve plain HTTP without TLS (development only)")
    serve.add_argument("--host", help=f"listen address (default {_DEFAULTS['host']})")
    serve.add_argument("--port", type=_whole, help=f"listen port (default {_DEFAULTS['port']})")
    serve.add_argument("--db", metavar="URL", help="database URL (sqlite+aiosqlite:///FILE or "
                       "postgresql+asyncpg://...) or a SQLite file path; default "
                       "state_dir/vtn.sqlite")
    serve.add_argument("--admin-port", type=_whole, metavar="PORT",
                       help=f"admin listener port (default {_ADMIN.port}; 0: off)")
    serve.add_argument("--workers", type=_whole, metavar="N",
                       help="processes serving the 2.0b port (default 1; they share the "
                            "database: PostgreSQL for heavy write loads)")
    serve.add_argument("--log-level", default="INFO",
                       choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="default INFO")
    serve.add_argument("--log-format", choices=["text", "json"],
                       help="log lines for people (text) or one JSON object per line (json); "
                            "default: the configuration's log_format, else text")


def _event_options(parser: argparse.ArgumentParser, *, creating: bool) -> None:
    who = parser.add_argument_group("targets" + ("" if creating else " (replace the old ones)"))
    who.add_argument("--ven", action="append", metavar="VEN_ID",
                     help="a VEN to target (repeatable)")
    who.add_argument("--all", action="store_true", help="every registered VEN")
    who.add_argument("--group", action="append", metavar="ID", help="a group id (repeatable)")
    who.add_argument("--resource", action="append", metavar="ID",
                     help="a resource id (repeatable)")
    who.add_argument("--party", action="append", metavar="ID", help="a party id (repeatable)")
    what = parser.add_argument_group("signal")
    what.add_argument("--signal", type=_signal_name, metavar="NAME",
                      help="SIMPLE, LOAD_DISPATCH, LOAD_CONTROL, ELECTRICITY_PRICE or a private "
                           "x-NAME (needs --type)" + (" (default SIMPLE)" if creating else ""))
    what.add_argument("--type", dest="signal_type", metavar="TYPE",
                      help="signal type (default by signal: level, setpoint, "
                           "x-loadControlLevelOffset or x-loadControlCapacity, price; "
                           "LOAD_DISPATCH also takes delta)")
    payload = what.add_mutually_exclusive_group()
    payload.add_argument("--level", type=_values, metavar="N[,N...]",
                         help="level (SIMPLE: 0-3), one for all intervals or one per interval")
    payload.add_argument("--kw", type=_values, metavar="KW[,KW...]",
                         help="power [kW]: target load (LOAD_DISPATCH setpoint), shed "
                              "(LOAD_DISPATCH --type delta) or capacity")
    payload.add_argument("--price", type=_values, metavar="P[,P...]",
                         help="price [currency/kWh] (ELECTRICITY_PRICE)")
    what.add_argument("--currency", metavar="CODE", help="ISO 4217 currency of prices "
                                                         "(default USD)")
    what.add_argument("--baseline-kw", type=_values, metavar="KW[,KW...]",
                      help="the event's baseline [kW] (eiEventBaseline), one for all intervals "
                           "or one per interval" + ("" if creating else "; replaces the old one"))
    when = parser.add_argument_group("timing")
    when.add_argument("--start", type=_when, metavar="TIME", required=creating,
                      help="ISO time (local unless it has a zone), 'now', or +DURATION from "
                           "now (+5m, +1h30m, +PT1H), aligned up to the whole minute (+5m at "
                           "14:02:30 starts at 14:08:00)")
    when.add_argument("--duration", metavar="DURATION", required=creating,
                      help="length: 1h, 90m, PT2H, ...")
    when.add_argument("--intervals", type=_whole, metavar="N",
                      help="split the duration into N equal intervals (default 1)")
    when.add_argument("--startafter", metavar="DURATION",
                      help="let each VEN start up to DURATION late (randomisation)")
    when.add_argument("--ramp-up", metavar="DURATION", help="ramp-up period before the start")
    when.add_argument("--recovery", metavar="DURATION", help="recovery period after the end")
    how = parser.add_argument_group("event options")
    how.add_argument("--priority", type=_whole, metavar="N",
                     help="1 is the highest, larger is lower; 0 (the default) means no "
                          "priority, the lowest")
    how.add_argument("--test", action=argparse.BooleanOptionalAction, default=None,
                     help="a test event: VENs must not act on it")
    how.add_argument("--response-required", choices=["always", "never"],
                     help="whether VENs must answer (default always)")
    how.add_argument("--market-context", metavar="URI",
                     help="the program (default from the VTN configuration)")
    how.add_argument("--comment", metavar="TEXT", help="a comment for the VENs (vtnComment)")
