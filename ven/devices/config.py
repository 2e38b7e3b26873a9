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

    [programme]                        # optional: what the DR programme pays
    compensation_per_kwh = 0.75        # per delivered kWh [currency/kWh], >= 0
    currency = "EUR"                   # ven.toml's [programme] overrides both when set
    baseline = "CAISO 10-in-10"        # the baseline preset and its day-of adjustment
                                       # ("NYISO 5-of-10", "PJM High 4 of 5"); the default
    recovery_minutes = 60              # after each event: staggered release [min], 0..720

    [energy]                           # optional: the always-on energy manager (off when
    strategy = "economic"              # absent); see ven.energy.config and
                                       # docs/energy-manager.md

    [[circuits]]                       # optional: the circuits that feed the devices
    id = "lighting"                    # required, unique among circuits
    name = "Lighting panel L1"
    essential = false                  # true: never shed (life safety, refrigeration, IT)
    priority = 3                       # 1..10, higher = kept longer; lower is shed first
    meter = "site/meters/lighting"     # optional hint: where its metered power comes from

    [[devices]]                        # one table per device
    id = "ahu-1"                       # required, unique; the 2.0b resourceID
    kind = "hvac"                      # onoff | curtailable | hvac | battery | ev |
                                       # water_heater | pv
    circuit = "lighting"               # optional: the id of one of the [[circuits]]
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

