"""JSON documents for the parts of rows that are read whole: signals, baselines, units, rIDs."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from common.messages.enums import (
    ItemKind,
    ReadingType,
    ReportType,
    SignalName,
    SignalType,
    SiScaleCode,
)
from common.messages.types import ItemBase, PowerAttributes
from vtn.domain import AvailabilityPeriod, Baseline, ReportDescription, Signal, SignalInterval

__all__ = [
    "availability_from_json",
    "availability_to_json",
    "baseline_from_json",
    "baseline_to_json",
    "descriptions_from_json",
    "descriptions_to_json",
    "signals_from_json",
    "signals_to_json",
]

Json = dict[str, Any]


def _us(value: timedelta) -> int:
    return value // timedelta(microseconds=1)


def _td(value: int) -> timedelta:
    return timedelta(microseconds=value)


def _opt_us(value: timedelta | None) -> int | None:
    return None if value is None else _us(value)


def _opt_td(value: int | None) -> timedelta | None:
    return None if value is None else _td(value)


def item_base_to_json(item: ItemBase | None) -> Json | None:
    """A unit as a JSON object (``None`` stays ``None``)."""
    if item is None:
        return None
    power = item.power_attributes
    return {
        "kind": item.kind.value,
        "description": item.item_description,
        "units": item.item_units,
        "scale": None if item.scale is None else item.scale.value,
        "power": None
        if power is None
        else {"hertz": power.hertz, "voltage": power.voltage, "ac": power.ac},
        "pulse_factor": item.pulse_factor,
    }


def item_base_from_json(data: Json | None) -> ItemBase | None:
    """The unit a JSON object describes."""
    if data is None:
        return None
    power = data["power"]
    return ItemBase(
        kind=ItemKind(data["kind"]),
        item_description=data["description"],
        item_units=data["units"],
        scale=None if data["scale"] is None else SiScaleCode(data["scale"]),
        power_attributes=None if power is None else PowerAttributes(**power),
        pulse_factor=data["pulse_factor"],
    )


def _intervals_to_json(intervals: tuple[SignalInterval, ...]) -> list[list[float | int]]:
    return [[_us(i.duration), i.value] for i in intervals]


def _intervals_from_json(data: list[list[Any]]) -> tuple[SignalInterval, ...]:
    return tuple(SignalInterval(duration=_td(d), value=float(v)) for d, v in data)


def signals_to_json(signals: tuple[Signal, ...]) -> list[Json]:
    """Event signals as a JSON list (durations in microseconds)."""
    return [
        {
            "name": s.signal_name.value,
            "type": s.signal_type.value,
            "id": s.signal_id,
            "intervals": _intervals_to_json(s.intervals),
            "item_base": item_base_to_json(s.item_base),
        }
        for s in signals
    ]


def signals_from_json(data: list[Json]) -> tuple[Signal, ...]:
    """Event signals from their JSON list."""
    return tuple(
        Signal(
            signal_name=SignalName.parse(s["name"]),
            signal_type=SignalType(s["type"]),
            signal_id=s["id"],
            intervals=_intervals_from_json(s["intervals"]),
            item_base=item_base_from_json(s["item_base"]),
        )
        for s in data
    )


def baseline_to_json(baseline: Baseline | None) -> Json | None:
    """An event baseline as a JSON object."""
    if baseline is None:
        return None
    return {
        "id": baseline.baseline_id,
        "name": baseline.baseline_name,
        "start": baseline.start.isoformat(),
        "intervals": _intervals_to_json(baseline.intervals),
        "item_base": item_base_to_json(baseline.item_base),
        "resource_ids": list(baseline.resource_ids),
    }


def baseline_from_json(data: Json | None) -> Baseline | None:
    """An event baseline from its JSON object."""
    if data is None:
        return None
    return Baseline(
        baseline_id=data["id"],
        baseline_name=data["name"],
        start=datetime.fromisoformat(data["start"]),
        intervals=_intervals_from_json(data["intervals"]),
        item_base=item_base_from_json(data["item_base"]),
        resource_ids=tuple(data["resource_ids"]),
    )


def availability_to_json(periods: tuple[AvailabilityPeriod, ...]) -> list[list[Any]]:
    """An opt schedule as ``[[start ISO 8601, duration us], ...]``."""
    return [[p.start.isoformat(), _us(p.duration)] for p in periods]


def availability_from_json(data: list[list[Any]]) -> tuple[AvailabilityPeriod, ...]:
    """An opt schedule from its JSON list."""
    return tuple(
        AvailabilityPeriod(start=datetime.fromisoformat(s), duration=_td(d)) for s, d in data
    )


def descriptions_to_json(descriptions: tuple[ReportDescription, ...]) -> list[Json]:
    """A report's data points as a JSON list."""
    return [
        {
            "r_id": d.r_id,
            "report_type": d.report_type.value,
            "reading_type": d.reading_type.value,
            "item_base": item_base_to_json(d.item_base),
            "resource_id": d.resource_id,
            "market_context": d.market_context,
            "min_period": _opt_us(d.min_period),
            "max_period": _opt_us(d.max_period),
            "on_change": d.on_change,
        }
        for d in descriptions
    ]


def descriptions_from_json(data: list[Json]) -> tuple[ReportDescription, ...]:
    """A report's data points from their JSON list."""
    return tuple(
        ReportDescription(
            r_id=d["r_id"],
            report_type=ReportType.parse(d["report_type"]),
            reading_type=ReadingType.parse(d["reading_type"]),
            item_base=item_base_from_json(d["item_base"]),
            resource_id=d["resource_id"],
            market_context=d["market_context"],
            min_period=_opt_td(d["min_period"]),
            max_period=_opt_td(d["max_period"]),
            on_change=d["on_change"],
        )
        for d in data
    )
