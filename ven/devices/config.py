"""Building files: a validated ``Building`` (and its simulated ``Climate``) from TOML.

Format (one building per file; every key of ``ven.devices.model`` can be set, with the model's
defaults; unknown keys are errors)::

    id = "hq"                          # required
    name = "Headquarters"              # required
    timezone = "America/Los_Angeles"   # IANA name; hourly rules below are in this local time
    latitude = 37.4                    # [deg], north positive
    longitude = -121.9                 # [deg], east positive
    base_load_kw = { default = 30.0, "7-19" = 60.0 }   # uncontrolled load [kW], hourly
    weekend_base_load_kw = 30.0        # Saturdays and Sundays; omitted = as on weekdays
    simple_level_shares = [0.1, 0.2, 0.3]   # SIMPLE levels 1..3 [fraction], non-decreasing

    [climate]                          # optional: the simulator's synthetic weather
    mean_c = 16.0                      # see ven.devices.weather.Climate for every key

    [[devices]]                        # one table per device
    id = "ahu-1"                       # required, unique; the 2.0b resourceID
    kind = "hvac"                      # onoff | curtailable | hvac | battery | ev |
                                       # water_heater | pv
    participation = { default = "participation", "18-22" = "shifting", "0-6" = "off" }
    ...                                # the kind's fields, names as in model.py

Hourly values (``participation``, ``base_load_kw``, ``profile``, ``occupied``,
``draw_l_per_h`` and their ``weekend_`` variants) take one of three forms:

- a list of 24 entries, index = local hour;
- one entry, used for every hour (``participation = "off"``);
- a table of hour ranges: ``"18-22"`` is 18:00 up to 22:00 (hours 18..21), ``"22-6"`` wraps
  past midnight, ``"7"`` is one hour, ``"0-24"`` the whole day; ``default`` fills the hours no
  range covers (required unless the ranges cover the day). Ranges may not overlap. Quotes
  around range keys are optional in TOML (``18-22 = "off"`` is a valid bare key).

Errors raise ``ConfigError`` listing every problem, each naming its field, e.g.
``devices[3] (id "chiller-1").max_kw: must be > 0, got -5`` (device indices count from 0).
"""

from __future__ import annotations

import difflib
import math
import tomllib
import types
from collections.abc import Callable, Mapping
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from common.errors import ConfigError
from ven.devices.history import RESERVED_COLUMNS
from ven.devices.hours import HourlyError, expand_hourly
from ven.devices.model import (
    AnyDevice,
    Battery,
    Building,
    CurtailableLoad,
    EvCharger,
    HvacZone,
    OnOffLoad,
    Participation,
    PvArray,
    WaterHeater,
)
from ven.devices.weather import Climate

KINDS: dict[str, type[AnyDevice]] = {
    "onoff": OnOffLoad,
    "curtailable": CurtailableLoad,
    "hvac": HvacZone,
    "battery": Battery,
    "ev": EvCharger,
    "water_heater": WaterHeater,
    "pv": PvArray,
}

Check = Callable[[Any], str | None]


def load_building(path: str | Path) -> Building:
    """The validated building of a TOML file (raises ConfigError naming every bad field)."""
    return building_from_mapping(_read(path), source=str(path))


def load_climate(path: str | Path) -> Climate:
    """The ``[climate]`` table of a building file (defaults when absent)."""
    data = _read(path)
    building_from_mapping(data, source=str(path))  # the whole file must be valid
    return climate_from_mapping(data.get("climate", {}), source=str(path))


def parse_building(text: str, *, source: str = "<string>") -> Building:
    """The validated building of TOML text."""
    return building_from_mapping(_loads(text, source), source=source)


def building_from_mapping(data: Mapping[str, Any], *, source: str = "<mapping>") -> Building:
    """The validated building of a parsed TOML document."""
    problems = _Problems()
    top = _fields_of(Building, problems, data, "", skip={"devices"}, extra={"devices", "climate"})
    devices = _devices(data.get("devices", []), problems)
    if "climate" in data:
        _climate(data["climate"], problems)
    problems.raise_if_any(source)
    return Building(**top, devices=tuple(devices))


