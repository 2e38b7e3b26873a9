"""Check and sanitise dispatch inputs into per-device-kind numpy arrays (the model's numbers).

Every array is (devices, intervals) unless said otherwise. One principle keeps every model
feasible: each device's bounds always admit its baseline schedule, and every soft limit
(comfort band, terminal state of charge, EV departure energy, shed target) has a penalised
slack.

During event intervals with a shed target a water heater's power is capped at its baseline
(it may be deferred, never raised): its local thermostat cannot be forced on by a setpoint
inside its deadband, so a planned pre-heat there would not happen and the shed that
"paid" for it elsewhere would over-deliver.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import numpy as np

from ven.devices.model import (
    Battery,
    CurtailableLoad,
    EvCharger,
    HvacZone,
    OnOffLoad,
    PvArray,
    WaterHeater,
)
from ven.dispatch.arrays import clean, series_on
from ven.dispatch.baselines import device_baselines
from ven.dispatch.inputs import DispatchInputs, Weights
from ven.dispatch.kinds import (
    prepare_battery,
    prepare_curtailable,
    prepare_ev,
    prepare_hvac,
    prepare_onoff,
    prepare_water,
)
from ven.dispatch.modeldata import CircuitData, ModelData
from ven.instructions import ALLOWED_CHANGE, Participation

__all__ = ["prepare"]


def prepare(inputs: DispatchInputs, weights: Weights) -> ModelData:
    """Check and sanitise `inputs`; NaN or missing forecasts are replaced and noted."""
    req = inputs.request
    b = inputs.building
    index = req.index
    n_t = len(index)
    notes: list[str] = list(req.notes)
    dt = clean(np.asarray(req.duration_h, dtype=float), 0.25, "interval durations", notes)
    dt = np.where(dt > 0, dt, 0.25)
    tz = ZoneInfo(b.timezone)
    local = index.tz_convert(tz) if n_t else index
    hour = np.asarray(local.hour, dtype=int) if n_t else np.zeros(0, dtype=int)
    hour_f = hour + (np.asarray(local.minute, dtype=float) / 60.0 if n_t else 0.0)

    target = clean(req.target_kw.to_numpy(dtype=float), 0.0, "shed target", notes)
    if (target < 0).any():
        notes.append("negative shed target treated as no target")
    if req.price_usd_per_kwh is not None:
        price = clean(req.price_usd_per_kwh.to_numpy(dtype=float), 0.0, "prices", notes)
    else:
        price = np.zeros(n_t)
    outdoor = clean(series_on(index, inputs.outdoor_c), 20.0, "outdoor temperature", notes)
    pv = np.clip(
        clean(
            series_on(index, 0.0 if inputs.pv_kw is None else inputs.pv_kw),
            0.0,
            "PV forecast",
            notes,
        ),
        0,
        None,
    )
    base_load = np.asarray(b.base_load_kw, dtype=float)[hour] if n_t else np.zeros(0)
    weekend_profile = b.weekend_base_load_kw
    if weekend_profile is not None and n_t:
        weekend = np.asarray(local.day_of_week, dtype=int) >= 5
        base_load = np.where(weekend, np.asarray(weekend_profile, dtype=float)[hour], base_load)
    base_load = np.nan_to_num(base_load)

    rules = req.rules
    baseline = device_baselines(inputs, dt, outdoor, hour, hour_f, notes)

    def allowed(dev_id: str) -> np.ndarray:
        if dev_id in rules.columns:
            return np.array([ALLOWED_CHANGE[Participation(r)] for r in rules[dev_id]], dtype=float)
        notes.append(f"no participation rules for {dev_id!r}; treated as off")
        return np.zeros(n_t)

    devs = [d for d in b.devices if not isinstance(d, PvArray)]
    onoff = prepare_onoff(
        [d for d in devs if isinstance(d, OnOffLoad)], inputs, baseline, allowed, dt, n_t
    )
    curtail = prepare_curtailable(
        [d for d in devs if isinstance(d, CurtailableLoad)], baseline, allowed, n_t
    )
    hvac = prepare_hvac(
        [d for d in devs if isinstance(d, HvacZone)], inputs, baseline, allowed, dt, outdoor
    )
    in_event = np.asarray(req.in_event, dtype=bool)
    water = prepare_water(
        [d for d in devs if isinstance(d, WaterHeater)],
        inputs,
        baseline,
        allowed,
        dt,
        hour,
        no_raise=in_event & (target > 1e-9),
    )
    battery = prepare_battery(
        [d for d in devs if isinstance(d, Battery)], inputs, baseline, allowed, dt
    )
    ev = prepare_ev(
        [d for d in devs if isinstance(d, EvCharger)], inputs, baseline, allowed, dt, hour_f
    )
    total = base_load - pv + sum((baseline[d.id] for d in devs), np.zeros(n_t))
    no_event = None
    if req.no_event_kw is not None:
        no_event = series_on(index, req.no_event_kw)
        bad = ~np.isfinite(no_event)
        if bad.any():
            notes.append(f"no-event load: {int(bad.sum())} missing values replaced by the "
                         "forecast")
            no_event = np.where(bad, total, no_event)
    return ModelData(
        index=index,
        dt=dt,
        in_event=in_event,
        target=target,
        price=price,
        has_price=req.price_usd_per_kwh is not None,
        base_load=base_load,
        pv=pv,
        building_baseline=total,
        onoff=onoff,
        curtail=curtail,
        hvac=hvac,
        water=water,
        battery=battery,
        ev=ev,
        weights=weights,
        circuits=prepare_circuits(inputs, [d.id for d in devs]),
        notes=notes,
        no_event=no_event,
    )


def prepare_circuits(inputs: DispatchInputs, device_ids: list[str]) -> CircuitData:
    """The circuits that feed the dispatchable devices `device_ids` (see CircuitData)."""
    b = inputs.building
    dispatchable = set(device_ids)
    members: dict[str, list[str]] = {c.id: [] for c in b.circuits}
    essential: list[str] = []
    for dev in b.devices:
        circuit = b.circuit_of(dev)
        if circuit is None or dev.id not in dispatchable:
            continue
        (essential if circuit.essential else members[circuit.id]).append(dev.id)
    fed = [c for c in b.circuits if not c.essential and members[c.id]]
    return CircuitData(
        ids=[c.id for c in fed],
        priority=np.array([c.priority for c in fed], dtype=float),
        members=[members[c.id] for c in fed],
        essential=essential,
    )
