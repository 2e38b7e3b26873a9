"""The ``oadr-vtn`` management commands: each calls the admin API and returns (JSON, text)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from vtn.cli import views
from vtn.cli.client import AdminClient, ClientError
from vtn.cli.output import seconds

__all__ = ["COMMANDS", "Command", "event_body", "option_of"]

_OPTIONS = {"signal_name": "--signal", "signal_type": "--type", "ramp_up": "--ramp-up",
            "test_event": "--test", "response_required": "--response-required",
            "market_context": "--market-context", "vtn_comment": "--comment",
            "ven_ids": "--ven", "group_ids": "--group", "resource_ids": "--resource",
            "party_ids": "--party", "ven_id": "--ven", "report_request_id": "--request",
            "r_id": "--rid", "from": "--from", "to": "--to",
            "expected_modification_number": "--expect-mod", "r_ids": "--rid",
            "baseline": "--baseline-kw", "baseline.kw": "--baseline-kw",
            "report_back_duration": "--every", "one_shot": "--one-shot"}
_SAME = ("level", "kw", "price", "currency", "start", "duration", "intervals", "startafter",
         "recovery", "priority", "reason", "limit", "granularity")


def option_of(field: str | None, message: str) -> str:
    """The admin API's error `message` about `field` (``duration: ...``) in the CLI's words
    (``--duration: ...``), so that bad input reads the same whether the CLI or the API found it."""
    name = (field or "").removeprefix("targets.")
    option = _OPTIONS.get(name) or (f"--{name}" if name in _SAME else None)
    if field is None or option is None or not message.startswith(f"{field}: "):
        return message
    return f"{option}: {message.removeprefix(f'{field}: ')}"


def _warn(data: dict[str, Any]) -> None:
    for warning in data.get("warnings", ()):
        sys.stderr.write(f"oadr-vtn: warning: {warning}\n")


def event_body(args: argparse.Namespace) -> dict[str, Any]:
    body: dict[str, Any] = {}
    lists = {"ven_ids": args.ven, "group_ids": args.group, "resource_ids": args.resource,
             "party_ids": args.party}
    if args.all:
        body["targets"] = {"all": True, **{k: v for k, v in lists.items() if v}}
    elif any(lists.values()):
        body["targets"] = {k: v for k, v in lists.items() if v}
    pairs = {
        "signal_name": args.signal, "signal_type": args.signal_type, "level": args.level,
        "kw": args.kw, "price": args.price, "currency": args.currency, "start": args.start,
        "duration": args.duration, "intervals": args.intervals, "startafter": args.startafter,
        "ramp_up": args.ramp_up, "recovery": args.recovery, "priority": args.priority,
        "test_event": args.test, "response_required": args.response_required,
        "market_context": args.market_context, "vtn_comment": args.comment,
    }
    body.update({k: v for k, v in pairs.items() if v is not None})
    if args.baseline_kw is not None:
        body["baseline"] = {"kw": args.baseline_kw}
    return body


Command = Callable[[AdminClient, argparse.Namespace], tuple[Any, str]]
"""A command: (the API's JSON for --json, or ``None``; the text for people)."""


def _ven_list(api: AdminClient, args: argparse.Namespace) -> tuple[Any, str]:
    data = api.get("/vens", {"include_cancelled": "true" if args.cancelled else None})
    return data, views.ven_table(data["vens"], utc=args.utc)


def _ven_show(api: AdminClient, args: argparse.Namespace) -> tuple[Any, str]:
    data = api.get(f"/vens/{_segment(args.ven_id)}")
    return data, views.ven_detail(data, utc=args.utc)


def _ven_cancel(api: AdminClient, args: argparse.Namespace) -> tuple[Any, str]:
    data = api.send("POST", f"/vens/{_segment(args.ven_id)}/cancel")
    return data, (f"Cancelled the registration of VEN {data['ven']['ven_id']}; "
                  "oadrCancelPartyRegistration is queued for it.")


def _ven_reregister(api: AdminClient, args: argparse.Namespace) -> tuple[Any, str]:
    data = api.send("POST", f"/vens/{_segment(args.ven_id)}/reregister")
    return data, (f"Asked VEN {data['ven']['ven_id']} to register again; "
                  "oadrRequestReregistration is queued for it.")


def _event_create(api: AdminClient, args: argparse.Namespace) -> tuple[Any, str]:
    if not (args.all or args.ven or args.group or args.resource or args.party):
        raise ClientError("say who the event is for: --ven VEN_ID (repeatable), --group, "
                          "--resource, --party, or --all")
    data = api.send("POST", "/events", event_body(args))
    _warn(data)
    return data, "Created " + views.event_detail(data, utc=args.utc)


def _event_modify(api: AdminClient, args: argparse.Namespace) -> tuple[Any, str]:
    body = event_body(args)
    if not body:
        raise ClientError("nothing to modify: give at least one event option "
                          "(see oadr-vtn event modify --help)")
    if args.expect_mod is not None:
        body["expected_modification_number"] = args.expect_mod
    if args.reason:
        body["reason"] = args.reason
    data = api.send("PATCH", f"/events/{_segment(args.event_id)}", body)
    _warn(data)
    return data, "Modified " + views.event_detail(data, utc=args.utc)


def _event_cancel(api: AdminClient, args: argparse.Namespace) -> tuple[Any, str]:
    body = {"reason": args.reason} if args.reason else {}
    data = api.send("POST", f"/events/{_segment(args.event_id)}/cancel", body)
    return data, (f"Cancelled event {data['event_id']} (modification "
                  f"{data['modification_number']}); the VENs are told.")


def _event_list(api: AdminClient, args: argparse.Namespace) -> tuple[Any, str]:
    query: dict[str, str | None] = {
        "include_cancelled": "false" if args.no_cancelled else None,
        "limit": None if args.limit is None else str(args.limit),
    }
    if args.current:
        query["ending_after"] = _now(args).isoformat()
    data = api.get("/events", query)
    return data, views.event_table(data["events"], utc=args.utc)


def _now(args: argparse.Namespace) -> datetime:
    """The VTN's time: its configuration's clock (simulated time with ``[clock]``)."""
    from common.clock import clock_from
    from vtn.cli.connection import cli_config

    return clock_from(cli_config(args).clock).now()


def _event_show(api: AdminClient, args: argparse.Namespace) -> tuple[Any, str]:
    data = api.get(f"/events/{_segment(args.event_id)}")
    return data, views.event_detail(data, utc=args.utc)


def _event_responses(api: AdminClient, args: argparse.Namespace) -> tuple[Any, str]:
    data = api.get(f"/events/{_segment(args.event_id)}/responses")
    return data, views.responses_table(data, utc=args.utc)


def _opt_list(api: AdminClient, args: argparse.Namespace) -> tuple[Any, str]:
    data = api.get("/opts", {"ven_id": args.ven, "event_id": args.event,
                             "include_cancelled": "true" if args.cancelled else None})
    return data, views.opt_table(data["opts"], utc=args.utc)


def _audit_list(api: AdminClient, args: argparse.Namespace) -> tuple[Any, str]:
    data = api.get("/audit", {"since": args.since, "until": args.until, "action": args.audit_action,
                              "object_id": args.object,
                              "limit": None if args.limit is None else str(args.limit)})
    return data, views.audit_table(data["entries"], utc=args.utc)


def _report_list(api: AdminClient, args: argparse.Namespace) -> tuple[Any, str]:
    capabilities = api.get("/reports/capabilities", {"ven_id": args.ven})["capabilities"]
    subscriptions = api.get("/reports/subscriptions", {"ven_id": args.ven})["subscriptions"]
    data = {"capabilities": capabilities, "subscriptions": subscriptions}
    return data, views.report_tables(capabilities, subscriptions)


def _report_request(api: AdminClient, args: argparse.Namespace) -> tuple[Any, str]:
    body: dict[str, Any] = {"ven_id": args.ven_id,
                            "report_specifier_id": args.report_specifier_id}
    pairs = {"r_ids": args.rid, "granularity": args.granularity,
             "report_back_duration": args.report_back_duration, "start": args.start,
             "duration": args.duration, "one_shot": args.one_shot or None}
    body.update({k: v for k, v in pairs.items() if v is not None})
    data = api.send("POST", "/reports/subscriptions", body)
    s = data["subscription"]
    return data, (f"Requested report {s['report_specifier_id']} ({', '.join(s['r_ids'])}) from "
                  f"VEN {s['ven_id']}: request {s['report_request_id']}, sample every "
                  f"{seconds(s['granularity'])} s, sent every "
                  f"{seconds(s['report_back_duration'])} s; oadrCreateReport is queued for it.")


def _report_cancel(api: AdminClient, args: argparse.Namespace) -> tuple[Any, str]:
    body = {"report_to_follow": True} if args.report_to_follow else {}
    data = api.send("POST", f"/reports/subscriptions/{_segment(args.report_request_id)}/cancel",
                    body)
    s = data["subscription"]
    return data, (f"Cancelled report request {s['report_request_id']} of VEN {s['ven_id']}; "
                  "oadrCancelReport is queued for it.")


def _report_export(api: AdminClient, args: argparse.Namespace) -> tuple[Any, str]:
    query = {"ven_id": args.ven, "report_request_id": args.request, "r_id": args.rid,
             "from": args.start_from, "to": args.start_before,
             "limit": None if args.limit is None else str(args.limit)}
    if args.json:
        data = api.get("/reports/readings", query)
        text = json.dumps(data, indent=2)
    else:
        data, text = None, api.text("/reports/readings.csv", query)
    if args.out is None:
        return None, text
    Path(args.out).write_text(text, encoding="utf-8")
    count = len(data["readings"]) if data else max(text.count("\n") - 1, 0)
    return {"written": count, "out": args.out}, f"Wrote {count} reading(s) to {args.out}"


def _performance(api: AdminClient, args: argparse.Namespace) -> tuple[Any, str]:
    path = f"/events/{_segment(args.event_id)}/performance"
    if args.csv and args.json:
        raise ClientError("--csv and --json: choose one")
    if args.csv:
        return None, api.text(path + ".csv")
    data = api.get(path)
    return data, views.performance_table(data)


def _ven_capacity(api: AdminClient, args: argparse.Namespace) -> tuple[Any, str]:
    data = api.get(f"/vens/{_segment(args.ven_id)}/capacity")
    lines = [f"VEN {data['ven_id']}: {data['events']} opted-in event(s) with data"]
    if data["largest_reduction_kw"] is not None:
        lines.append(f"  largest reduction {data['largest_reduction_kw']:g} kW "
                     f"(event {data['largest_reduction_event_id']}, baseline "
                     f"{data['largest_reduction_baseline_kw']:g} kW); mean "
                     f"{data['mean_reduction_kw']:g} kW")
    if data["latest_baseline_kw"] is not None:
        lines.append(f"  latest baseline {data['latest_baseline_kw']:g} kW at "
                     f"{data['latest_baseline_at']}")
    if data["estimated_capacity_kw"] is not None:
        lines.append(f"  estimated capacity {data['estimated_capacity_kw']:g} kW")
    return data, "\n".join(lines)


def _segment(value: str) -> str:
    return quote(value, safe="")


COMMANDS: dict[tuple[str, str], Command] = {
    ("ven", "list"): _ven_list, ("ven", "show"): _ven_show, ("ven", "cancel"): _ven_cancel,
    ("event", "create"): _event_create, ("event", "modify"): _event_modify,
    ("event", "cancel"): _event_cancel, ("event", "list"): _event_list,
    ("event", "show"): _event_show, ("event", "responses"): _event_responses,
    ("opt", "list"): _opt_list, ("audit", "list"): _audit_list,
    ("report", "list"): _report_list, ("report", "export"): _report_export,
    ("report", "request"): _report_request, ("report", "cancel"): _report_cancel,
    ("ven", "reregister"): _ven_reregister,
    ("performance", "show"): _performance, ("ven", "capacity"): _ven_capacity,
}
