"""The building API's OpenAPI 3.1 description, as data (served at /api/v1/openapi.json)."""

from __future__ import annotations

from typing import Any

from ven.energy.strategy import STRATEGIES as _STRATEGIES

__all__ = ["OPENAPI"]

Json = dict[str, Any]

_TEXT: Json = {"type": "string"}
_NUMBER: Json = {"type": "number"}
_NULL_NUMBER: Json = {"type": ["number", "null"]}
_TIME: Json = {"type": "string", "format": "date-time", "description": "ISO 8601"}
_NULL_TIME: Json = {"type": ["string", "null"], "format": "date-time"}


def _ref(name: str) -> Json:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: Json, *, required: tuple[str, ...] | None = None) -> Json:
    return {"type": "object", "properties": properties,
            "required": list(properties if required is None else required)}


def _json(schema: Json, description: str) -> Json:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> Json:
    return {str(s): {"$ref": f"#/components/responses/E{s}"} for s in (401, *statuses)}


def _query(name: str, description: str, schema: Json | None = None) -> Json:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema or _TEXT}


_TIME_FILTERS = [
    _query("device", "only this device ID (`building`: the building meter)"),
    _query("quantity", "only this quantity (`power`, `outdoor_temperature`)"),
    _query("from", "samples at or after this time (ISO 8601 with offset)",
           {"type": "string", "format": "date-time"}),
    _query("to", "samples before this time (ISO 8601 with offset)",
           {"type": "string", "format": "date-time"}),
    _query("limit", "at most this many samples (default and maximum 100000)",
           {"type": "integer", "minimum": 1, "maximum": 100000}),
]

