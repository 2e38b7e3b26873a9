"""The admin API's OpenAPI 3.1 description, as data (served at /admin/api/v1/openapi.json)."""

from __future__ import annotations

from typing import Any

__all__ = ["OPENAPI"]

Json = dict[str, Any]

_TEXT: Json = {"type": "string"}
_NULL_TEXT: Json = {"type": ["string", "null"]}
_TIME: Json = {"type": "string", "format": "date-time", "description": "ISO 8601, UTC"}
_NULL_TIME: Json = {"type": ["string", "null"], "format": "date-time",
                    "description": "ISO 8601, UTC"}
_DURATION: Json = {"type": "string", "description": "ISO 8601 duration, e.g. PT15M"}
_NULL_DURATION: Json = {"type": ["string", "null"], "description": "ISO 8601 duration"}
_IDS: Json = {"type": "array", "items": {"type": "string"}}
_INPUT_DURATION: Json = {"type": "string", "examples": ["PT1H30M", "1h30m", "15m", "90s"],
                         "description": "ISO 8601 duration or a short form (2d, 1h30m, 15m, 90s)"}

_EXPECTED: Json = {name: {"type": ["number", "null"], "description": text} for name, text in (
    ("expected_kw", "Shed the VEN said it expects to deliver, the latest it said (its "
     "x-EXPECTED_DELIVERY projection) [kW]; null without one"),
    ("expected_requested_kw", "Shed requested against the VEN's projected baseline [kW]"),
    ("expected_pct", "Expected / requested shed [%]"))}
_EXPECTED["expected_at"] = {"type": ["string", "null"], "format": "date-time", "description": (
    "When the VTN received the VEN's latest change of its expectation (it sends it again when "
    "a re-plan changes it materially), ISO 8601 UTC; null without one")}


def _ref(name: str) -> Json:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: Json, *, required: tuple[str, ...] | None = None,
            description: str | None = None) -> Json:
    schema: Json = {"type": "object", "properties": properties,
                    "required": list(properties if required is None else required)}
    if description:
        schema["description"] = description
    return schema


def _list_of(key: str, item: str) -> Json:
    return _object({key: {"type": "array", "items": _ref(item)}})


def _json(schema: Json, description: str) -> Json:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> Json:
    text = {400: "Invalid input; `field` names the offending field",
            401: "Missing or wrong bearer token",
            404: "Unknown id",
            409: "Conflicts with the stored state"}
    return {str(s): {"$ref": f"#/components/responses/E{s}"} for s in (401, *statuses)
            if s in text}


def _query(name: str, description: str, schema: Json | None = None) -> Json:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema or _TEXT}


def _path(name: str) -> Json:
    return {"name": name, "in": "path", "required": True, "schema": _TEXT}


_INCLUDE_CANCELLED = _query("include_cancelled", "Include cancelled ones too",
                            {"type": "boolean"})
_READING_FILTERS = [
    _query("ven_id", "Only this VEN's readings"),
    _query("report_request_id", "Only readings of this report request"),
    _query("r_id", "Only these data points (repeat the parameter for several)"),
    _query("from", "Interval start at or after this time (ISO 8601 with zone)",
           {"type": "string", "format": "date-time"}),
    _query("to", "Interval start before this time (ISO 8601 with zone)",
           {"type": "string", "format": "date-time"}),
    _query("limit", "At most this many readings (default and cap 100000)",
           {"type": "integer", "minimum": 1}),
]

_NUMBERS: Json = {"oneOf": [{"type": "number"}, {"type": "array", "items": {"type": "number"}}]}

