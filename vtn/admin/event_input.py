"""Event input of the admin API: JSON -> ``EventRequest``, with 400 errors naming the field."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

from common.messages.enums import ExtensionValue, ResponseRequired, SignalName
from common.messages.types import ItemBase
from common.xml.lexical import write_datetime, write_duration
from vtn.admin.problems import BadRequest, ConflictError
from vtn.admin.signals import PAYLOAD_KEYS, SIGNALS, SignalKind, extension_kind, unit_for
from vtn.admin.timeinput import parse_duration, parse_start
from vtn.domain import Baseline, Event, EventRequest, EventTargets, Signal, SignalInterval

__all__ = ["EventDefaults", "event_to_input", "merge_patch", "parse_event_request"]

EVENT_FIELDS = frozenset({
    "targets", "signal_name", "signal_type", *PAYLOAD_KEYS, "currency", "start", "duration",
    "intervals", "priority", "test_event", "response_required", "startafter", "ramp_up",
    "recovery", "notification", "market_context", "vtn_comment", "baseline",
})
"""Every key event input may have (creation and modification)."""

_TARGET_FIELDS = ("ven_ids", "group_ids", "resource_ids", "party_ids")
_BASELINE_FIELDS = frozenset({"kw", "name", "start", "duration", "intervals", "resource_ids"})
_OPTIONAL_DURATIONS = {
    "startafter": "tolerance_startafter",
    "ramp_up": "ramp_up",
    "recovery": "recovery",
    "notification": "notification",
}
MAX_INTERVALS = 1000


@dataclass(frozen=True, slots=True)
class EventDefaults:
    """What an event gets when the input does not say: its market context and price currency."""

    market_context: str = "http://MarketContext1"
    currency: str = "USD"


def parse_event_request(
    data: object, *, now: datetime, defaults: EventDefaults, signal_id: str | None = None
) -> EventRequest:
    """The ``EventRequest`` that JSON `data` describes (see the OpenAPI ``EventInput`` schema).

    Relative starts (``+5m``) count from `now`. Raises ``BadRequest`` naming the first wrong
    field.
    """
    if not isinstance(data, dict):
        raise BadRequest("the request body must be a JSON object")
    data = {k: v for k, v in data.items() if v is not None}  # null = not given
    unknown = sorted(set(data) - EVENT_FIELDS)
    if unknown:
        raise BadRequest(f"{unknown[0]}: unknown field (known: {', '.join(sorted(EVENT_FIELDS))})",
                         field=unknown[0])
    if "start" not in data:
        raise BadRequest("start: is required (an ISO time, 'now' or +DURATION such as +5m)",
                         field="start")
    name, kind = _signal_kind(data)
    durations = _interval_durations(data)
    values = _values(data, kind, len(durations))
    if name is SignalName.SIMPLE:
        _check_simple_levels(data, values)
    currency = _text(data, "currency", defaults.currency)
    signal = Signal(
        signal_name=name,
        signal_type=kind.signal_type,
        signal_id=signal_id or uuid4().hex,
        intervals=tuple(SignalInterval(duration=d, value=v)
                        for d, v in zip(durations, values, strict=True)),
        item_base=unit_for(kind.payload, currency),
    )
    extras: dict[str, Any] = {attr: parse_duration(data[key], key)
              for key, attr in _OPTIONAL_DURATIONS.items() if data.get(key) is not None}
    response = data.get("response_required", ResponseRequired.ALWAYS.value)
    if response not in {r.value for r in ResponseRequired}:
        raise BadRequest(f"response_required: expected 'always' or 'never', got {response!r}",
                         field="response_required")
    comment = data.get("vtn_comment")
    if comment is not None and not isinstance(comment, str):
        raise BadRequest("vtn_comment: expected text", field="vtn_comment")
    start = parse_start(data["start"], now)
    baseline = None
    if "baseline" in data:
        baseline = _baseline(data["baseline"], start, durations, now)
    return EventRequest(
        targets=_targets(data.get("targets")),
        market_context=_text(data, "market_context", defaults.market_context),
        signals=(signal,),
        start=start,
        duration=sum(durations, timedelta(0)),
        baseline=baseline,
        priority=_priority(data.get("priority", 0)),
        test_event=_flag(data, "test_event"),
        response_required=ResponseRequired(response),
        vtn_comment=comment,
        **extras,
    )


def event_to_input(event: Event) -> dict[str, Any]:
    """The input that would recreate `event`'s request (the base a modification patches)."""
    request = event.request
    if len(request.signals) != 1:
        raise ConflictError(f"event {event.event_id!r} has {len(request.signals)} signals; the "
                            "admin API modifies single-signal events only")
    (signal,) = request.signals
    name = signal.signal_name
    kinds = SIGNALS.get(name) if isinstance(name, SignalName) else None
    extension = isinstance(name, ExtensionValue)
    if not extension and (not kinds or signal.signal_type not in {k.signal_type for k in kinds}):
        raise ConflictError(f"event {event.event_id!r} has a {signal.signal_name.value} "
                            f"{signal.signal_type.value} signal, which the admin API does not "
                            "modify")
    targets = request.targets
    data: dict[str, Any] = {
        "targets": {"all": True} if targets.all_vens
        else {f: list(getattr(targets, f)) for f in _TARGET_FIELDS if getattr(targets, f)},
        "signal_name": signal.signal_name.value,
        "signal_type": signal.signal_type.value,
        "intervals": [{"duration": write_duration(i.duration), "value": i.value}
                      for i in signal.intervals],
        "start": write_datetime(request.start),
        "duration": write_duration(request.duration),
        "priority": request.priority,
        "test_event": request.test_event,
        "response_required": request.response_required.value,
        "market_context": request.market_context,
        "vtn_comment": request.vtn_comment,
    }
    if signal.item_base is not None and signal.item_base.kind.value.startswith("currency"):
        data["currency"] = signal.item_base.item_units
    if extension:  # an x- signal's payload key is what gives it its unit: keep it
        values = [i.value for i in signal.intervals]
        data[_payload_of_unit(signal.item_base)] = values[0] if len(set(values)) == 1 else values
        data["intervals"] = [{"duration": i["duration"]} for i in data["intervals"]]
    if request.baseline is not None:
        b = request.baseline
        data["baseline"] = {
            "name": b.baseline_name, "start": write_datetime(b.start),
            "intervals": [{"duration": write_duration(i.duration)} for i in b.intervals],
            "kw": [i.value for i in b.intervals], "resource_ids": list(b.resource_ids)}
    for key, attr in _OPTIONAL_DURATIONS.items():
        value = getattr(request, attr)
        if value is not None:
            data[key] = write_duration(value)
    return data