def climate_from_mapping(data: Mapping[str, Any], *, source: str = "<mapping>") -> Climate:
    """The validated climate of a ``[climate]`` table."""
    problems = _Problems()
    climate = _climate(data, problems)
    problems.raise_if_any(source)
    return climate if climate is not None else Climate()


# -- reading ------------------------------------------------------------------------------------


def _read(path: str | Path) -> dict[str, Any]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the building file: {exc.strerror}") from exc
    return _loads(text, str(path))


def _loads(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from exc


class _Problems:
    """Collects every problem so that one run of the loader reports them all."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.items.append(f"{where}: {message}")

    def raise_if_any(self, source: str) -> None:
        if len(self.items) == 1:
            raise ConfigError(f"{source}: {self.items[0]}")
        if self.items:
            lines = "\n".join(f"  - {item}" for item in self.items)
            raise ConfigError(f"{source}: {len(self.items)} problems:\n{lines}")


# -- structure ----------------------------------------------------------------------------------


def _devices(raw: object, problems: _Problems) -> list[AnyDevice]:
    if not isinstance(raw, list):
        problems.add("devices", f"must be an array of tables ([[devices]]), got {_show(raw)}")
        return []
    built: list[AnyDevice] = []
    seen: dict[str, int] = {}
    for number, entry in enumerate(raw):
        where = f"devices[{number}]"
        if not isinstance(entry, dict):
            problems.add(where, f"must be a table, got {_show(entry)}")
            continue
        ident = entry.get("id")
        if isinstance(ident, str) and ident:
            where = f'{where} (id "{ident}")'
            if ident in seen:
                problems.add(f"{where}.id", f"duplicate of devices[{seen[ident]}]")
            seen.setdefault(ident, number)
        kind = entry.get("kind")
        if kind not in KINDS:
            shown = "missing" if kind is None else f"got {_show(kind)}"
            problems.add(f"{where}.kind", f"must be one of {', '.join(KINDS)}; {shown}")
            continue
        cls = KINDS[kind]
        before = len(problems.items)
        values = _fields_of(cls, problems, entry, f"{where}.", skip={"kind"}, extra={"kind"})
        if len(problems.items) == before:
            for field_name, message in _cross_checks(cls, values):
                problems.add(f"{where}.{field_name}", message)
        if len(problems.items) == before:
            built.append(cls(**values))
    return built


def _climate(raw: object, problems: _Problems) -> Climate | None:
    if not isinstance(raw, dict):
        problems.add("climate", f"must be a table, got {_show(raw)}")
        return None
    before = len(problems.items)
    values = _fields_of(Climate, problems, raw, "climate.", skip=set(), extra=set())
    return Climate(**values) if len(problems.items) == before else None


def _fields_of(
    cls: type,
    problems: _Problems,
    data: Mapping[str, Any],
    prefix: str,
    *,
    skip: set[str],
    extra: set[str],
) -> dict[str, Any]:
    """Convert and check the keys of `data` for the dataclass `cls`; report unknown keys."""
    hints = get_type_hints(cls)
    known = [f for f in fields(cls) if f.name not in skip]
    allowed = {f.name for f in known} | extra
    for key in data:
        if key not in allowed:
            close = difflib.get_close_matches(key, sorted(allowed), n=1)
            hint = (
                f'; did you mean "{close[0]}"?'
                if close
                else f"; allowed: {', '.join(sorted(allowed))}"
            )
            problems.add(f"{prefix}{key}", f"unknown key{hint}")
    values: dict[str, Any] = {}
    for spec in known:
        where = f"{prefix}{spec.name}"
        if spec.name not in data:
            if spec.default is MISSING and spec.default_factory is MISSING:
                kind = next((f.default for f in fields(cls) if f.name == "kind"), None)
                context = f' for kind "{kind}"' if isinstance(kind, str) else ""
                problems.add(where, f"required{context}")
            continue
        try:
            value = _converter(hints[spec.name])(data[spec.name])
        except HourlyError as exc:
            problems.add(f"{where}{exc.where}", exc.message)
            continue
        except ValueError as exc:
            problems.add(where, str(exc))
            continue
        message = _RULES[spec.name](value) if spec.name in _RULES else None
        if message is not None:
            problems.add(where, message)
            continue
        values[spec.name] = value
    return values


# -- types --------------------------------------------------------------------------------------


def _converter(hint: Any) -> Callable[[object], Any]:
    """A function that converts a TOML value to the field's type or raises ValueError."""
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        (inner,) = [arg for arg in get_args(hint) if arg is not type(None)]
        return _converter(inner)
    if origin is Literal:
        return _literal(get_args(hint))
    if origin is tuple:
        args = get_args(hint)
        item = _converter(args[0])
        if len(args) == 2 and args[1] is Ellipsis:
            return lambda value: expand_hourly(value, item)
        return _fixed_tuple(len(args), item)
    if hint is Participation:
        return _participation
    if hint is bool:
        return _bool
    if hint is int:
        return _int
    if hint is float:
        return _float
    if hint is str:
        return _str
    raise TypeError(f"no TOML converter for {hint!r}")  # pragma: no cover - model is closed


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return f"an array of {len(value)}"
    if isinstance(value, dict):
        return "a table"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _float(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"must be a number, got {_show(value)}")
    if not math.isfinite(value):
        raise ValueError(f"must be a finite number, got {_show(value)}")
    return float(value)


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"must be an integer, got {_show(value)}")
    return value


