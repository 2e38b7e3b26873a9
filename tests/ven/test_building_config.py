"""Building files: the examples load, every field is settable, every error names its field."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from common.errors import ConfigError
from ven.client.config import ProgrammeSettings
from ven.devices.config import (
    KINDS,
    building_from_mapping,
    load_building,
    load_climate,
    parse_building,
)
from ven.devices.hours import hour_range
from ven.devices.model import Building, Participation, Programme
from ven.devices.weather import Climate

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "buildings"
P, S, OFF = Participation.PARTICIPATION, Participation.SHIFTING, Participation.OFF

HEADER = 'id = "b"\nname = "Test building"\n'


def building(devices: str = "", header: str = HEADER) -> Building:
    return parse_building(header + devices, source="test.toml")


def error_of(devices: str = "", header: str = HEADER) -> str:
    with pytest.raises(ConfigError) as info:
        building(devices, header)
    return str(info.value)


ONOFF = """
[[devices]]
id = "pump"
kind = "onoff"
rated_kw = 5.0
"""


# -- examples -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["office", "hotel", "home"])
def test_every_example_loads(name: str) -> None:
    path = EXAMPLES / f"{name}.toml"
    b = load_building(path)
    assert b.devices, name
    assert len({d.id for d in b.devices}) == len(b.devices)
    assert all(len(d.participation) == 24 for d in b.devices)
    assert len(b.base_load_kw) == 24
    assert isinstance(load_climate(path), Climate)


def test_example_kinds_and_rules() -> None:
    office = load_building(EXAMPLES / "office.toml")
    hotel = load_building(EXAMPLES / "hotel.toml")
    home = load_building(EXAMPLES / "home.toml")
    assert {d.kind for d in office.devices} >= {"hvac", "curtailable", "ev", "onoff"}
    assert {d.kind for d in hotel.devices} >= {"hvac", "water_heater", "onoff", "curtailable"}
    assert {d.kind for d in home.devices} == set(KINDS) - {"curtailable"}
    ovens = hotel.device("ovens")
    assert [ovens.rule_at(h) for h in (8, 13, 20)] == [OFF, OFF, OFF]
    assert ovens.rule_at(16) == P
    assert home.device("pv").rule_at(12) == OFF  # dr_enabled = false
    assert office.device("rtu-north").occupied[5] is False
    assert office.device("rtu-north").occupied[6] is True


# -- hourly forms -------------------------------------------------------------------------------


def test_participation_compact_table() -> None:
    b = building(
        ONOFF + 'participation = { default = "participation", "18-22" = "shifting", "0-6" = "off" }'
    )
    rules = b.device("pump").participation
    assert rules == tuple([OFF] * 6 + [P] * 12 + [S] * 4 + [P] * 2)


def test_participation_list_scalar_and_wrapping_range() -> None:
    listed = building(
        ONOFF + f"participation = {['off'] * 12 + ['shifting'] * 12}".replace("'", '"')
    )
    assert listed.device("pump").participation == tuple([OFF] * 12 + [S] * 12)
    assert building(ONOFF + 'participation = "off"').device("pump").participation == (OFF,) * 24
    wrapped = building(ONOFF + 'participation = { "22-6" = "off", "6-22" = "shifting" }')
    assert wrapped.device("pump").participation == tuple([OFF] * 6 + [S] * 16 + [OFF] * 2)


def test_hour_range_semantics() -> None:
    assert hour_range("18-22") == (18, 19, 20, 21)
    assert hour_range("7") == (7,)
    assert hour_range("23-1") == (23, 0)
    assert hour_range("0-24") == tuple(range(24))
    for bad in ("25-3", "18-18", "x", "7-25", "24"):
        with pytest.raises(ValueError):
            hour_range(bad)


def test_base_load_compact_form() -> None:
    b = building(header=HEADER + 'base_load_kw = { default = 10.0, "9-17" = 25 }\n')
    assert b.base_load_kw == tuple([10.0] * 9 + [25.0] * 8 + [10.0] * 7)
    assert all(isinstance(v, float) for v in b.base_load_kw)


def test_every_field_of_every_kind_is_settable() -> None:
    """A value different from the default for every field; new model fields must appear here."""
    samples = {
        "name": "x",
        "priority": 9,
        "dr_enabled": False,
        "participation": "shifting",
        "rated_kw": 3.5,
        "duty": 0.5,
        "min_shed_minutes": 5.0,
        "max_shed_minutes": 50.0,
        "lockout_minutes": 15.0,
        "profile": {"default": 0.2, "8-18": 0.9},
        "weekend_profile": 0.1,
        "max_reduction": 0.5,
        "mode": "heating",
        "r_c_per_kw": 2.0,
        "c_kwh_per_c": 5.0,
        "max_kw": 4.0,
        "cop": 2.5,
        "setpoint_c": 21.0,
        "comfort_low_c": 19.0,
        "comfort_high_c": 23.0,
        "initial_c": 18.0,
        "occupied": {"default": False, "7-19": True},
        "weekend_occupied": False,
        "capacity_kwh": 20.0,
        "max_charge_kw": 6.0,
        "max_discharge_kw": 7.0,
        "charge_efficiency": 0.9,
        "discharge_efficiency": 0.91,
        "soc_min": 0.2,
        "soc_max": 0.9,
        "soc_initial": 0.4,
        "soc_terminal": 0.25,
        "energy_needed_kwh": 12.0,
        "arrival_hour": 17.0,
        "departure_hour": 6.5,
        "efficiency": 0.9,
        "weekend_energy_kwh": 4.0,
        "volume_l": 150.0,
        "ua_kw_per_c": 0.004,
        "ambient_c": 18.0,
        "inlet_c": 10.0,
        "draw_l_per_h": {"default": 0.0, "6-8": 30.0},
        "rated_kwp": 6.0,
        "derate": 0.2,
        "tilt_deg": 30.0,
        "azimuth_deg": 170.0,
        "circuit": "c1",
    }
    water = {"setpoint_c": 50.0, "comfort_low_c": 44.0, "comfort_high_c": 60.0}
    entries = []
    for kind, cls in KINDS.items():
        entry = {"id": kind, "kind": kind}
        for spec in dataclasses.fields(cls):
            if spec.name in ("id", "kind"):
                continue
            assert spec.name in samples, f"no sample for {cls.__name__}.{spec.name}"
            entry[spec.name] = samples[spec.name]
        if kind == "water_heater":
            entry |= water
        entries.append(entry)
    top = {
        "id": "b",
        "name": "n",
        "timezone": "Europe/Paris",
        "latitude": 48.8,
        "longitude": 2.3,
        "base_load_kw": 4.0,
        "weekend_base_load_kw": 2.0,
        "simple_level_shares": [0.2, 0.3, 0.4],
        "circuits": [{"id": "c1", "name": "n", "essential": True, "priority": 2,
                      "meter": "m"}],
        "programme": {"compensation_per_kwh": 0.3, "currency": "EUR"},
        "devices": entries,
    }
    assert {f.name for f in dataclasses.fields(Building)} <= set(top)
    b = building_from_mapping(top)
    for dev in b.devices:
        for spec in dataclasses.fields(dev):
            if spec.name == "kind":
                continue
            assert getattr(dev, spec.name) != spec.default, (
                f"{dev.kind}.{spec.name} kept its default"
            )
    assert b.device("hvac").occupied == tuple([False] * 7 + [True] * 12 + [False] * 5)
    assert b.device("water_heater").draw_l_per_h[6:9] == (30.0, 30.0, 0.0)
    assert b.weekend_base_load_kw == (2.0,) * 24
    assert b.programme == Programme(compensation_per_kwh=0.3, currency="EUR")


def test_defaults_are_the_models() -> None:
    pump = building(ONOFF).device("pump")
    assert pump.duty == 1.0 and pump.priority == 5 and pump.participation == (P,) * 24
    b = building()
    assert b.timezone == "UTC" and b.simple_level_shares == (0.10, 0.20, 0.30)


def test_programme_is_a_building_file_setting() -> None:
    assert building().programme == Programme()
    terms = building(header=HEADER + '[programme]\ncompensation_per_kwh = 0.4\ncurrency = "EUR"\n'
                     ).programme
    assert terms == Programme(compensation_per_kwh=0.4, currency="EUR")
    message = error_of(header=HEADER + '[programme]\ncompensation_per_kwh = -1\ncurrency = " "\n'
                                       'unknown = 1\n')
    assert "programme.compensation_per_kwh" in message and "programme.currency" in message
    assert "programme" in message and "unknown" in message


def test_ven_toml_programme_overrides_the_building_file() -> None:
    unset = ProgrammeSettings()
    assert unset.over(0.4, "EUR") == ProgrammeSettings(compensation_per_kwh=0.4, currency="EUR")
    assert unset.over() == ProgrammeSettings(compensation_per_kwh=0.0, currency="USD")
    rate_only = ProgrammeSettings(compensation_per_kwh=0.9)
    assert rate_only.over(0.4, "EUR") == ProgrammeSettings(compensation_per_kwh=0.9,
                                                           currency="EUR")
    both = ProgrammeSettings(compensation_per_kwh=0.0, currency="GBP")
    assert both.over(0.4, "EUR") == both


# -- errors name their field --------------------------------------------------------------------


def test_negative_power_message_names_device_and_field() -> None:
    message = error_of(
        '[[devices]]\nid = "a"\nkind = "onoff"\nrated_kw = 1\n'
        '[[devices]]\nid = "chiller-1"\nkind = "hvac"\nr_c_per_kw = 0.1\n'
        "c_kwh_per_c = 50\nmax_kw = -5\n"
    )
    assert message == 'test.toml: devices[1] (id "chiller-1").max_kw: must be > 0, got -5'


@pytest.mark.parametrize(
    ("snippet", "field", "fragment"),
    [
        ('rated_kw = "ten"', '(id "pump").rated_kw', 'must be a number, got "ten"'),
        ("rated_kw = true", '(id "pump").rated_kw', "must be a number, got true"),
        ("priority = 2.5", '(id "pump").priority', "must be an integer"),
        ("priority = 11", '(id "pump").priority', "must be in 1..10"),
        ("duty = 1.5", '(id "pump").duty', "must be in [0, 1], got 1.5"),
        ('dr_enabled = "yes"', '(id "pump").dr_enabled', "must be true or false"),
        ("rated_kW = 4", '(id "pump").rated_kW',
         'is not a known setting; did you mean "rated_kw"?'),
        ('participation = { "18-25" = "off" }', '(id "pump").participation."18-25"', "0..24"),
        ('participation = { "evening" = "off" }', '.participation."evening"', "not an hour range"),
        (
            'participation = { default = "off", "9-12" = "shifting", "11-14" = "off" }',
            '.participation."11-14"',
            'overlaps range "9-12" at hour 11',
        ),
        ('participation = { "9-12" = "off" }', ".participation", "are not covered"),
        ('participation = ["off", "off"]', ".participation", "needs 24 hourly entries, got 2"),
        ('participation = { default = "shift" }', ".participation.default", 'got "shift"'),
        ('profile = { default = 0.5, "7" = 2.0 }', ".profile", "hour 7: must be in [0, 1]"),
        ("min_shed_minutes = 300", ".min_shed_minutes", "must be <= max_shed_minutes (240)"),
    ],
)
def test_device_errors_name_the_field(snippet: str, field: str, fragment: str) -> None:
    devices = ONOFF.replace("rated_kw = 5.0\n", "") if snippet.startswith("rated_kw") else ONOFF
    message = error_of(devices + snippet)
    assert f"devices[0] {field}" in message or field in message, message
    assert fragment in message, message


def test_soc_bounds_inverted() -> None:
    message = error_of(
        '[[devices]]\nid = "bat"\nkind = "battery"\ncapacity_kwh = 10\nmax_charge_kw = 5\n'
        "max_discharge_kw = 5\nsoc_min = 0.9\nsoc_max = 0.2\n"
    )
    assert 'devices[0] (id "bat").soc_min: must be < soc_max (0.2), got 0.9' in message


def test_soc_initial_outside_bounds() -> None:
    message = error_of(
        '[[devices]]\nid = "bat"\nkind = "battery"\ncapacity_kwh = 10\nmax_charge_kw = 5\n'
        "max_discharge_kw = 5\nsoc_initial = 0.05\n"
    )
    assert '(id "bat").soc_initial: must be within [soc_min, soc_max]' in message


def test_duplicate_device_id() -> None:
    message = error_of(ONOFF + ONOFF)
    assert 'devices[1] (id "pump").id: duplicate of devices[0]' in message


def test_unknown_and_missing_kind() -> None:
    assert 'devices[0] (id "x").kind: must be one of onoff' in error_of(
        '[[devices]]\nid = "x"\nkind = "chiller"\n'
    )
    assert 'devices[0] (id "x").kind: must be one of' in error_of('[[devices]]\nid = "x"\n')


def test_missing_required_field() -> None:
    message = error_of('[[devices]]\nid = "x"\nkind = "hvac"\nr_c_per_kw = 1\nc_kwh_per_c = 2\n')
    assert 'devices[0] (id "x").max_kw: is required for kind "hvac"' in message


def test_missing_id() -> None:
    assert "devices[0].id: is required" in error_of('[[devices]]\nkind = "onoff"\nrated_kw = 1\n')


def test_reserved_id() -> None:
    message = error_of('[[devices]]\nid = "total_kw"\nkind = "onoff"\nrated_kw = 1\n')
    assert '.id: "total_kw" is reserved' in message


def test_top_level_errors() -> None:
    assert "colour: is not a known setting (known: " in error_of(header=HEADER + 'colour = "red"\n')
    assert "timezone: unknown IANA timezone" in error_of(header=HEADER + 'timezone = "Mars/Base"\n')
    assert "name: is required" in error_of(header='id = "b"\n')
    assert "simple_level_shares: must not decrease" in error_of(
        header=HEADER + "simple_level_shares = [0.3, 0.2, 0.1]\n"
    )
    assert "simple_level_shares: must be an array of 3 entries" in error_of(
        header=HEADER + "simple_level_shares = [0.3]\n"
    )
    assert "base_load_kw: hour 3: must be >= 0, got -1" in error_of(
        header=HEADER + 'base_load_kw = { default = 1, "3" = -1 }\n'
    )
    assert 'climate.mean_cc: is not a known setting; did you mean "mean_c"?' in error_of(
        header=HEADER + "[climate]\nmean_cc = 3\n"
    )


def test_cross_field_errors() -> None:
    hvac = '[[devices]]\nid = "z"\nkind = "hvac"\nr_c_per_kw = 1\nc_kwh_per_c = 2\nmax_kw = 3\n'
    assert '(id "z").setpoint_c: must be within the comfort band [20, 25], got 26' in error_of(
        hvac + "setpoint_c = 26\n"
    )
    ev = '[[devices]]\nid = "car"\nkind = "ev"\nmax_kw = 3\narrival_hour = 8\ndeparture_hour = 10\n'
    assert '(id "car").energy_needed_kwh: 50 kWh cannot be delivered in the 2 h' in error_of(
        ev + "energy_needed_kwh = 50\n"
    )
    tank = '[[devices]]\nid = "wh"\nkind = "water_heater"\nvolume_l = 100\nrated_kw = 2\n'
    assert '(id "wh").inlet_c: must be below setpoint_c (50)' in error_of(
        tank + "setpoint_c = 50\ninlet_c = 55\n"
    )


def test_all_problems_are_reported_at_once() -> None:
    message = error_of(ONOFF + "duty = 2\nrated_kW = 1\n" + ONOFF)
    assert message.startswith("test.toml: 3 problems:")
    assert ".duty:" in message and ".rated_kW:" in message and "duplicate" in message


def test_invalid_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        parse_building("id = ", source="bad.toml")
    with pytest.raises(ConfigError, match="cannot read the building file"):
        load_building(tmp_path / "missing.toml")
