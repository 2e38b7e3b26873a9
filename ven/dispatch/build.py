"""Assemble the dispatch model from the ``define_*`` functions."""

from __future__ import annotations

import pyomo.environ as pyo

from ven.dispatch.constraints import (
    define_battery_constraints,
    define_building_constraints,
    define_circuit_constraints,
    define_ev_constraints,
    define_onoff_constraints,
    define_thermal_constraints,
)
from ven.dispatch.inputs import DispatchInputs, Weights
from ven.dispatch.modeldata import ModelData
from ven.dispatch.objective import define_objective
from ven.dispatch.prepare import prepare
from ven.dispatch.variables import (
    define_battery_variables,
    define_building_variables,
    define_circuit_variables,
    define_curtailable_variables,
    define_ev_variables,
    define_onoff_variables,
    define_thermal_variables,
)


def build_model(inputs: DispatchInputs, weights: Weights | None = None) -> pyo.ConcreteModel:
    """Check the inputs and build the Pyomo model (never solves).

    The model keeps its numbers in ``model.data`` (a ModelData) and the grids of its
    variables in ``model.vars``; the shed target [kW] and the energy price [USD/kWh] are
    mutable Params ("shed-target", "energy-price") that :func:`update_request` changes.
    """
    data = prepare(inputs, weights or Weights())
    return build_from_data(data)


def build_from_data(data: ModelData) -> pyo.ConcreteModel:
    """Build the model from already prepared numbers."""
    m = pyo.ConcreteModel(name="dispatch")
    m.data = data
    m.vars = {}
    m.T = pyo.RangeSet(0, data.n_t - 1)
    m.add_component(
        "shed-target",
        pyo.Param(range(data.n_t), initialize=dict(enumerate(data.target.tolist())), mutable=True),
    )
    m.add_component(
        "energy-price",
        pyo.Param(range(data.n_t), initialize=dict(enumerate(data.price.tolist())), mutable=True),
    )
    define_building_variables(m, data)
    define_onoff_variables(m, data)
    define_curtailable_variables(m, data)
    define_thermal_variables(m, data.hvac, "hvac")
    define_thermal_variables(m, data.water, "water-heater")
    define_battery_variables(m, data)
    define_ev_variables(m, data)
    define_circuit_variables(m, data)
    define_building_constraints(m, data)
    define_onoff_constraints(m, data)
    define_thermal_constraints(m, data.hvac, "hvac")
    define_thermal_constraints(m, data.water, "water-heater")
    define_battery_constraints(m, data)
    define_ev_constraints(m, data)
    define_circuit_constraints(m, data)
    define_objective(m, data)
    return m