_EVENT_FIELDS: Json = {
    "targets": _ref("Targets"),
    "signal_name": {"type": "string", "default": "SIMPLE", "description": (
        "A 2.0b signal name, or a private x- name (x-mySignal; it needs signal_type). A VEN "
        "that does not support a signal answers 460 (E1_1070)"),
                    "anyOf": [{"enum": ["SIMPLE", "LOAD_DISPATCH", "LOAD_CONTROL",
                                        "ELECTRICITY_PRICE"]},
                              {"pattern": "^x-[A-Za-z0-9_-]+$"}]},
    "signal_type": {"type": "string", "description": (
        "SIMPLE: level. LOAD_DISPATCH: setpoint (target load [kW], default) or delta "
        "(shed [kW]). x- signals: any 2.0b signal type (required). "
        "LOAD_CONTROL: x-loadControlLevelOffset (default for level), "
        "x-loadControlPercentOffset, x-loadControlCapacity [kW] (default for kw). "
        "ELECTRICITY_PRICE: price (default) or priceRelative [currency/kWh]."),
        "enum": ["level", "delta", "setpoint", "x-loadControlLevelOffset",
                 "x-loadControlPercentOffset", "x-loadControlCapacity", "price",
                 "priceRelative", "multiplier", "priceMultiplier", "x-loadControlSetpoint"]},
    "level": {**_NUMBERS, "description": "Unit-less level (SIMPLE: 0-3), one for all "
                                         "intervals or one per interval"},
    "kw": {**_NUMBERS, "description": "Power [kW], one for all intervals or one per interval"},
    "price": {**_NUMBERS, "description": "Price [currency/kWh], one for all intervals or one "
                                         "per interval"},
    "currency": {"type": "string", "description": "ISO 4217 code of prices (default USD)"},
    "start": {"type": "string", "examples": ["2026-07-01T14:00:00Z", "+5m", "+PT1H", "now"],
              "description": "ISO 8601 time with zone, 'now', or +DURATION from now"},
    "duration": {**_INPUT_DURATION, "description": "Length of the active period"},
    "intervals": {"oneOf": [
        {"type": "integer", "minimum": 1, "maximum": 1000,
         "description": "Split the duration into this many equal intervals"},
        {"type": "array", "minItems": 1, "maxItems": 1000, "items": _object(
            {"duration": _INPUT_DURATION, "value": {"type": "number"}},
            required=("duration",))},
    ], "default": 1},
    "priority": {"type": "integer", "minimum": 0, "default": 0,
                 "description": "ei:priority: 1 is the highest, larger numbers are lower; "
                                "0 means no priority, the lowest"},
    "test_event": {"type": "boolean", "default": False},
    "response_required": {"type": "string", "enum": ["always", "never"], "default": "always"},
    "startafter": {**_INPUT_DURATION, "description": "Randomisation window of the start"},
    "ramp_up": _INPUT_DURATION,
    "recovery": _INPUT_DURATION,
    "notification": _INPUT_DURATION,
    "market_context": {"type": "string", "description": "Default from the VTN configuration"},
    "vtn_comment": {"type": ["string", "null"]},
    "baseline": _object({
        "kw": {**_NUMBERS, "description": "Baseline [kW], one for all intervals or one per "
                                          "interval"},
        "name": {"type": "string", "default": "baseline"},
        "start": {"type": "string", "description": "Default: the event's start"},
        "duration": {**_INPUT_DURATION, "description": "Default: the event's duration"},
        "intervals": {"oneOf": [{"type": "integer", "minimum": 1},
                                {"type": "array", "items": _object({"duration": _INPUT_DURATION})}],
                      "description": "Default: the event's intervals"},
        "resource_ids": _IDS,
    }, required=("kw",), description="ei:eiEventBaseline (E1_1027)"),
}