from collections.abc import Callable, Mapping
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from common.baselines.presets import PRESET_ADJUSTMENTS, adjustment_for
from common.tomlconfig import Check, Reader, converter_for, parse_toml, read_toml, show
from ven.devices.history import RESERVED_COLUMNS
from ven.devices.hours import expand_hourly
from ven.devices.model import (
    AnyDevice,
    Battery,
    Building,
    Circuit,
    CurtailableLoad,
    EvCharger,
    HvacZone,
    OnOffLoad,
    Participation,
    Programme,
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

_BASE = Path(".")  # building files have no paths


def _hourly(item: Any) -> Callable[[object], tuple[Any, ...]]:
    convert = converter_for(item)
    return lambda value: expand_hourly(value, convert)


_HOURLY: dict[object, Callable[[object], Any]] = {
    tuple[float, ...]: _hourly(float),
    tuple[bool, ...]: _hourly(bool),
    tuple[Participation, ...]: _hourly(Participation),
}
"""Variable-length tuples in the model are hourly values (``ven.devices.hours``)."""


def load_building(path: str | Path) -> Building:
    """The validated building of a TOML file (raises ConfigError naming every bad field)."""
    return building_from_mapping(read_toml(path, "building file"), source=str(path))


def load_climate(path: str | Path) -> Climate:
    """The ``[climate]`` table of a building file (defaults when absent)."""
    data = read_toml(path, "building file")
    building_from_mapping(data, source=str(path))  # the whole file must be valid
    return climate_from_mapping(data.get("climate", {}), source=str(path))


def parse_building(text: str, *, source: str = "<string>") -> Building:
    """The validated building of TOML text."""
    return building_from_mapping(parse_toml(text, source), source=source)


def building_from_mapping(data: Mapping[str, Any], *, source: str = "<mapping>") -> Building:
    """The validated building of a parsed TOML document."""
    reader = _reader()
    top = reader.fields(Building, data, "", _BASE, skip={"devices", "circuits", "programme"},
                        extra={"devices", "circuits", "climate", "programme", "energy"})
    circuits = _circuits(data.get("circuits", []), reader)
    devices = _devices(data.get("devices", []), reader, {c.id for c in circuits})
    if "climate" in data:
        reader.dataclass(Climate, data["climate"], "climate", _BASE)
    programme = reader.dataclass(Programme, data.get("programme", {}), "programme", _BASE)
    if "energy" in data:
        problem = energy_problem(data["energy"], str(top.get("timezone", "UTC")))
        if problem is not None:
            reader.problems.add("energy", problem)
    reader.problems.raise_if_any(source)
    return Building(**top, devices=tuple(devices), circuits=tuple(circuits),
                    programme=programme if isinstance(programme, Programme) else Programme())


def energy_problem(table: object, timezone: str) -> str | None:
    """What is wrong with an ``[energy]`` table (None when ``ven.energy.config`` accepts it)."""
    from ven.energy.config import parse_energy_table

    if not isinstance(table, Mapping):
        return "must be a table"
    try:
        parse_energy_table(table, timezone=timezone)
    except ValueError as exc:  # EnergyConfigError, StrategyError, TariffError
        return str(exc)
    return None


def climate_from_mapping(data: Mapping[str, Any], *, source: str = "<mapping>") -> Climate:
    """The validated climate of a ``[climate]`` table."""
    reader = _reader()
    climate = reader.dataclass(Climate, data, "climate", _BASE)
    reader.problems.raise_if_any(source)
    return climate if isinstance(climate, Climate) else Climate()


def _reader() -> Reader:
    """The common TOML reader with the building file's rules and hourly values."""
    return Reader(checks=_RULES, converters=_HOURLY)


# -- structure ----------------------------------------------------------------------------------


def _circuits(raw: object, reader: Reader) -> list[Circuit]:
    """The ``[[circuits]]`` tables; duplicate ids are errors naming the first one."""
    problems = reader.problems
    if not isinstance(raw, list):
        problems.add("circuits", f"must be an array of tables ([[circuits]]), got {show(raw)}")
        return []
    built: list[Circuit] = []
    seen: dict[str, int] = {}
    for number, entry in enumerate(raw):
        where = f"circuits[{number}]"
        if not isinstance(entry, dict):
            problems.add(where, f"must be a table, got {show(entry)}")
            continue
        ident = entry.get("id")
        if isinstance(ident, str) and ident:
            where = f'{where} (id "{ident}")'
            if ident in seen:
                problems.add(f"{where}.id", f"duplicate of circuits[{seen[ident]}]")
            seen.setdefault(ident, number)
        circuit = reader.dataclass(Circuit, entry, where, _BASE)
        if isinstance(circuit, Circuit):
            built.append(circuit)
    return built


def _devices(raw: object, reader: Reader, circuit_ids: set[str]) -> list[AnyDevice]:
    problems = reader.problems
    if not isinstance(raw, list):
        problems.add("devices", f"must be an array of tables ([[devices]]), got {show(raw)}")
        return []
    built: list[AnyDevice] = []
    seen: dict[str, int] = {}
    for number, entry in enumerate(raw):
        where = f"devices[{number}]"
        if not isinstance(entry, dict):
            problems.add(where, f"must be a table, got {show(entry)}")
            continue
        ident = entry.get("id")
        if isinstance(ident, str) and ident:
            where = f'{where} (id "{ident}")'
            if ident in seen:
                problems.add(f"{where}.id", f"duplicate of devices[{seen[ident]}]")
            seen.setdefault(ident, number)
        kind = entry.get("kind")
        if kind not in KINDS:
            shown = "missing" if kind is None else f"got {show(kind)}"
            problems.add(f"{where}.kind", f"must be one of {', '.join(KINDS)}; {shown}")
            continue
        cls = KINDS[kind]
        before = len(problems)
        values = reader.fields(cls, entry, where, _BASE, skip={"kind"}, extra={"kind"},
                               required_note=f' for kind "{kind}"')
        circuit = values.get("circuit")
        if circuit is not None and circuit not in circuit_ids:
            known = ", ".join(f'"{c}"' for c in sorted(circuit_ids)) or "none defined"
            problems.add(f"{where}.circuit", f"unknown circuit {show(circuit)} "
                         f"(the [[circuits]] ids: {known})")
        if len(problems) == before:
            for field_name, message in _cross_checks(cls, values):
                problems.add(f"{where}.{field_name}", message)
        if len(problems) == before:
            built.append(cls(**values))
    return built


# -- rules --------------------------------------------------------------------------------------


def _between(low: float, high: float, *, open_low: bool = False) -> Check:
    def check(value: float) -> str | None:
        if (value <= low if open_low else value < low) or value > high:
            bracket = "(" if open_low else "["
            return f"must be in {bracket}{low:g}, {high:g}], got {show(value)}"
        return None

    return check


def _positive(value: float) -> str | None:
    return None if value > 0 else f"must be > 0, got {show(value)}"


def _non_negative(value: float) -> str | None:
    return None if value >= 0 else f"must be >= 0, got {show(value)}"


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
        return f"must be a non-empty name without surrounding spaces, got {show(value)}"
    if value in RESERVED_COLUMNS:
        return f"{show(value)} is reserved (history column names: {', '.join(RESERVED_COLUMNS)})"
    return None


def _timezone(value: str) -> str | None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown IANA timezone {show(value)}"
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
    "circuit": _identifier,
    "meter": lambda v: None if v.strip() else f"must be a non-empty string, got {show(v)}",
    "compensation_per_kwh": _non_negative,
    "recovery_minutes": _between(0.0, 720.0),
    "currency": lambda v: None if v.strip() else f"must be a non-empty string, got {show(v)}",
    "baseline": lambda v: None if adjustment_for(v) is not None else (
        f"must name a baseline preset ({', '.join(PRESET_ADJUSTMENTS)}), got {show(v)}"),
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