_SCHEMAS: Json = {
    "Error": _object({"error": _TEXT}),
    "Invitation": _object({
        "event_id": _TEXT, "modification_number": {"type": "integer"},
        "status": {"type": "string", "enum": ["none", "far", "near", "active", "completed",
                                              "cancelled"]},
        "summary": _TEXT, "effective_start": _TIME, "end": _NULL_TIME,
        "response_required": _TEXT,
        "opt": {"type": ["string", "null"], "enum": ["optIn", "optOut", None]},
        "provisional": {"type": "boolean"},
        "device_opts": {"type": "object", "additionalProperties": _TEXT}}),
    "Answer": _object({"opt": {"type": "string", "enum": ["in", "out"]},
                       "device_id": {"type": "string", "description":
                                     "a device of the building; omit for the whole building"}},
                      required=("opt",)),
    "Answered": _object({"event_id": _TEXT, "modification_number": {"type": "integer"},
                         "device_id": {"type": ["string", "null"]},
                         "opt": {"type": "string", "enum": ["optIn", "optOut"]}}),
    "AutoAnswer": _object({"auto_answer": {"type": "boolean"},
                           "source": {"type": "string", "enum": ["config", "api"]},
                           "default_opt": _TEXT}),
    "AutoAnswerInput": _object({"auto_answer": {"type": "boolean"}}),
    "DeviceFlexibility": _object({
        "device_id": _TEXT,
        "rule": {"type": "string", "enum": ["participation", "shifting", "off"]},
        "forecast_kw": {**_NUMBER, "description": "power without DR [kW]"},
        "sheddable_kw": {**_NUMBER, "description": "most the dispatch may shed [kW]"}}),
    "FlexibilityHour": _object({
        "start": _TIME, "sheddable_kw": _NUMBER,
        "devices": {"type": "array", "items": _ref("DeviceFlexibility")}}),
    "Flexibility": _object({
        "generated_at": _TIME,
        "current": {"oneOf": [_ref("FlexibilityHour"), {"type": "null"}]},
        "hours": {"type": "array", "items": _ref("FlexibilityHour")}}),
    "DeviceCapacity": _object({
        "device_id": _TEXT, "kind": _TEXT,
        "rule": {"type": "string", "enum": ["participation", "shifting", "off"]},
        "current_kw": {**_NUMBER, "description": "draw now [kW]"},
        "sheddable_kw": {**_NUMBER, "description": "most the dispatch may shed now [kW]"}}),
    "CircuitCapacity": _object({
        "circuit_id": {"type": ["string", "null"], "description": "null: devices on no circuit"},
        "name": _TEXT, "essential": {"type": "boolean"},
        "priority": {"type": "integer", "description": "1..10, lower is shed first (0: none)"},
        "meter": {"type": ["string", "null"]},
        "metered": {"type": "boolean",
                    "description": "current_kw is the circuit meter's reading (else the sum of "
                                   "its devices')"},
        "current_kw": {**_NUMBER, "description": "draw now [kW]"},
        "sheddable_kw": {**_NUMBER, "description": "0 on an essential circuit"},
        "devices": {"type": "array", "items": _ref("DeviceCapacity")}}),
    "Capacity": _object({
        "building_id": _TEXT, "at": _TIME, "sheddable_kw": _NUMBER,
        "circuits": {"type": "array", "items": _ref("CircuitCapacity"),
                     "description": "in shed order: no circuit, then by priority"}}),
    "BenefitRow": _object({"month": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"},
                           "device_id": _TEXT, "events": {"type": "integer"},
                           "delivered_kwh": _NUMBER, "benefit": _NUMBER}),
    "Benefits": _object({"currency": _TEXT, "compensation_per_kwh": _NUMBER,
                         "rows": {"type": "array", "items": _ref("BenefitRow")},
                         "total_delivered_kwh": _NUMBER, "total_benefit": _NUMBER}),
    "Sample": _object({"time": _TIME, "device_id": _TEXT, "quantity": _TEXT,
                       "value": _NUMBER, "unit": _TEXT}),
    "Devices": _object({"building": {"type": ["array", "null"], "items": _TEXT},
                        "with_telemetry": {"type": "array", "items": _TEXT}}),
    "PlanInterval": _object({"start": _TIME, "duration_h": _NUMBER,
                             "in_event": {"type": "boolean"}, "baseline_kw": _NULL_NUMBER,
                             "target_kw": _NULL_NUMBER, "planned_kw": _NULL_NUMBER,
                             "measured_kw": _NULL_NUMBER, "requested_shed_kw": _NULL_NUMBER,
                             "expected_shed_kw": _NULL_NUMBER, "expected_pct": _NULL_NUMBER,
                             "shortfall_reasons": {"type": "array", "items": _TEXT}}),
    "Plan": _object({"event_id": _TEXT, "modification_number": {"type": "integer"},
                     "start": _TIME, "end": _TIME, "until": _TIME,
                     "requested_shed_kw": _NULL_NUMBER, "expected_shed_kw": _NULL_NUMBER,
                     "expected_pct": _NULL_NUMBER, "falls_short": {"type": "boolean"},
                     "intervals": {"type": "array", "items": _ref("PlanInterval")},
                     "baseline": _ref("PlanBaseline")}),
    "PlanBaseline": _object({
        "preset": _TEXT, "method": _TEXT,
        "confidence": {"type": "string", "enum": ["high", "medium", "low"]},
        "adjustment": {"type": "object", "description": "The day-of adjustment: kind (none, "
                       "ratio, additive), value (ratio or offset [kW]), raw, capped, applied, "
                       "window_s, gap_s, cap, reason, text, window_start, window_end, "
                       "window_moved (the window used; moved back before earlier events)"},
    }),
    "CurrentPlan": _object({"plan": {"oneOf": [_ref("Plan"), {"type": "null"}]}}),
    "EnergyPlan": _object({
        "made_at": _TIME, "start": _TIME, "in_force": {"type": "boolean"},
        "strategy": _TEXT, "status": _TEXT, "horizon_h": _NUMBER, "step_min": _NUMBER,
        "tariff": _TEXT, "currency": _TEXT, "forecast": _TEXT,
        "prices": {"type": "object", "additionalProperties": {"type": "integer"},
                   "description": "intervals priced by the tariff, the feed and events"},
        "price_feed": {"type": ["object", "null"],
                       "description": "the price feed: source, refresh_min, fetched_at, "
                                      "tried_at, next_at, intervals, covers_from, covers_to, "
                                      "error, fetches, failures (null: none configured)"},
        "state": {"type": "object", "additionalProperties": _TEXT,
                  "description": "device -> measured, or model (why) (MQTT devices)"},
        "zone_models": {"type": "array", "items": {"type": "object"},
                        "description": "each zone's model in force: zone_id, in_force "
                                       "(fitted or configured), r_c_per_kw, c_kwh_per_c, "
                                       "tau_h, cop, mode, holdout_rmse_c, data_end, saved_at, "
                                       "note"},
        "dr_intervals": {"type": "integer"},
        "left_to_event": {"type": "array", "items": _TEXT},
        "solve_s": _NUMBER, "replans": {"type": "integer"}, "failures": {"type": "integer"},
        "totals": {"type": "object", "additionalProperties": _NUMBER,
                   "description": "energy_cost, demand_charge_increment, degradation_cost "
                                  "[currency], carbon_kg, comfort_deviation_ch, "
                                  "band_violation_ch [°C·h], dr_shortfall_kwh, "
                                  "ev_shortfall_kwh, battery_throughput_kwh, peak_kw"},
        "commands": {"type": "array", "items": {"type": "object"},
                     "description": "sent now: device_id, command, kw / celsius / on"},
        "next": {"type": "array", "items": {"type": "object"},
                 "description": "the next intervals: start, import_kw, export_kw, "
                                "<device>.kw, .soc, .temp_c"}}),
    "EnergyStrategy": _object({
        "name": {"type": "string", "enum": list(_STRATEGIES)},
        "weights": {"type": "object", "additionalProperties": {"type": "number"}},
        "source": {"type": "string", "description": "building file, or run time"},
        "building_file": {"type": "string", "description": "the building file's strategy"}}),
    "EnergyStrategyInput": {
        "type": "object", "required": ["strategy"], "additionalProperties": False,
        "properties": {
            "strategy": {"type": "string", "enum": list(_STRATEGIES)},
            "weights": {"type": "object", "additionalProperties": {"type": "number",
                                                                   "minimum": 0},
                        "description": "cost, comfort, carbon (balanced only); "
                                       "degradation_per_kwh and penalty_* (any)"}}},
    "EnergyStrategySet": _object({"strategy": _ref("EnergyStrategy"),
                                  "replan": {"type": "string"}}),
    "CurrentEnergyPlan": _object({
        "enabled": {"type": "boolean"},
        "strategy": {"oneOf": [_ref("EnergyStrategy"), {"type": "null"}]},
        "plan": {"oneOf": [_ref("EnergyPlan"), {"type": "null"}]}}),
}

