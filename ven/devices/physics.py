"""Device physics as exact one-step updates over an interval of constant power and weather."""

from __future__ import annotations

import math

WATER_KWH_PER_L_C = 4.186 / 3600.0  # heat capacity of water [kWh/(l·°C)]


def hvac_sign(mode: str) -> float:
    """s of the 1R1C equation: -1 for cooling, +1 for heating."""
    return -1.0 if mode == "cooling" else 1.0


def zone_step(
    temp_c: float,
    t_out_c: float,
    power_kw: float,
    *,
    r: float,
    c: float,
    cop: float,
    sign: float,
    dt_h: float,
) -> float:
    """Zone temperature [°C] after dt_h [h] of the 1R1C model with constant power [kW].

    dT/dt = (T_out - T) / (R C) + s * COP * P / C; R [°C/kW], C [kWh/°C]. Exact solution:
    T(dt) = T_ss + (T - T_ss) * exp(-dt / (R C)), with T_ss = T_out + s * COP * P * R.
    """
    steady = t_out_c + sign * cop * power_kw * r
    return steady + (temp_c - steady) * math.exp(-dt_h / (r * c))


def zone_power_to_reach(
    temp_c: float,
    target_c: float,
    t_out_c: float,
    *,
    r: float,
    c: float,
    cop: float,
    sign: float,
    dt_h: float,
) -> float:
    """Electric power [kW] (unclipped, may be negative) that brings the zone to target_c in dt_h."""
    decay = math.exp(-dt_h / (r * c))
    steady = (target_c - decay * temp_c) / (1 - decay)
    return sign * (steady - t_out_c) / (cop * r)


def tank_step(
    temp_c: float,
    power_kw: float,
    *,
    capacity_kwh_per_c: float,
    ua_kw_per_c: float,
    ambient_c: float,
    draw_l_per_h: float,
    inlet_c: float,
    dt_h: float,
) -> float:
    """Tank temperature [°C] after dt_h [h] with constant element power and draw.

    C dT/dt = P - UA (T - T_amb) - m c_w (T - T_in), with m the draw [l/h] and c_w the heat
    capacity of water [kWh/(l·°C)]; the draw is replaced by inlet water (one-node tank).
    """
    draw_kw_per_c = draw_l_per_h * WATER_KWH_PER_L_C
    loss = ua_kw_per_c + draw_kw_per_c
    if loss * dt_h / capacity_kwh_per_c < 1e-12:
        return temp_c + power_kw * dt_h / capacity_kwh_per_c
    steady = (power_kw + ua_kw_per_c * ambient_c + draw_kw_per_c * inlet_c) / loss
    return steady + (temp_c - steady) * math.exp(-loss * dt_h / capacity_kwh_per_c)


def tank_power_to_reach(
    temp_c: float,
    target_c: float,
    *,
    capacity_kwh_per_c: float,
    ua_kw_per_c: float,
    ambient_c: float,
    draw_l_per_h: float,
    inlet_c: float,
    dt_h: float,
) -> float:
    """Element power [kW] (unclipped) that brings the tank to target_c in dt_h [h]."""
    draw_kw_per_c = draw_l_per_h * WATER_KWH_PER_L_C
    loss = ua_kw_per_c + draw_kw_per_c
    if loss * dt_h / capacity_kwh_per_c < 1e-12:
        return (target_c - temp_c) * capacity_kwh_per_c / dt_h
    decay = math.exp(-loss * dt_h / capacity_kwh_per_c)
    steady = (target_c - decay * temp_c) / (1 - decay)
    return steady * loss - ua_kw_per_c * ambient_c - draw_kw_per_c * inlet_c


def battery_limit(
    power_kw: float,
    soc: float,
    *,
    capacity_kwh: float,
    max_charge_kw: float,
    max_discharge_kw: float,
    charge_efficiency: float,
    discharge_efficiency: float,
    soc_min: float,
    soc_max: float,
    dt_h: float,
) -> float:
    """The requested battery power [kW] (+ charge, - discharge) clipped to rates and SOC bounds."""
    if power_kw >= 0:
        room_kwh = max(soc_max - soc, 0.0) * capacity_kwh
        return min(power_kw, max_charge_kw, room_kwh / (charge_efficiency * dt_h))
    stored_kwh = max(soc - soc_min, 0.0) * capacity_kwh
    return -min(-power_kw, max_discharge_kw, stored_kwh * discharge_efficiency / dt_h)


def battery_soc_after(
    soc: float,
    power_kw: float,
    *,
    capacity_kwh: float,
    charge_efficiency: float,
    discharge_efficiency: float,
    dt_h: float,
) -> float:
    """State of charge [fraction] after dt_h [h] at power [kW] (+ charge, - discharge).

    Charging stores eta_c * P * dt; discharging removes |P| * dt / eta_d from the cells.
    """
    if power_kw >= 0:
        return soc + charge_efficiency * power_kw * dt_h / capacity_kwh
    return soc + power_kw * dt_h / (discharge_efficiency * capacity_kwh)