_SCHEMAS: Json = {
    "Error": _object({"error": _object({
        "status": {"type": "integer"},
        "message": _TEXT,
        "field": {"type": "string", "description": "The offending input field (400)"},
        "reference": {"type": "string", "description": "Reference in the VTN log (500)"},
    }, required=("status", "message"))}),
    "Unit": {"type": ["object", "null"], "properties": {
        "kind": _TEXT, "units": _TEXT, "scale": _NULL_TEXT}},
    "Ven": _object({
        "ven_id": _TEXT, "ven_name": _NULL_TEXT,
        "status": {"type": "string", "enum": ["registered", "cancelled"]},
        "registration_id": _TEXT, "fingerprint": _TEXT, "profile": _TEXT, "transport": _TEXT,
        "http_pull_model": {"type": "boolean"}, "transport_address": _NULL_TEXT,
        "report_only": {"type": "boolean"}, "xml_signature": {"type": "boolean"},
        "poll_frequency": _DURATION, "registered_at": _TIME, "updated_at": _TIME,
        "last_seen_at": _NULL_TIME, "cancelled_at": _NULL_TIME,
        "identity_conflict": {"oneOf": [{"type": "null"}, _object({
            "ven_name": _NULL_TEXT, "at": _TIME})], "description":
            "Another VEN (ven_name) presented this VEN's certificate while it was running and "
            "was refused (463), last at `at`; each VEN needs its own certificate"},
        "group_ids": _IDS, "resource_ids": _IDS, "party_ids": _IDS,
    }),
    "VenList": _list_of("vens", "Ven"),
    "VenCancelled": _object({"ven": _ref("Ven"), "queued": {
        "const": "oadrCancelPartyRegistration",
        "description": "Queued for the VEN: pushed, or the answer to its next oadrPoll"}}),
    "Targets": {"type": "object", "properties": {
        "all": {"type": "boolean", "description": "Every registered VEN"},
        "ven_ids": _IDS, "group_ids": _IDS, "resource_ids": _IDS, "party_ids": _IDS},
        "description": "all: true, or at least one non-empty list (not both)"},
    "EventInput": {"type": "object", "properties": _EVENT_FIELDS,
                   "required": ["targets", "start"], "additionalProperties": False,
                   "description": "Give one payload (level, kw or price) unless the intervals "
                                  "carry values; give duration unless explicit intervals do."},
    "EventPatch": {"type": "object", "properties": {
        **_EVENT_FIELDS,
        "expected_modification_number": {"type": "integer", "description": (
            "Refuse (409) unless the event is at this modification")},
        "reason": {"type": "string", "description": "Why it was modified"},
    }, "additionalProperties": False, "description": (
        "Fields replace the event's own. A new duration alone keeps the number of intervals; "
        "a new payload alone keeps the interval durations.")},
    "EventCancel": {"type": "object", "properties": {
        "reason": _TEXT,
        "response_required": {"type": "string", "enum": ["always", "never"],
                              "description": "the cancellation's oadrResponseRequired "
                                             "(default: the event's own)"}},
                    "additionalProperties": False},
    "Interval": _object({"start": _TIME, "duration": _DURATION, "value": {"type": "number"}}),
    "Signal": _object({
        "signal_id": _TEXT, "signal_name": _TEXT, "signal_type": _TEXT, "unit": _ref("Unit"),
        "intervals": {"type": "array", "items": _ref("Interval")}}),
    "Baseline": {**_object({
        "baseline_id": _TEXT, "name": _TEXT, "unit": _ref("Unit"), "resource_ids": _IDS,
        "intervals": {"type": "array", "items": _ref("Interval")}}),
        "description": "ei:eiEventBaseline: the VTN's baseline for the event [kW]"},
    "Event": _object({
        "event_id": _TEXT, "modification_number": {"type": "integer"},
        "status": {"type": "string",
                   "enum": ["far", "near", "active", "completed", "cancelled"]},
        "created_at": _TIME, "modified_at": _NULL_TIME, "modification_reason": _NULL_TEXT,
        "cancelled_at": _NULL_TIME,
        "targets": _object({"all": {"type": "boolean"}, "ven_ids": _IDS, "group_ids": _IDS,
                            "resource_ids": _IDS, "party_ids": _IDS}),
        "market_context": _TEXT, "priority": {"type": "integer"},
        "test_event": {"type": "boolean"},
        "response_required": {"type": "string", "enum": ["always", "never"]},
        "start": _TIME, "end": _NULL_TIME, "duration": _DURATION,
        "startafter": _NULL_DURATION, "notification": _NULL_DURATION,
        "ramp_up": _NULL_DURATION, "recovery": _NULL_DURATION, "vtn_comment": _NULL_TEXT,
        "signals": {"type": "array", "items": _ref("Signal")},
        "baseline": {"oneOf": [_ref("Baseline"), {"type": "null"}]},
    }),
    "EventList": _list_of("events", "Event"),
    "Response": _object({
        "ven_id": _TEXT, "ven_name": _NULL_TEXT, "delivered": {"type": "boolean"},
        "first_delivered_at": {**_NULL_TIME, "description": "First delivery of the "
                               "modification held (delivered_modification_number)"},
        "delivered_at": {**_NULL_TIME, "description": "Latest delivery (a re-delivery moves it)"},
        "delivered_modification_number": {"type": ["integer", "null"]},
        "current": {"type": "boolean", "description": "The VEN has the latest modification"},
        "opt": {"type": ["string", "null"], "enum": ["optIn", "optOut", None]},
        "opted_at": _NULL_TIME, "opt_modification_number": {"type": ["integer", "null"]},
        "response_code": {"type": ["integer", "null"]},
        **_EXPECTED,
    }, description="One targeted VEN: what it received, how it answered and what it said it "
                   "expects to deliver"),
    "EventResponses": _object({
        "event_id": _TEXT, "modification_number": {"type": "integer"},
        "responses": {"type": "array", "items": _ref("Response")}}),
    "Opt": _object({
        "opt_id": _TEXT, "ven_id": _TEXT,
        "opt_type": {"type": "string", "enum": ["optIn", "optOut"]}, "opt_reason": _TEXT,
        "event_id": _NULL_TEXT, "modification_number": {"type": ["integer", "null"]},
        "market_context": _NULL_TEXT, "resource_ids": _IDS,
        "availability": {"type": "array", "items": _object(
            {"start": _TIME, "duration": _DURATION})},
        "created_at": _TIME, "received_at": _TIME, "cancelled_at": _NULL_TIME,
    }),
    "OptList": _list_of("opts", "Opt"),
    "AuditEntry": _object({
        "entry_id": {"type": "integer", "description": "Increasing in recording order"},
        "at": _TIME,
        "actor": {**_TEXT, "description": "The credential: admin-token (one shared secret)"},
        "operator": {**_NULL_TEXT, "description": "Who the client says is acting "
                     "(X-Oadr-Operator header; the CLI sends $USER@host); not verified"},
        "client": {**_NULL_TEXT, "description": "The client's address"},
        "action": {**_TEXT, "description": "event.create, event.modify, event.cancel, "
                   "ven.cancel, ...; METHOD /route for a route that names none"},
        "object_type": _NULL_TEXT, "object_id": _NULL_TEXT,
        "summary": {**_TEXT, "description": "One line for people"},
        "method": _TEXT, "path": _TEXT,
        "status": {"type": "integer", "description": "HTTP status of the answer"}},
        description="One operator action: a mutating admin request that succeeded"),
    "AuditList": _list_of("entries", "AuditEntry"),
    "DataPoint": _object({
        "r_id": _TEXT, "report_type": _TEXT, "reading_type": _TEXT, "unit": _ref("Unit"),
        "resource_id": _NULL_TEXT, "min_period": _NULL_DURATION,
        "max_period": _NULL_DURATION, "on_change": {"type": "boolean"}}),
    "Capability": _object({
        "ven_id": _TEXT, "report_specifier_id": _TEXT, "report_name": _TEXT,
        "duration": _NULL_DURATION, "created_at": _TIME,
        "data_points": {"type": "array", "items": _ref("DataPoint")}}),
    "CapabilityList": _list_of("capabilities", "Capability"),
    "Subscription": _object({
        "report_request_id": _TEXT, "ven_id": _TEXT, "report_specifier_id": _TEXT,
        "r_ids": _IDS, "granularity": _DURATION, "report_back_duration": _DURATION,
        "one_shot": {"type": "boolean"}, "start": _NULL_TIME, "duration": _NULL_DURATION,
        "status": {"type": "string",
                   "enum": ["requested", "active", "completed", "cancelled"]},
        "requested_at": _TIME, "cancelled_at": _NULL_TIME}),
    "SubscriptionList": _list_of("subscriptions", "Subscription"),
    "ReportRequestInput": _object({
        "ven_id": _TEXT,
        "report_specifier_id": {**_TEXT, "description": "A reportSpecifierID the VEN offers "
                                "(GET /reports/capabilities)"},
        "r_ids": {**_IDS, "description": "Data points to ask for (default: all it offers)"},
        "granularity": {**_INPUT_DURATION, "description": (
            "Sampling interval; not finer than the report's minPeriod (default: the configured "
            "reports.granularity inside the sampling range). Not for HISTORY reports")},
        "report_back_duration": {**_INPUT_DURATION, "description": (
            "How often the VEN sends (default: reports.back_duration, at least the "
            "granularity). Not for one-shot and HISTORY requests (0)")},
        "one_shot": {"type": "boolean", "default": False,
                     "description": "One report (reportBackDuration 0)"},
        "start": {"type": "string", "examples": ["2026-07-01T00:00:00Z", "now", "+5m"],
                  "description": "reportInterval start (default: now; HISTORY: now - duration)"},
        "duration": {**_INPUT_DURATION, "description": (
            "reportInterval length (default 0: until cancelled; HISTORY: 1 day)")},
    }, required=("ven_id", "report_specifier_id"), description=(
        "An oadrCreateReport for the VEN: reportRequestID new, readingType x-notApplicable, "
        "a reportInterval; HISTORY reports with granularity and reportBackDuration 0")),
    "ReportRequested": _object({"subscription": _ref("Subscription"),
                                "queued": {"type": "string", "const": "oadrCreateReport"}}),
    "ReportCancelInput": _object({"report_to_follow": {
        "type": "boolean", "default": False,
        "description": "The VEN sends the data it has before it stops"}}, required=()),
    "ReportCancelled": _object({"subscription": _ref("Subscription"),
                                "queued": {"type": "string", "const": "oadrCancelReport"}}),
    "Reading": _object({
        "ven_id": _TEXT, "report_request_id": _TEXT, "r_id": _TEXT, "start": _TIME,
        "duration": _DURATION, "value": {"type": "number"},
        "item_units": _NULL_TEXT, "scale": _NULL_TEXT, "report_type": _TEXT,
        "reading_type": _TEXT, "data_quality": _NULL_TEXT,
    }, description="value is in item_units with the SI prefix scale (e.g. W with k = kW)"),
    "ReadingList": _list_of("readings", "Reading"),
    "ExpectedInterval": _object({
        "start": _TIME, "duration": _DURATION, "baseline_kw": {"type": "number"},
        "requested_kw": {"type": "number"}, "expected_kw": {"type": "number"},
        "expected_pct": {"type": ["number", "null"]},
    }, description="One event interval as the VEN projected it before (or during) the event: "
                   "its projected baseline, the shed requested against it and the shed it "
                   "expects to deliver [kW], expected / requested [%]"),
    "PerformanceInterval": _object({
        "start": _TIME, "duration": _DURATION, "baseline_kw": {"type": "number"},
        "requested_kw": {"type": "number"}, "target_kw": {"type": "number"},
        "actual_kw": {"type": "number"}, "reduction_kw": {"type": "number"},
        "confidence": {"type": ["integer", "null"], "description": "Baseline confidence [%]"},
    }, description="One reported interval inside the event [kW]"),
    "Performance": _object({
        "event_id": _TEXT, "ven_id": _TEXT, "ven_name": _NULL_TEXT,
        "participation": {"type": "string",
                          "enum": ["not-targeted", "opted-in", "opted-out", "no-answer"],
                          "description": "not-targeted and opted-out VENs are requested 0"},
        "modification_number": {"type": "integer"}, "start": _TIME, "end": _TIME,
        **{name: {"type": ["number", "null"], "description": text} for name, text in (
            ("requested_kw", "Requested shed from the signals [kW]"),
            ("baseline_kw", "Reported baseline [kW]"),
            ("target_kw", "baseline - requested [kW]"),
            ("actual_kw", "Reported actual demand [kW]"),
            ("reduction_kw", "Achieved reduction: baseline - actual [kW]"),
            ("delivered_pct", "Delivered / requested energy [%]; null if none was requested"))},
        "delivered_kwh": {"type": "number", "description": "Reduction over time [kWh]"},
        "requested_kwh": {"type": "number", "description": "Requested shed over time [kWh]"},
        "data_points": {"type": "integer",
                        "description": "Intervals with both baseline and actual"},
        "baseline_method": {**_NULL_TEXT, "description": "From the baseline rID's readingType"},
        "baseline_confidence": {"type": ["integer", "null"],
                                "description": "Time-weighted mean reported confidence [%]"},
        "computed_at": _TIME,
        "intervals": {"type": "array", "items": _ref("PerformanceInterval")},
        **_EXPECTED,
        "expected_intervals": {"type": "array", "items": _ref("ExpectedInterval")},
        "baseline_adjustment": {"oneOf": [_ref("BaselineAdjustment"), {"type": "null"}],
                                "description": "The day-of adjustment of the baseline method, "
                                "computed by the VTN from the readings before the event; null "
                                "when the method is not a known preset"},
        "unadjusted_baseline_kw": {"type": ["number", "null"], "description":
                                   "baseline_kw without that adjustment [kW]"},
    }, description="One VEN in one event; powers are time-weighted means over data_points"),
    "BaselineAdjustment": _object({
        "kind": {"type": "string", "enum": ["none", "ratio", "additive"]},
        "value": {"type": "number", "description": "Ratio [-] or offset [kW] (see unit); "
                  "1 or 0 when not applied"},
        "unit": {"type": "string", "enum": ["ratio", "kW"]},
        "raw": {"type": ["number", "null"], "description": "Before the cap"},
        "capped": {"type": "boolean"}, "applied": {"type": "boolean"},
        "window_s": {"type": ["number", "null"], "description": "Window length [s]"},
        "gap_s": {"type": ["number", "null"],
                  "description": "From the window's end to the event start [s]"},
        "cap": {"type": ["number", "null"], "description": "Cap as a fraction; null: uncapped"},
        "reason": _TEXT, "text": {**_TEXT, "description": "The adjustment in words"},
        "window_start": {**_NULL_TIME, "description": "Start of the window used"},
        "window_end": {**_NULL_TIME, "description": "End of the window used (exclusive)"},
        "window_moved": {"type": "boolean", "description": "The window was moved back to end "
                         "gap before the VEN's earlier events it would overlap"},
    }, description="Day-of (same-day) baseline adjustment: window [start - gap - window, "
                   "start - gap), moved back before the VEN's earlier events it overlaps"),
    "EventPerformance": _object({
        "event_id": _TEXT, "performance": {"type": "array", "items": _ref("Performance")}}),
    "BaselinePoint": _object({
        "start": _TIME, "duration": _DURATION, "baseline_kw": {"type": "number"},
        "confidence": {"type": ["integer", "null"], "description": "[%]"},
        "method": _NULL_TEXT, "reading_type": _TEXT}),
    "BaselineSeries": _object({
        "ven_id": _TEXT, "baseline": {"type": "array", "items": _ref("BaselinePoint")}}),
    "Capacity": _object({
        "ven_id": _TEXT,
        "events": {"type": "integer", "description": "Opted-in events with data"},
        "largest_reduction_kw": {"type": ["number", "null"]},
        "largest_reduction_event_id": _NULL_TEXT,
        "largest_reduction_baseline_kw": {"type": ["number", "null"]},
        "mean_reduction_kw": {"type": ["number", "null"]},
        "latest_baseline_kw": {"type": ["number", "null"]},
        "latest_baseline_at": _NULL_TIME,
        "estimated_capacity_kw": {
            "type": ["number", "null"],
            "description": "Largest achieved share of the baseline x the latest baseline [kW]"},
    }, description="Shed capacity the VEN has demonstrated"),
}