def _bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"must be true or false, got {_show(value)}")
    return value


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"must be a string, got {_show(value)}")
    return value


def _participation(value: object) -> Participation:
    choices = ", ".join(rule.value for rule in Participation)
    if not isinstance(value, str) or value not in set(Participation):
        raise ValueError(f"must be one of {choices}, got {_show(value)}")
    return Participation(value)


def _literal(choices: tuple[Any, ...]) -> Callable[[object], Any]:
    def convert(value: object) -> Any:
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(map(str, choices))}, got {_show(value)}")
        return value

    return convert


def _fixed_tuple(size: int, item: Callable[[object], Any]) -> Callable[[object], tuple[Any, ...]]:
    def convert(value: object) -> tuple[Any, ...]:
        if not isinstance(value, list) or len(value) != size:
            raise ValueError(f"must be an array of {size} entries, got {_show(value)}")
        return tuple(item(entry) for entry in value)

    return convert


# -- rules --------------------------------------------------------------------------------------


def _between(low: float, high: float, *, open_low: bool = False) -> Check:
    def check(value: float) -> str | None:
        if (value <= low if open_low else value < low) or value > high:
            bracket = "(" if open_low else "["
            return f"must be in {bracket}{low:g}, {high:g}], got {_show(value)}"
        return None

    return check


def _positive(value: float) -> str | None:
    return None if value > 0 else f"must be > 0, got {_show(value)}"


def _non_negative(value: float) -> str | None:
    return None if value >= 0 else f"must be >= 0, got {_show(value)}"


def _each(check: Check) -> Check:
    def each(values: tuple[float, ...]) -> str | None:
        for hour, value in enumerate(values):
            message = check(value)
            if message is not None:
                return f"hour {hour}: {message}"
        return None

    return each


def _identifier(value: str) -> str | None:
    if not value.strip() or value != value.strip():
        return f"must be a non-empty name without surrounding spaces, got {_show(value)}"
    if value in RESERVED_COLUMNS:
        return f"{_show(value)} is reserved (history column names: {', '.join(RESERVED_COLUMNS)})"
    return None


def _timezone(value: str) -> str | None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown IANA timezone {_show(value)}"
    return None


def _shares(values: tuple[float, ...]) -> str | None:
    if any(not 0 <= v <= 1 for v in values):
        return f"each share must be in [0, 1], got {list(values)}"
    if list(values) != sorted(values):
        return f"must not decrease from level 1 to level 3, got {list(values)}"
    return None


_FRACTION = _between(0.0, 1.0)
_EFFICIENCY = _between(0.0, 1.0, open_low=True)