_PATHS: Json = {
    "/openapi.json": {"get": {
        "summary": "This document (no token needed)", "security": [],
        "responses": {"200": _json({"type": "object"}, "The OpenAPI document")}}},
    "/invitations": {"get": {
        "summary": "Events waiting for an answer",
        "parameters": [_query("all", "true: every stored event", {"type": "boolean"})],
        "responses": {"200": _json({"type": "array", "items": _ref("Invitation")}, "Events"),
                      **_errors()}}},
    "/invitations/{event_id}/answer": {"post": {
        "summary": "Answer an event for the whole building or one device",
        "parameters": [{"name": "event_id", "in": "path", "required": True, "schema": _TEXT}],
        "requestBody": {"required": True,
                        "content": {"application/json": {"schema": _ref("Answer")}}},
        "responses": {"201": _json(_ref("Answered"), "Recorded; sent at the next poll"),
                      **_errors(400, 404, 409)}}},
    "/settings/auto-answer": {
        "get": {"summary": "Whether events are answered without a person",
                "responses": {"200": _json(_ref("AutoAnswer"), "The setting"), **_errors()}},
        "put": {"summary": "Set auto-answer (kept in the state file, overrides ven.toml)",
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": _ref("AutoAnswerInput")}}},
                "responses": {"200": _json(_ref("AutoAnswer"), "The new setting"),
                              **_errors(400)}}},
    "/flexibility": {"get": {
        "summary": "Sheddable power per device and hour, now and for the next hours",
        "parameters": [_query("hours", "hours ahead (1..48, default 24)",
                              {"type": "integer", "minimum": 1, "maximum": 48})],
        "responses": {"200": _json(_ref("Flexibility"), "Per hour"), **_errors(400, 404)}}},
    "/capacity": {"get": {
        "summary": "Shed capacity by circuit now, in the order the dispatch sheds them",
        "parameters": [_query("essential", "true: list essential circuits too (0 kW)",
                              {"type": "boolean"})],
        "responses": {"200": _json(_ref("Capacity"), "Circuits by priority"),
                      **_errors(400, 404)}}},
    "/benefits": {"get": {
        "summary": "Delivered energy and DR benefit per device and month",
        "parameters": [_query("month", "only this month (YYYY-MM)")],
        "responses": {"200": _json(_ref("Benefits"), "Per month and device"),
                      **_errors()}}},
    "/devices": {"get": {
        "summary": "The building's devices and those with telemetry",
        "responses": {"200": _json(_ref("Devices"), "Device IDs"), **_errors()}}},
    "/telemetry": {"get": {
        "summary": "Telemetry history", "parameters": _TIME_FILTERS,
        "responses": {"200": _json({"type": "array", "items": _ref("Sample")}, "Samples"),
                      **_errors(400)}}},
    "/telemetry.csv": {"get": {
        "summary": "Telemetry history as CSV (time,device_id,quantity,value,unit)",
        "parameters": _TIME_FILTERS,
        "responses": {"200": {"description": "CSV", "content": {"text/csv": {
            "schema": {"type": "string"}}}}, **_errors(400)}}},
    "/plan": {"get": {
        "summary": "The current (or next) event's plan per interval",
        "responses": {"200": _json(_ref("CurrentPlan"), "The plan, or null"),
                      **_errors(404)}}},
    "/energy/plan": {"get": {
        "summary": "The always-on energy manager's plan in force (rolling-horizon MPC)",
        "responses": {"200": _json(_ref("CurrentEnergyPlan"), "The plan, or null"),
                      **_errors(404)}}},
    "/energy/strategy": {"put": {
        "summary": "Choose the energy manager's strategy (kept in the state file, wins over "
                   "the building file's; re-planned at the manager's next look)",
        "requestBody": {"required": True, "content": {
            "application/json": {"schema": _ref("EnergyStrategyInput")}}},
        "responses": {"200": _json(_ref("EnergyStrategySet"), "The strategy now chosen"),
                      **_errors(400, 404, 409)}}},
}

OPENAPI: Json = {
    "openapi": "3.1.0",
    "info": {"title": "VEN building API", "version": "1.0.0",
             "description": "The building's own local API, served by `oadr-ven run` (see "
                            "docs/building-api.md). Every path but this document needs "
                            "`Authorization: Bearer <token from api.token_file>`."},
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}],
    "paths": _PATHS,
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": _SCHEMAS,
        "responses": {f"E{s}": _json(_ref("Error"), text) for s, text in (
            (400, "Invalid input"), (401, "Missing or wrong bearer token"),
            (404, "Unknown event or device, or no building"),
            (409, "The event can no longer be answered, or the energy manager is off"))},
    },
}
