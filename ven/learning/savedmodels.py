"""Accepted zone fits saved for the running VEN (``oadr-ven model fit --save FILE``) and loaded
by its energy manager (``[energy.zone_models]``).

The file is JSON, written atomically (a temporary file in the same directory, then renamed):

    {"version": 1, "building_id": "home-1", "saved_at": "...",
     "zones": {"living": {"r_c_per_kw": 2.1, "c_kwh_per_c": 3.4, "cop": 3.5, "mode": "cooling",
                          "holdout_rmse_c": 0.12, "fit_rows": 300, "start": "...",
                          "end": "...", "source": "...", "saved_at": "..."}}}

Only accepted fits are written; a refused fit leaves the zone's entry as it was (an earlier
accepted fit, or none). The energy manager plans a zone with its saved fit only when the fit
is usable (``models_in_force``): the zone is an HVAC zone of the building with the same mode
and COP, R [°C/kW] and C [kWh/°C] are positive and finite, the file is the building's, and the
fit is not stale (its data end no more than ``max_age_days`` before now). Otherwise the building
file's (configured) model stays in force and the reason is shown.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ven.devices.model import Building, HvacZone
from ven.learning.thermal_fit import RcParameters, ThermalFit

__all__ = ["ModelInForce", "SavedModelsError", "ZoneModelSettings", "models_in_force",
           "read_saved_models", "save_fits", "zone_models_from_config"]

VERSION = 1


class SavedModelsError(ValueError):
    """The saved models file (or its ``[energy.zone_models]`` table) is unusable."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ZoneModelSettings:
    """``[energy.zone_models]``: the saved fits' file and the age [d] past which a fit's data
    are too old to plan with."""

    path: Path
    max_age_days: float = 30.0


def zone_models_from_config(table: Mapping[str, Any], *, base: Path | None = None
                            ) -> ZoneModelSettings:
    """The settings of an ``[energy.zone_models]`` table (``path``, ``max_age_days``); a
    relative path is taken from `base` (the building file's directory)."""
    unknown = sorted(set(table) - {"path", "max_age_days"})
    if unknown:
        raise SavedModelsError(f"[energy.zone_models] has unknown keys: {', '.join(unknown)}")
    path = table.get("path")
    if not isinstance(path, str) or not path:
        raise SavedModelsError("[energy.zone_models] path must name the file `oadr-ven model "
                               "fit --save` writes")
    age = table.get("max_age_days", 30)
    if isinstance(age, bool) or not isinstance(age, int | float) or not age > 0:
        raise SavedModelsError(f"[energy.zone_models] max_age_days must be a positive number, "
                               f"got {age!r}")
    file = Path(path)
    if not file.is_absolute() and base is not None:
        file = base / file
    return ZoneModelSettings(path=file, max_age_days=float(age))


# ---- writing -----------------------------------------------------------------------------------


def _entry(fit: ThermalFit, now: datetime) -> dict[str, Any]:
    assert fit.fitted is not None
    return {**fit.fitted.as_json(), "r_c_per_kw": fit.fitted.r_c_per_kw,
            "c_kwh_per_c": fit.fitted.c_kwh_per_c,
            "holdout_rmse_c": fit.holdout_rmse_c, "fit_rmse_c": fit.fit_rmse_c,
            "fit_rows": fit.fit_rows, "holdout_rows": fit.holdout_rows,
            "start": None if fit.start is None else fit.start.isoformat(),
            "end": None if fit.end is None else fit.end.isoformat(),
            "source": fit.source, "saved_at": now.isoformat()}


def save_fits(path: Path, fits: Iterable[ThermalFit], *, building_id: str | None,
              now: datetime) -> list[str]:
    """Write the accepted fits of `fits` into `path` (merged with the zones it holds already;
    refused fits change nothing), atomically; returns the zones written. A file of another
    building is refused (``SavedModelsError``) rather than overwritten."""
    zones: dict[str, Any] = {}
    if path.exists():
        old = read_saved_models(path)
        if building_id is not None and old.get("building_id") not in (None, building_id):
            raise SavedModelsError(f"{path} holds the models of building "
                                   f"{old.get('building_id')!r}, not {building_id!r}")
        zones = dict(old["zones"])
    written = []
    for fit in fits:
        if fit.accepted and fit.fitted is not None:
            zones[fit.zone_id] = _entry(fit, now)
            written.append(fit.zone_id)
    if not written:
        return []
    document = {"version": VERSION, "building_id": building_id, "saved_at": now.isoformat(),
                "zones": zones}
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                         suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(document, file, indent=2)
            file.write("\n")
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return written


# ---- reading -----------------------------------------------------------------------------------


