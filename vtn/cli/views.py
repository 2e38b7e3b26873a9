"""Human views of the admin API's JSON for the CLI: VENs, events, responses, reports."""

from __future__ import annotations

from typing import Any

from vtn.cli.output import minutes, seconds, show_time, table

__all__ = [
    "audit_table",
    "event_detail",
    "event_table",
    "opt_table",
    "performance_table",
    "report_tables",
    "responses_table",
    "ven_detail",
    "ven_table",
]

Json = dict[str, Any]

_SCALES = {"k": "k", "M": "M", "G": "G", "m": "m", "none": "", None: ""}


def unit_label(unit: Json | None) -> str:
    """``kW``, ``USD/kWh`` or ``""`` for a unit from the API."""
    if unit is None:
        return ""
    if unit["kind"].startswith("currency"):
        return f"{unit['units']}/kWh" if unit["kind"] == "currencyPerKWh" else unit["units"]
    return f"{_SCALES.get(unit.get('scale'), unit.get('scale') or '')}{unit['units']}"


def _value_header(signal: Json) -> str:
    label = unit_label(signal["unit"])
    name = signal["signal_type"].upper().removeprefix("X-")
    return f"{name} [{label}]" if label else name


def targets_text(targets: Json) -> str:
    """``all VENs`` or ``VENs ven-1, ven-2; groups north``."""
    if targets["all"]:
        return "all VENs"
    parts = [f"{label} {', '.join(targets[key])}" for key, label in (
        ("ven_ids", "VENs"), ("group_ids", "groups"), ("resource_ids", "resources"),
        ("party_ids", "parties")) if targets.get(key)]
    return "; ".join(parts)


def _values_text(event: Json) -> str:
    if not event["signals"]:
        return "-"
    signal = event["signals"][0]
    values = [f"{i['value']:g}" for i in signal["intervals"]]
    shown = values[0] if len(set(values)) == 1 else " ".join(values)
    label = unit_label(signal["unit"])
    return f"{shown} {label}".strip()


def event_table(events: list[Json], *, utc: bool) -> str:
    """One line per event."""
    if not events:
        return "No events."
    rows = [[e["event_id"], e["modification_number"], e["status"],
             e["signals"][0]["signal_name"] if e["signals"] else "-",
             show_time(e["start"], utc=utc), minutes(e["duration"]), _values_text(e),
             e["priority"], targets_text(e["targets"])] for e in events]
    return table(["EVENT ID", "MOD", "STATUS", "SIGNAL", "START", "DURATION [min]", "VALUE",
                  "PRIORITY", "TARGETS"], rows)


def event_detail(event: Json, *, utc: bool) -> str:
    """One event with its intervals."""
    flags = [f"priority {event['priority']}",
             f"response required: {event['response_required']}"]
    if event["test_event"]:
        flags.append("TEST EVENT")
    lines = [
        f"Event {event['event_id']} (modification {event['modification_number']}, "
        f"{event['status']})",
        f"  targets          {targets_text(event['targets'])}",
        f"  market context   {event['market_context']}",
        f"  start            {show_time(event['start'], utc=utc)}",
        f"  end              {show_time(event['end'], utc=utc)}",
        f"  duration [min]   {minutes(event['duration'])}",
        f"  options          {', '.join(flags)}",
    ]
    for key, label in (("startafter", "start after"), ("ramp_up", "ramp-up"),
                       ("recovery", "recovery"), ("notification", "notification")):
        if event.get(key):
            lines.append(f"  {label + ' [min]':<16} {minutes(event[key])}")
    if event.get("cancelled_at"):
        lines.append(f"  cancelled        {show_time(event['cancelled_at'], utc=utc)}")
    if event.get("modification_reason"):
        lines.append(f"  last change      {event['modification_reason']}")
    for signal in event["signals"]:
        lines.append(f"  signal           {signal['signal_name']} {signal['signal_type']}")
        rows = [[show_time(i["start"], utc=utc), minutes(i["duration"]), f"{i['value']:g}"]
                for i in signal["intervals"]]
        body = table(["START", "DURATION [min]", _value_header(signal)], rows)
        lines.extend("    " + line for line in body.splitlines())
    return "\n".join(lines)