_RULES: dict[str, Check] = {
    "id": _identifier,
    "timezone": _timezone,
    "latitude": _between(-90.0, 90.0),
    "longitude": _between(-180.0, 180.0),
    "base_load_kw": _each(_non_negative),
    "weekend_base_load_kw": _each(_non_negative),
    "simple_level_shares": _shares,
    "priority": lambda v: None if 1 <= v <= 10 else f"must be in 1..10, got {v}",
    "rated_kw": _positive,
    "max_kw": _positive,
    "r_c_per_kw": _positive,
    "c_kwh_per_c": _positive,
    "cop": _positive,
    "capacity_kwh": _positive,
    "volume_l": _positive,
    "rated_kwp": _positive,
    "ua_kw_per_c": _positive,
    "max_charge_kw": _non_negative,
    "max_discharge_kw": _non_negative,
    "energy_needed_kwh": _non_negative,
    "weekend_energy_kwh": _non_negative,
    "min_shed_minutes": _non_negative,
    "max_shed_minutes": _non_negative,
    "lockout_minutes": _non_negative,
    "duty": _FRACTION,
    "max_reduction": _FRACTION,
    "derate": _between(0.0, 1.0),
    "soc_min": _FRACTION,
    "soc_max": _FRACTION,
    "soc_initial": _FRACTION,
    "soc_terminal": _FRACTION,
    "charge_efficiency": _EFFICIENCY,
    "discharge_efficiency": _EFFICIENCY,
    "efficiency": _EFFICIENCY,
    "arrival_hour": _between(0.0, 24.0),
    "departure_hour": _between(0.0, 24.0),
    "tilt_deg": _between(0.0, 90.0),
    "azimuth_deg": _between(0.0, 360.0),
    "profile": _each(_FRACTION),
    "weekend_profile": _each(_FRACTION),
    "draw_l_per_h": _each(_non_negative),
    "seasonal_amplitude_c": _non_negative,
    "daily_amplitude_c": _non_negative,
    "synoptic_sd_c": _non_negative,
    "cloudiness": _FRACTION,
    "warmest_day": _between(1.0, 366.0),
}


def _cross_checks(cls: type, v: dict[str, Any]) -> list[tuple[str, str]]:
    """(field, message) for rules that tie several fields of one device together."""
    found: list[tuple[str, str]] = []
    merged = {f.name: f.default for f in fields(cls) if f.default is not MISSING} | v
    if cls in (HvacZone, WaterHeater):
        low, high, setpoint = (
            merged["comfort_low_c"],
            merged["comfort_high_c"],
            merged["setpoint_c"],
        )
        if low >= high:
            found.append(("comfort_low_c", f"must be < comfort_high_c ({high:g}), got {low:g}"))
        elif not low <= setpoint <= high:
            found.append(
                (
                    "setpoint_c",
                    f"must be within the comfort band [{low:g}, {high:g}], got {setpoint:g}",
                )
            )
    if cls is WaterHeater and merged["inlet_c"] >= merged["setpoint_c"]:
        found.append(
            (
                "inlet_c",
                f"must be below setpoint_c ({merged['setpoint_c']:g}), got {merged['inlet_c']:g}",
            )
        )
    if cls is Battery:
        low, high = merged["soc_min"], merged["soc_max"]
        if low >= high:
            found.append(("soc_min", f"must be < soc_max ({high:g}), got {low:g}"))
        else:
            for name in ("soc_initial", "soc_terminal"):
                if not low <= merged[name] <= high:
                    found.append(
                        (
                            name,
                            f"must be within [soc_min, soc_max] = [{low:g}, {high:g}]"
                            f", got {merged[name]:g}",
                        )
                    )
    if cls is OnOffLoad and merged["min_shed_minutes"] > merged["max_shed_minutes"]:
        found.append(
            (
                "min_shed_minutes",
                f"must be <= max_shed_minutes "
                f"({merged['max_shed_minutes']:g}), got {merged['min_shed_minutes']:g}",
            )
        )
    if cls is EvCharger:
        found.extend(_ev_checks(merged))
    return found


def _ev_checks(v: dict[str, Any]) -> list[tuple[str, str]]:
    arrival, departure = v["arrival_hour"] % 24, v["departure_hour"] % 24
    if arrival == departure:
        return [("departure_hour", f"must differ from arrival_hour ({arrival:g})")]
    window_h = (departure - arrival) % 24
    deliverable = v["max_kw"] * v["efficiency"] * window_h
    found = []
    for name in ("energy_needed_kwh", "weekend_energy_kwh"):
        need = v.get(name)
        if need is not None and need > deliverable + 1e-9:
            found.append(
                (
                    name,
                    f"{need:g} kWh cannot be delivered in the {window_h:g} h "
                    f"plug-in window at {v['max_kw']:g} kW (at most {deliverable:g})",
                )
            )
    return found