def read_saved_models(path: Path) -> dict[str, Any]:
    """The saved models document of `path` (``SavedModelsError`` when it is not one)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SavedModelsError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SavedModelsError(f"{path}: not a saved models file ({exc})") from None
    if not isinstance(data, dict) or data.get("version") != VERSION or not isinstance(
            data.get("zones"), dict):
        raise SavedModelsError(f"{path}: not a saved models file (version {VERSION} with "
                               "zones)")
    return data


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelInForce:
    """The RC model a zone is planned with: `source` "fitted" or "configured"; `note`: why a
    saved fit is not used (empty when none is saved or it is used)."""

    zone_id: str
    source: str
    params: RcParameters
    holdout_rmse_c: float | None = None
    data_end: str | None = None
    saved_at: str | None = None
    note: str = ""

    def as_json(self) -> dict[str, Any]:
        """As shown by ``oadr-ven status`` and ``GET /energy/plan``."""
        return {"zone_id": self.zone_id, "in_force": self.source, **self.params.as_json(),
                "holdout_rmse_c": self.holdout_rmse_c, "data_end": self.data_end,
                "saved_at": self.saved_at, "note": self.note}

    def line(self) -> str:
        """One line in words (logged at start, shown by status)."""
        p = self.params
        fitted = (f" (fitted on data to {self.data_end[:16]}, held-out RMSE "
                  f"{self.holdout_rmse_c:.3f} °C)" if self.source == "fitted"
                  and self.data_end and self.holdout_rmse_c is not None else "")
        note = f"; saved fit not used: {self.note}" if self.note else ""
        return (f"zone {self.zone_id}: {self.source} model R = {p.r_c_per_kw:.4g} °C/kW, "
                f"C = {p.c_kwh_per_c:.4g} kWh/°C{fitted}{note}")


def _usable(entry: Any, zone: HvacZone, now: datetime, max_age: timedelta
            ) -> tuple[RcParameters | None, str]:
    """The saved entry's parameters, or None and why not."""
    if not isinstance(entry, Mapping):
        return None, "its entry is not an object"
    numbers = {}
    for key in ("r_c_per_kw", "c_kwh_per_c", "cop"):
        value = entry.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or not (
                math.isfinite(value) and value > 0):
            return None, f"{key} is not a positive number"
        numbers[key] = float(value)
    if entry.get("mode") != zone.mode:
        return None, f"fitted for {entry.get('mode')} but the zone is in {zone.mode} mode"
    if not math.isclose(numbers["cop"], zone.cop, rel_tol=1e-6):
        return None, f"fitted with COP {numbers['cop']:g} but the zone's is {zone.cop:g}"
    try:
        end = datetime.fromisoformat(str(entry.get("end")))
    except ValueError:
        return None, "its data end is not a time"
    if end.tzinfo is None or now - end > max_age:
        return None, (f"stale: its data end {str(entry.get('end'))[:16]}, more than "
                      f"{max_age / timedelta(days=1):g} days ago")
    return RcParameters(r_c_per_kw=numbers["r_c_per_kw"], c_kwh_per_c=numbers["c_kwh_per_c"],
                        cop=numbers["cop"], mode=zone.mode), ""


def models_in_force(building: Building, document: Mapping[str, Any] | None, now: datetime,
                    *, max_age_days: float = 30.0, problem: str = "") -> list[ModelInForce]:
    """Each HVAC zone's model in force at `now` given the saved `document` (None: no usable
    file; `problem` says why, shown on every zone)."""
    zones = [d for d in building.devices if isinstance(d, HvacZone)]
    saved: Mapping[str, Any] = {} if document is None else document["zones"]
    foreign = (document is not None and document.get("building_id") not in (None, building.id))
    out = []
    for zone in zones:
        configured = RcParameters(r_c_per_kw=zone.r_c_per_kw, c_kwh_per_c=zone.c_kwh_per_c,
                                  cop=zone.cop, mode=zone.mode)
        entry = saved.get(zone.id)
        if document is None or entry is None or foreign:
            note = (problem if document is None else "the file holds the models of building "
                    f"{document.get('building_id')!r}" if foreign else "")
            out.append(ModelInForce(zone_id=zone.id, source="configured", params=configured,
                                    note=note))
            continue
        params, why = _usable(entry, zone, now, timedelta(days=max_age_days))
        info: Mapping[str, Any] = entry if isinstance(entry, Mapping) else {}
        rmse = info.get("holdout_rmse_c")
        end, saved_at = info.get("end"), info.get("saved_at")
        common = ModelInForce(zone_id=zone.id, source="configured", params=configured,
                              holdout_rmse_c=float(rmse) if isinstance(rmse, int | float)
                              else None, data_end=None if end is None else str(end),
                              saved_at=None if saved_at is None else str(saved_at), note=why)
        out.append(common if params is None else replace(common, source="fitted",
                                                         params=params, note=""))
    return out
