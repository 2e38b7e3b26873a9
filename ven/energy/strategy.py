"""Planning strategies: the weights of the MPC's objective terms (docs/energy-manager.md).

The plan minimises, over the horizon's intervals t of length dt [h],

    w_cost    * [ sum_t (p_imp[t] g_imp[t] - p_exp[t] g_exp[t]) dt
                  + D (peak - peak_so_far)                     (demand charge increment)
                  + c_deg sum_t (charge[t] + discharge[t]) dt ] (battery degradation)
  + w_comfort * sum_z sum_t occupied[z,t] |T[z,t] - setpoint[z]| dt   [°C·h]
  + w_carbon  * sum_t ci[t] g_imp[t] dt / 1000                        [kgCO2]
  + penalties (comfort band, DR shed, EV energy) that no strategy can trade away.

- ``economic``: w_cost 1, w_comfort 0, w_carbon 0;
- ``comfort``: w_comfort 1 [currency-equivalent per °C·h], w_cost 0.001 (tie-break);
- ``environmental``: w_carbon 1 [per kgCO2], w_cost 0.001 (tie-break);
- ``balanced``: the configured weights (default 1, 0.5, 0.1).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["STRATEGIES", "Strategy", "StrategyError", "strategy_from_config"]

StrategyName = Literal["economic", "comfort", "environmental", "balanced"]
STRATEGIES: tuple[StrategyName, ...] = ("economic", "comfort", "environmental", "balanced")
TIE_BREAK = 0.001  # weight of the energy cost in the comfort and environmental strategies [-]


class StrategyError(ValueError):
    """A strategy name or weight is unusable."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Strategy:
    """What the plan optimises (see the module).

    cost: weight of the energy bill [-]; comfort: price of one °C·h away from the set point in
    an occupied interval [currency/(°C·h)]; carbon: price of one kgCO2 imported
    [currency/kgCO2]; degradation_per_kwh: battery wear per kWh charged or discharged
    [currency/kWh]; penalty_band_per_ch: price of leaving the comfort band [currency/(°C·h)];
    penalty_shed_per_kwh: price of missing a DR event's shed [currency/kWh];
    penalty_ev_per_kwh: price of an EV leaving short of its energy [currency/kWh].
    """

    name: StrategyName = "economic"
    cost: float = 1.0
    comfort: float = 0.0
    carbon: float = 0.0
    degradation_per_kwh: float = 0.02
    penalty_band_per_ch: float = 50.0
    penalty_shed_per_kwh: float = 100.0
    penalty_ev_per_kwh: float = 20.0

    def __post_init__(self) -> None:
        if self.name not in STRATEGIES:
            raise StrategyError(f"strategy must be one of {', '.join(STRATEGIES)}, "
                                f"got {self.name!r}")
        for key in ("cost", "comfort", "carbon", "degradation_per_kwh", "penalty_band_per_ch",
                    "penalty_shed_per_kwh", "penalty_ev_per_kwh"):
            if not getattr(self, key) >= 0:
                raise StrategyError(f"strategy weight {key} must be >= 0")

    @classmethod
    def named(cls, name: str, **weights: float) -> Strategy:
        """The preset `name`; for ``balanced`` `weights` (cost, comfort, carbon) override the
        defaults, for every preset degradation_per_kwh and the penalties may be given."""
        presets: dict[str, dict[str, float]] = {
            "economic": {"cost": 1.0, "comfort": 0.0, "carbon": 0.0},
            "comfort": {"cost": TIE_BREAK, "comfort": 1.0, "carbon": 0.0},
            "environmental": {"cost": TIE_BREAK, "comfort": 0.0, "carbon": 1.0},
            "balanced": {"cost": 1.0, "comfort": 0.5, "carbon": 0.1},
        }
        if name not in presets:
            raise StrategyError(f"strategy must be one of {', '.join(STRATEGIES)}, got {name!r}")
        chosen = dict(presets[name])
        for key, value in weights.items():
            if key in ("cost", "comfort", "carbon") and name != "balanced":
                raise StrategyError(f"only the balanced strategy takes weight {key!r}")
            chosen[key] = float(value)
        return cls(name=name, **chosen)  # type: ignore[arg-type]


def strategy_from_config(table: Mapping[str, Any]) -> Strategy:
    """The strategy of a building file's ``[energy]`` table: ``strategy = "balanced"`` and
    optional ``[energy.weights]`` (cost, comfort, carbon, degradation_per_kwh, penalties)."""
    name = table.get("strategy", "economic")
    weights = table.get("weights", {})
    if not isinstance(weights, Mapping):
        raise StrategyError("[energy.weights] must be a table")
    allowed = {"cost", "comfort", "carbon", "degradation_per_kwh", "penalty_band_per_ch",
               "penalty_shed_per_kwh", "penalty_ev_per_kwh"}
    unknown = sorted(set(weights) - allowed)
    if unknown:
        raise StrategyError(f"[energy.weights] has unknown keys: {', '.join(unknown)}")
    return Strategy.named(str(name), **{k: float(v) for k, v in weights.items()})