def _certificate(ven: Json) -> str:
    """``own``, or ``SHARED`` when another VEN presented this VEN's certificate."""
    return "SHARED" if ven.get("identity_conflict") else "own"


def _conflict_text(ven: Json, *, utc: bool) -> str:
    conflict = ven["identity_conflict"]
    return (f"another VEN ({conflict['ven_name']!r}) presented this certificate, refused, last "
            f"at {show_time(conflict['at'], utc=utc)}; each VEN needs its own certificate")


def ven_table(vens: list[Json], *, utc: bool) -> str:
    """One line per VEN; a note under the table per certificate two VENs use."""
    if not vens:
        return "No VENs registered."
    rows = [[v["ven_id"], v["ven_name"], v["status"], "pull" if v["http_pull_model"] else "push",
             seconds(v["poll_frequency"]) if v["http_pull_model"] else "-",
             show_time(v["last_seen_at"], utc=utc), _certificate(v),
             ", ".join(v["group_ids"]) or "-"]
            for v in vens]
    lines = [table(["VEN ID", "NAME", "STATUS", "MODE", "POLL EVERY [s]", "LAST SEEN",
                    "CERTIFICATE", "GROUPS"], rows)]
    lines.extend(f"! VEN {v['ven_id']}: {_conflict_text(v, utc=utc)}"
                 for v in vens if v.get("identity_conflict"))
    return "\n".join(lines)


def ven_detail(ven: Json, *, utc: bool) -> str:
    """One VEN's registration."""
    mode = "pull (polls)" if ven["http_pull_model"] else f"push to {ven['transport_address']}"
    lines = [
        f"VEN {ven['ven_id']}" + (f" ({ven['ven_name']})" if ven["ven_name"] else ""),
        f"  status           {ven['status']}",
        f"  registration id  {ven['registration_id']}",
        f"  fingerprint      {ven['fingerprint']}",
        f"  profile          {ven['profile']} over {ven['transport']}, {mode}",
        f"  poll every [s]   {seconds(ven['poll_frequency'])}",
        f"  report only      {'yes' if ven['report_only'] else 'no'}",
        f"  signs messages   {'yes' if ven['xml_signature'] else 'no'}",
        f"  registered       {show_time(ven['registered_at'], utc=utc)}",
        f"  last seen        {show_time(ven['last_seen_at'], utc=utc)}",
    ]
    if ven.get("identity_conflict"):
        lines.append(f"  certificate      SHARED: {_conflict_text(ven, utc=utc)}")
    if ven["cancelled_at"]:
        lines.append(f"  cancelled        {show_time(ven['cancelled_at'], utc=utc)}")
    for key, label in (("group_ids", "groups"), ("resource_ids", "resources"),
                       ("party_ids", "parties")):
        if ven[key]:
            lines.append(f"  {label:<16} {', '.join(ven[key])}")
    return "\n".join(lines)


def expected_words(row: Json, *, utc: bool = False) -> str:
    """``61 of 100 kW (61%) at 13:05``: what the VEN expects to deliver against the shed
    requested, the latest it said and when, or ``-`` when it said nothing."""
    expected, requested, pct = (row.get("expected_kw"), row.get("expected_requested_kw"),
                                row.get("expected_pct"))
    if expected is None:
        return "-"
    share = "" if pct is None else f" ({pct:.0f}%)"
    said = row.get("expected_at")
    return f"{expected:.0f} of {requested or 0:.0f} kW{share}" + (
        f" at {show_time(said, utc=utc)}" if said else "")


def responses_table(body: Json, *, utc: bool) -> str:
    """Per targeted VEN: which modification it has, when it first and last received it, how
    it answered, and the shed it expects to deliver against the shed requested."""
    rows = [[r["ven_id"], r["ven_name"],
             r["delivered_modification_number"] if r["delivered"] else "-",
             "yes" if r["current"] else "no", show_time(r.get("first_delivered_at"), utc=utc),
             show_time(r["delivered_at"], utc=utc),
             r["opt"] or "no answer", show_time(r["opted_at"], utc=utc),
             expected_words(r, utc=utc)]
            for r in body["responses"]]
    head = (f"Event {body['event_id']}, modification {body['modification_number']}: "
            f"{len(rows)} VEN(s)")
    if not rows:
        return head
    return head + "\n" + table(["VEN ID", "NAME", "HAS MOD", "CURRENT", "FIRST DELIVERED",
                                "LAST DELIVERED", "OPT", "ANSWERED", "EXPECTS"], rows)