def merge_patch(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """`base` (from ``event_to_input``) with the fields of `patch` replacing its own.

    A new ``duration`` alone re-splits the event into as many equal intervals as it had; a new
    payload (``level``/``kw``/``price``) alone keeps the interval durations; a new shape
    without a payload keeps the old values (one value for all intervals, or the same list).
    A new ``signal_name`` without a ``signal_type`` takes that name's default type.
    """
    payload_given = any(k in patch for k in PAYLOAD_KEYS)
    merged = {**{k: v for k, v in base.items() if not (payload_given and k in PAYLOAD_KEYS)},
              **patch}
    old = base["intervals"]
    if isinstance(patch.get("intervals"), list) and "duration" not in patch:
        merged.pop("duration", None)  # explicit intervals set the length
    if "signal_name" in patch and "signal_type" not in patch:
        merged.pop("signal_type", None)
    if "intervals" not in patch and (payload_given or "duration" in patch):
        if "duration" in patch:
            merged["intervals"] = len(old)
        else:
            merged["intervals"] = [{"duration": i["duration"]} for i in old]
    new_intervals = merged["intervals"]
    values_inline = isinstance(new_intervals, list) and all(
        isinstance(i, dict) and "value" in i for i in new_intervals)
    if not payload_given and not values_inline and not any(k in base for k in PAYLOAD_KEYS):
        key = _payload_of(base)
        values = [i["value"] for i in old]
        merged[key] = values[0] if len(set(values)) == 1 else values
    return merged


# ---- pieces -------------------------------------------------------------------------------


def _signal_kind(data: dict[str, Any]) -> tuple[SignalName | ExtensionValue, SignalKind]:
    raw_name = data.get("signal_name", SignalName.SIMPLE.value)
    names = [n.value for n in SIGNALS]
    if isinstance(raw_name, str) and raw_name.startswith("x-"):
        return _extension_kind(data, raw_name)
    if raw_name not in names:
        raise BadRequest(f"signal_name: expected one of {', '.join(names)} or a private x- "
                         f"name (x-mySignal), got {raw_name!r}", field="signal_name")
    name = SignalName(raw_name)
    kinds = SIGNALS[name]
    given = [k for k in PAYLOAD_KEYS if k in data]
    if len(given) > 1:
        raise BadRequest(f"{given[1]}: give one of level, kw or price, not {' and '.join(given)}",
                         field=given[1])
    raw_type = data.get("signal_type")
    if raw_type is not None:
        kind = next((k for k in kinds if k.signal_type.value == raw_type), None)
        if kind is None:
            allowed = ", ".join(k.signal_type.value for k in kinds)
            raise BadRequest(f"signal_type: {name.value} signals take {allowed}, not {raw_type!r}",
                             field="signal_type")
        if given and given[0] != kind.payload:
            raise BadRequest(f"{given[0]}: a {name.value} {kind.signal_type.value} signal takes "
                             f"{kind.payload} values", field=given[0])
        return name, kind
    if not given:
        return name, kinds[0]
    kind = next((k for k in kinds if k.payload == given[0]), None)
    if kind is None:
        allowed = " or ".join(dict.fromkeys(k.payload for k in kinds))
        raise BadRequest(f"{given[0]}: {name.value} signals take {allowed} values",
                         field=given[0])
    return name, kind


def _extension_kind(data: dict[str, Any], raw_name: str) -> tuple[ExtensionValue, SignalKind]:
    """An ``x-`` signal (E1_1070: a VEN that does not know it answers 460): any 2.0b signal
    type, which must be given, with a level (unit-less), kw [kW] or price payload."""
    if len(raw_name) < 3 or not raw_name[2:].replace("-", "").replace("_", "").isalnum():
        raise BadRequest(f"signal_name: {raw_name!r} is not a private name: x- then letters, "
                         "digits, - or _ (x-mySignal)", field="signal_name")
    raw_type = data.get("signal_type")
    given = [k for k in PAYLOAD_KEYS if k in data]
    if len(given) > 1:
        raise BadRequest(f"{given[1]}: give one of level, kw or price, not {' and '.join(given)}",
                         field=given[1])
    kind = extension_kind(raw_type, given[0] if given else None) if isinstance(
        raw_type, str) else None
    if kind is None:
        raise BadRequest(f"signal_type: an x- signal needs a 2.0b signal type (level, price, "
                         f"delta, setpoint, ...), got {raw_type!r}", field="signal_type")
    return ExtensionValue(raw_name), kind


def _baseline(raw: object, start: datetime, event_durations: list[timedelta],
              now: datetime) -> Baseline:
    """ei:eiEventBaseline from ``{"kw": N | [N...], "name", "start", "duration", "intervals",
    "resource_ids"}`` [kW]: by default over the event's active period and intervals."""
    if not isinstance(raw, dict):
        raise BadRequest("baseline: expected an object such as {\"kw\": [120, 110]}",
                         field="baseline")
    unknown = sorted(set(raw) - _BASELINE_FIELDS)
    if unknown:
        raise BadRequest(f"baseline.{unknown[0]}: unknown field (known: "
                         f"{', '.join(sorted(_BASELINE_FIELDS))})", field=f"baseline.{unknown[0]}")
    own = {k: v for k, v in raw.items() if k in ("duration", "intervals") and v is not None}
    if own:
        try:
            durations = _interval_durations({"duration": write_duration(
                sum(event_durations, timedelta(0))), **own})
        except BadRequest as exc:
            field = f"baseline.{exc.field}" if exc.field else "baseline"
            raise BadRequest(f"baseline.{exc.message}", field=field) from exc
    else:
        durations = event_durations
    if "kw" not in raw:
        raise BadRequest("baseline.kw: is required (one value [kW], or one per interval)",
                         field="baseline.kw")
    values = raw["kw"]
    if isinstance(values, list):
        if len(values) != len(durations):
            raise BadRequest(f"baseline.kw: {len(values)} values for {len(durations)} intervals",
                             field="baseline.kw")
        numbers = [_number(v, "baseline.kw") for v in values]
    else:
        numbers = [_number(values, "baseline.kw")] * len(durations)
    name = raw.get("name", "baseline")
    if not isinstance(name, str) or not name.strip():
        raise BadRequest("baseline.name: expected non-empty text", field="baseline.name")
    resources = raw.get("resource_ids", [])
    if not isinstance(resources, list) or not all(isinstance(r, str) and r for r in resources):
        raise BadRequest("baseline.resource_ids: expected a list of ids",
                         field="baseline.resource_ids")
    begin = start if raw.get("start") is None else parse_start(raw["start"], now,
                                                               "baseline.start")
    return Baseline(
        baseline_id=uuid4().hex, baseline_name=name.strip(), start=begin,
        intervals=tuple(SignalInterval(duration=d, value=v)
                        for d, v in zip(durations, numbers, strict=True)),
        item_base=ItemBase.power(), resource_ids=tuple(resources))


def _payload_of_unit(unit: ItemBase | None) -> str:
    if unit is None:
        return "level"
    return "price" if unit.kind.value.startswith("currency") else "kw"


def _interval_durations(data: dict[str, Any]) -> list[timedelta]:
    intervals = data.get("intervals", 1)
    if isinstance(intervals, list):
        if not intervals or len(intervals) > MAX_INTERVALS:
            raise BadRequest(f"intervals: give 1 to {MAX_INTERVALS} intervals",
                             field="intervals")
        durations = []
        for n, item in enumerate(intervals):
            field = f"intervals[{n}].duration"
            if not isinstance(item, dict) or "duration" not in item:
                raise BadRequest(f"{field}: is required", field=field)
            extra = sorted(set(item) - {"duration", "value"})
            if extra:
                raise BadRequest(f"intervals[{n}].{extra[0]}: unknown field",
                                 field=f"intervals[{n}].{extra[0]}")
            durations.append(_positive(parse_duration(item["duration"], field), field))
        total = sum(durations, timedelta(0))
        given = data.get("duration")
        if given is not None and parse_duration(given, "duration") != total:
            raise BadRequest(f"duration: {data['duration']} differs from the sum of the "
                             f"intervals ({write_duration(total)}); give one or make them agree",
                             field="duration")
        return durations
    if isinstance(intervals, bool) or not isinstance(intervals, int) or not (
            1 <= intervals <= MAX_INTERVALS):
        raise BadRequest(f"intervals: expected a count (1 to {MAX_INTERVALS}) or a list of "
                         f"{{duration, value}}, got {intervals!r}", field="intervals")
    if data.get("duration") is None:
        raise BadRequest("duration: is required (e.g. PT1H or 1h)", field="duration")
    total = _positive(parse_duration(data["duration"], "duration"), "duration")
    seconds = int(total.total_seconds())
    if seconds % intervals:
        raise BadRequest(f"intervals: {data['duration']} does not split into {intervals} "
                         "intervals of whole seconds", field="intervals")
    return [timedelta(seconds=seconds // intervals)] * intervals


def _values(data: dict[str, Any], kind: SignalKind, count: int) -> list[float]:
    intervals = data.get("intervals")
    key = kind.payload
    if isinstance(intervals, list) and any("value" in i for i in intervals):
        if key in data:
            raise BadRequest(f"{key}: give values either in the intervals or as {key}, not both",
                             field=key)
        for n, item in enumerate(intervals):
            if "value" not in item:
                raise BadRequest(f"intervals[{n}].value: is required when other intervals "
                                 "carry values", field=f"intervals[{n}].value")
        return [_number(i["value"], f"intervals[{n}].value") for n, i in enumerate(intervals)]
    if key not in data:
        raise BadRequest(f"{key}: is required for a {kind.signal_type.value} signal", field=key)
    raw = data[key]
    if isinstance(raw, list):
        if len(raw) != count:
            raise BadRequest(f"{key}: {len(raw)} values for {count} intervals", field=key)
        return [_number(v, f"{key}[{n}]") for n, v in enumerate(raw)]
    return [_number(raw, key)] * count


def _check_simple_levels(data: dict[str, Any], values: list[float]) -> None:
    for value in values:
        if value not in (0, 1, 2, 3):
            field = "level" if "level" in data else "intervals"
            raise BadRequest(f"{field}: SIMPLE levels are 0, 1, 2 or 3, got {value:g}",
                             field=field)


def _targets(raw: object) -> EventTargets:
    if not isinstance(raw, dict):
        raise BadRequest("targets: is required: {\"all\": true} or lists such as "
                         "{\"ven_ids\": [...]}", field="targets")
    unknown = sorted(set(raw) - {"all", *_TARGET_FIELDS})
    if unknown:
        raise BadRequest(f"targets.{unknown[0]}: unknown field", field=f"targets.{unknown[0]}")
    lists: dict[str, tuple[str, ...]] = {}
    for field in _TARGET_FIELDS:
        values = raw.get(field, [])
        if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
            raise BadRequest(f"targets.{field}: expected a list of ids", field=f"targets.{field}")
        lists[field] = tuple(dict.fromkeys(values))
    everyone = raw.get("all", False)
    if not isinstance(everyone, bool):
        raise BadRequest("targets.all: expected true or false", field="targets.all")
    if everyone and any(lists.values()):
        raise BadRequest("targets: either all VENs or listed ones, not both", field="targets")
    if not everyone and not any(lists.values()):
        raise BadRequest("targets: name some VENs (ven_ids, group_ids, resource_ids, "
                         "party_ids) or say all: true", field="targets")
    return EventTargets(all_vens=everyone, **lists)


def _payload_of(base: dict[str, Any]) -> str:
    if str(base["signal_name"]).startswith("x-"):
        return "level"
    name = SignalName(base["signal_name"])
    kind = next(k for k in SIGNALS[name] if k.signal_type.value == base["signal_type"])
    return kind.payload


def _number(value: object, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise BadRequest(f"{field}: expected a number, got {value!r}", field=field)
    return float(value)


def _positive(value: timedelta, field: str) -> timedelta:
    if value <= timedelta(0):
        raise BadRequest(f"{field}: must be longer than zero", field=field)
    return value


def _priority(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BadRequest(f"priority: expected a whole number, 0 (no priority) or more (1 is the "
                         f"highest), got {value!r}",
                         field="priority")
    return value


def _flag(data: dict[str, Any], field: str) -> bool:
    value = data.get(field, False)
    if not isinstance(value, bool):
        raise BadRequest(f"{field}: expected true or false, got {value!r}", field=field)
    return value


def _text(data: dict[str, Any], field: str, default: str) -> str:
    value = data.get(field)
    if value is None:
        return default
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"{field}: expected non-empty text", field=field)
    return value.strip()