_PATHS: Json = {
    "/openapi.json": {"get": {
        "operationId": "getOpenApi", "summary": "This document", "security": [],
        "responses": {"200": _json({"type": "object"}, "The OpenAPI document")}}},
    "/vens": {"get": {
        "operationId": "listVens", "summary": "List registered VENs", "tags": ["vens"],
        "parameters": [_INCLUDE_CANCELLED],
        "responses": {"200": _json(_ref("VenList"), "VENs by id"), **_errors(400)}}},
    "/vens/{ven_id}": {"parameters": [_path("ven_id")], "get": {
        "operationId": "getVen", "summary": "Show one VEN", "tags": ["vens"],
        "responses": {"200": _json(_ref("Ven"), "The VEN"), **_errors(404)}}},
    "/vens/{ven_id}/cancel": {"parameters": [_path("ven_id")], "post": {
        "operationId": "cancelVen", "tags": ["vens"],
        "summary": "Cancel a registration and queue oadrCancelPartyRegistration for the VEN",
        "responses": {"200": _json(_ref("VenCancelled"), "Cancelled; the message is queued"),
                      **_errors(404, 409)}}},
    "/vens/{ven_id}/reregister": {"parameters": [_path("ven_id")], "post": {
        "operationId": "reregisterVen", "tags": ["vens"],
        "summary": "Queue oadrRequestReregistration for the VEN (it registers again)",
        "responses": {"200": _json(_object({"ven": _ref("Ven"), "queued": {
            "type": "string", "const": "oadrRequestReregistration"}}), "Queued"),
                      **_errors(404, 409)}}},
    "/vens/{ven_id}/baseline": {"parameters": [_path("ven_id")], "get": {
        "operationId": "getVenBaseline", "tags": ["performance"],
        "summary": "The baseline the VEN reported [kW], with confidence and method",
        "parameters": _READING_FILTERS[3:5],
        "responses": {"200": _json(_ref("BaselineSeries"), "Baseline by interval start"),
                      **_errors(400, 404)}}},
    "/vens/{ven_id}/capacity": {"parameters": [_path("ven_id")], "get": {
        "operationId": "getVenCapacity", "tags": ["performance"],
        "summary": "Shed capacity shown in past events and the latest baseline",
        "responses": {"200": _json(_ref("Capacity"), "Capacity"), **_errors(404)}}},
    "/events": {
        "get": {
            "operationId": "listEvents", "summary": "List events by start time",
            "tags": ["events"],
            "parameters": [
                _query("ending_after", "Only events not ended by this time",
                       {"type": "string", "format": "date-time"}),
                {**_INCLUDE_CANCELLED, "description": "Include cancelled events (default true)"},
                _query("limit", "At most this many events", {"type": "integer", "minimum": 1}),
            ],
            "responses": {"200": _json(_ref("EventList"), "Events"), **_errors(400)}},
        "post": {
            "operationId": "createEvent", "summary": "Issue an event", "tags": ["events"],
            "requestBody": {"required": True, "content": {
                "application/json": {"schema": _ref("EventInput")}}},
            "responses": {"201": _json({"allOf": [_ref("Event"), _object({"warnings": {
                "type": "array", "items": _TEXT, "description": "e.g. the start is in the past: "
                "how long ago, and how much of the event is left"}})]},
                "The new event (modification 0), with warnings"),
                          **_errors(400)}}},
    "/events/{event_id}": {
        "parameters": [_path("event_id")],
        "get": {
            "operationId": "getEvent", "summary": "Show one event", "tags": ["events"],
            "responses": {"200": _json(_ref("Event"), "The event"), **_errors(404)}},
        "patch": {
            "operationId": "modifyEvent", "tags": ["events"],
            "summary": "Modify an event (its modification number grows by one)",
            "requestBody": {"required": True, "content": {
                "application/json": {"schema": _ref("EventPatch")}}},
            "responses": {"200": _json(_ref("Event"), "The modified event"),
                          **_errors(400, 404, 409)}}},
    "/events/{event_id}/cancel": {"parameters": [_path("event_id")], "post": {
        "operationId": "cancelEvent", "tags": ["events"],
        "summary": "Cancel an event (a modification with status cancelled)",
        "requestBody": {"required": False, "content": {
            "application/json": {"schema": _ref("EventCancel")}}},
        "responses": {"200": _json(_ref("Event"), "The cancelled event"),
                      **_errors(400, 404, 409)}}},
    "/events/{event_id}/responses": {"parameters": [_path("event_id")], "get": {
        "operationId": "getEventResponses", "tags": ["events"],
        "summary": "Per targeted VEN: delivered modification, opt and when",
        "responses": {"200": _json(_ref("EventResponses"), "Responses by VEN"),
                      **_errors(404)}}},
    "/events/{event_id}/performance": {"parameters": [_path("event_id")], "get": {
        "operationId": "getEventPerformance", "tags": ["performance"],
        "summary": "Per VEN that reported in the event window: requested, baseline, achieved",
        "responses": {"200": _json(_ref("EventPerformance"), "Rows by VEN"),
                      **_errors(404)}}},
    "/events/{event_id}/performance.csv": {"parameters": [_path("event_id")], "get": {
        "operationId": "exportEventPerformanceCsv", "tags": ["performance"],
        "summary": "The same rows as CSV (header row; columns as in Performance, no intervals)",
        "responses": {"200": {"description": "CSV", "content": {
            "text/csv": {"schema": {"type": "string"}}}}, **_errors(404)}}},
    "/opts": {"get": {
        "operationId": "listOpts", "summary": "Opts received from VENs", "tags": ["opts"],
        "parameters": [_query("ven_id", "Only this VEN's opts"),
                       _query("event_id", "Only opts of this event"), _INCLUDE_CANCELLED],
        "responses": {"200": _json(_ref("OptList"), "Opts in the order received"),
                      **_errors(400)}}},
    "/audit": {"get": {
        "operationId": "listAudit", "tags": ["audit"],
        "summary": "Operator actions (the audit log), oldest first",
        "parameters": [
            _query("since", "Recorded at or after this time (ISO 8601 with zone)",
                   {"type": "string", "format": "date-time"}),
            _query("until", "Recorded before this time (ISO 8601 with zone)",
                   {"type": "string", "format": "date-time"}),
            _query("action", "This action (event.cancel), or a family ending in a dot "
                   "(event.)"),
            _query("object_id", "Actions on this VEN or event"),
            _query("operator", "Actions of this operator (as the X-Oadr-Operator header said)"),
            _query("limit", "Only the newest N", {"type": "integer", "minimum": 1})],
        "responses": {"200": _json(_ref("AuditList"), "Audit entries"), **_errors(400)}}},
    "/reports/capabilities": {"get": {
        "operationId": "listReportCapabilities", "tags": ["reports"],
        "summary": "Reports the VENs offer (METADATA)",
        "parameters": [_query("ven_id", "Only this VEN's reports")],
        "responses": {"200": _json(_ref("CapabilityList"), "Capabilities"),
                      **_errors(404)}}},
    "/reports/subscriptions": {
        "get": {
            "operationId": "listReportSubscriptions", "tags": ["reports"],
            "summary": "Report requests the VTN made",
            "parameters": [_query("ven_id", "Only this VEN's subscriptions"),
                           _INCLUDE_CANCELLED],
            "responses": {"200": _json(_ref("SubscriptionList"), "Subscriptions"),
                          **_errors(400)}},
        "post": {
            "operationId": "requestReport", "tags": ["reports"],
            "summary": "Ask a VEN for a report it offers (queues oadrCreateReport)",
            "requestBody": {"required": True, "content": {
                "application/json": {"schema": _ref("ReportRequestInput")}}},
            "responses": {"201": _json(_ref("ReportRequested"), "Requested; the message is "
                                       "queued"), **_errors(400, 404, 409)}}},
    "/reports/subscriptions/{report_request_id}/cancel": {
        "parameters": [_path("report_request_id")], "post": {
            "operationId": "cancelReport", "tags": ["reports"],
            "summary": "Cancel a report request (queues oadrCancelReport)",
            "requestBody": {"required": False, "content": {
                "application/json": {"schema": _ref("ReportCancelInput")}}},
            "responses": {"200": _json(_ref("ReportCancelled"), "Cancelled; the message is "
                                       "queued"), **_errors(400, 404, 409)}}},
    "/reports/readings": {"get": {
        "operationId": "listReadings", "tags": ["reports"],
        "summary": "Readings received, by interval start then rID",
        "parameters": _READING_FILTERS,
        "responses": {"200": _json(_ref("ReadingList"), "Readings"), **_errors(400)}}},
    "/reports/readings.csv": {"get": {
        "operationId": "exportReadingsCsv", "tags": ["reports"],
        "summary": "The same readings as CSV (header row; columns as in Reading)",
        "parameters": _READING_FILTERS,
        "responses": {"200": {"description": "CSV", "content": {
            "text/csv": {"schema": {"type": "string"}}}}, **_errors(400)}}},
}

OPENAPI: Json = {
    "openapi": "3.1.0",
    "info": {
        "title": "oadr-vtn admin API",
        "version": "1",
        "description": (
            "The operator's interface of the OpenADR 2.0b VTN: VENs, events, opts, "
            "reports and event performance. Every route but this document needs "
            "`Authorization: Bearer <token>`; "
            "the token is in the VTN's admin.token_file (created with mode 0600 at first "
            "start). Errors are JSON: {\"error\": {\"status\", \"message\", \"field\"}}."),
    },
    "servers": [{"url": "/admin/api/v1"}],
    "security": [{"bearer": []}],
    "paths": _PATHS,
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": _SCHEMAS,
        "responses": {
            f"E{status}": _json(_ref("Error"), text) for status, text in (
                (400, "Invalid input; `field` names the offending field"),
                (401, "Missing or wrong bearer token"),
                (404, "Unknown id"),
                (409, "Conflicts with the stored state"),
            )
        },
    },
}