def opt_table(opts: list[Json], *, utc: bool) -> str:
    """One line per opt."""
    if not opts:
        return "No opts."
    rows = [[o["ven_id"], o["opt_id"], o["opt_type"], o["opt_reason"],
             o["event_id"] or f"schedule of {len(o['availability'])} period(s)",
             show_time(o["received_at"], utc=utc)] for o in opts]
    return table(["VEN ID", "OPT ID", "OPT", "REASON", "EVENT", "RECEIVED"], rows)


def audit_table(entries: list[Json], *, utc: bool) -> str:
    """One line per operator action, oldest first."""
    if not entries:
        return "No operator actions recorded."
    rows = [[show_time(e["at"], utc=utc), e["operator"] or e["actor"], e["client"] or "",
             e["action"], e["object_id"] or "", e["summary"]] for e in entries]
    return table(["WHEN", "WHO", "FROM", "ACTION", "OBJECT", "SUMMARY"], rows)


def report_tables(capabilities: list[Json], subscriptions: list[Json]) -> str:
    """What the VENs offer, and what the VTN asked for."""
    offered = [[c["ven_id"], c["report_specifier_id"], c["report_name"],
                ", ".join(f"{p['r_id']}" + (f" [{unit_label(p['unit'])}]" if p["unit"] else "")
                          for p in c["data_points"])] for c in capabilities]
    asked = [[s["ven_id"], s["report_request_id"], s["report_specifier_id"], ", ".join(s["r_ids"]),
              seconds(s["granularity"]), seconds(s["report_back_duration"]), s["status"]]
             for s in subscriptions]
    parts = [f"Reports offered ({len(offered)}):"]
    if offered:
        parts.append(table(["VEN ID", "SPECIFIER", "REPORT", "DATA POINTS"], offered))
    parts.append(f"Reports requested ({len(asked)}):")
    if asked:
        parts.append(table(["VEN ID", "REQUEST ID", "SPECIFIER", "DATA POINTS", "SAMPLE [s]",
                            "SENT EVERY [s]", "STATUS"], asked))
    return "\n".join(parts)


def performance_table(body: Json) -> str:
    """The CLI's view of ``GET /events/{id}/performance``: one line per VEN."""
    rows = [[p["ven_name"] or p["ven_id"], p["participation"], p["requested_kw"], p["baseline_kw"],
             p["target_kw"], p["actual_kw"], p["reduction_kw"], p["delivered_pct"],
             p["delivered_kwh"], p["data_points"],
             None if p["baseline_confidence"] is None else f"{p['baseline_confidence']}%",
             p["baseline_method"], p.get("expected_kw"), p.get("expected_pct"),
             show_time(p.get("expected_at"), utc=True) if p.get("expected_at") else None]
            for p in body["performance"]]
    if not rows:
        return f"No performance for event {body['event_id']} yet (no readings in its window)."
    return f"Event {body['event_id']}\n" + table(
        ["VEN", "PARTICIPATION", "REQUESTED kW", "BASELINE kW", "TARGET kW", "ACTUAL kW",
         "ACHIEVED kW", "% DELIVERED", "kWh", "POINTS", "CONFIDENCE", "METHOD", "EXPECTED kW",
         "% EXPECTED", "EXPECTED AT"], rows) + _adjustment_lines(body["performance"])


def _adjustment_lines(rows: list[Json]) -> str:
    """One line per VEN: its baseline's day-of adjustment as the VTN computed it."""
    lines = []
    for p in rows:
        adjustment = p.get("baseline_adjustment")
        if adjustment is None:
            continue
        unadjusted = p.get("unadjusted_baseline_kw")
        before = "" if unadjusted is None else f"; {unadjusted} kW unadjusted"
        lines.append(f"  {p['ven_name'] or p['ven_id']}: {p['baseline_method']} baseline, "
                     f"{adjustment['text']}{before}")
    return "".join("\n" + line for line in (["Baseline day-of adjustment (computed by the "
                                              "VTN from the readings before the event):",
                                              *lines] if lines else []))
