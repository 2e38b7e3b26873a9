"""``oadr-ven model fit`` and ``oadr-ven forecast``: learned zone models and load/PV forecasts
from a CSV file or the VEN's stored telemetry."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from common.errors import OadrError
from ven.learning.errors import LearningInputError

__all__ = ["FIT_HELP", "FORECAST_HELP", "add_fit_arguments", "add_forecast_arguments",
           "fit_command", "forecast_command"]

FIT_HELP = ("Fit each HVAC zone's RC thermal model (R [°C/kW], C [kWh/°C]) to its measured "
            "history, report the fit (RMSE [°C] on fitted and held-out data) and refuse it "
            "when it is poor (the configured model stays in force). --save FILE writes the "
            "accepted fits for the running VEN ([energy.zone_models] path = FILE); without it "
            "nothing is written (paste the printed lines into the building file).")
FORECAST_HELP = ("Forecast the building's load and PV [kW] for the next hours from its "
                 "history (same-time averages of similar days, regressed on the outdoor "
                 "temperature; PV: recent envelope x clearness).")

_FIT_EPILOG = """\
A zone CSV has the columns time,power_kw,t_in_c,t_out_c: interval start (ISO 8601, UTC
without an offset), mean electric HVAC power [kW], zone temperature at the interval's start
[°C], mean outdoor temperature [°C]; one row per interval, no gaps. A telemetry export
(`oadr-ven telemetry export`) is read too. With --config the VEN's stored telemetry is used
(zone `power` and `temperature`, the building meter's `outdoor_temperature`).

With --save FILE the accepted fits are written to FILE (JSON, atomically; zones already in
it are kept, a refused fit changes nothing); a VEN whose building file has
[energy.zone_models] path = "FILE" plans those zones with them (read at start and whenever
the file changes; a fit whose data are older than max_age_days is not used).

exit status: 0 every fit accepted; 1 a fit refused (its configured model stays in force);
2 bad input.

examples:
  oadr-ven model fit --csv rtu-north.csv --building office.toml --zone rtu-north
  oadr-ven model fit --csv zone.csv --zone z1 --mode heating --cop 3.5 --json
  oadr-ven model fit --config ven.toml --from 2026-07-01 --json
  oadr-ven model fit --config ven.toml --save zone-models.json
"""
_FORECAST_EPILOG = """\
A building CSV has the columns time,load_kw and optionally pv_kw,t_out_c: interval start,
mean consumption [kW], mean PV generation [kW, >= 0], mean outdoor temperature [°C]. A
telemetry export is read too; with --config the VEN's stored telemetry is used. The outdoor
temperature forecast comes from the building file's [climate] (the simulator's weather);
without a building file the load forecast is the similar-day profile alone.

examples:
  oadr-ven forecast --csv meter.csv --building office.toml --hours 24
  oadr-ven forecast --config ven.toml --json
"""


def _time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _source_arguments(sub: argparse.ArgumentParser) -> None:
    source = sub.add_mutually_exclusive_group(required=True)
    source.add_argument("--csv", metavar="FILE", help="the history as CSV (see below)")
    source.add_argument("--config", metavar="FILE.toml",
                        help="the VEN configuration: use its stored telemetry and building file")
    sub.add_argument("--building", metavar="FILE.toml",
                     help="the building file (default: the configuration's [ven] building)")
    sub.add_argument("--from", dest="start", type=_time, metavar="TIME",
                     help="telemetry from this time (inclusive)")
    sub.add_argument("--to", dest="end", type=_time, metavar="TIME",
                     help="telemetry until this time (exclusive)")
    sub.add_argument("--step", type=float, default=15.0, metavar="MINUTES",
                     help="interval the telemetry is binned to [min] (default: 15)")
    sub.add_argument("--json", action="store_true", help="machine-readable output")


def add_fit_arguments(sub: argparse.ArgumentParser) -> None:
    """The options of ``oadr-ven model fit``."""
    sub.epilog = _FIT_EPILOG
    sub.formatter_class = argparse.RawDescriptionHelpFormatter
    _source_arguments(sub)
    sub.add_argument("--zone", action="append", metavar="ID",
                     help="the zone (HVAC device id) to fit; repeatable; a zone CSV needs one "
                          "(default with telemetry: every HVAC zone of the building)")
    sub.add_argument("--mode", choices=["cooling", "heating"],
                     help="the zone's mode (default: the building file's)")
    sub.add_argument("--cop", type=float, help="the HVAC's COP [-] (default: the building "
                                               "file's, else 3.0); R scales as 1/COP")
    sub.add_argument("--max-rmse", type=float, default=1.0, metavar="DEG_C",
                     help="refuse a fit whose held-out RMSE exceeds this [°C] (default: 1.0)")
    sub.add_argument("--min-hours", type=float, default=48.0, metavar="HOURS",
                     help="refuse a fit on less history than this [h] (default: 48)")
    sub.add_argument("--holdout", type=float, default=0.25, metavar="FRACTION",
                     help="share of the history held out of the fit (default: 0.25)")
    sub.add_argument("--save", metavar="FILE",
                     help="write the accepted fits to FILE for the running VEN "
                          "([energy.zone_models] path)")


def add_forecast_arguments(sub: argparse.ArgumentParser) -> None:
    """The options of ``oadr-ven forecast``."""
    sub.epilog = _FORECAST_EPILOG
    sub.formatter_class = argparse.RawDescriptionHelpFormatter
    _source_arguments(sub)
    sub.add_argument("--at", type=_time, metavar="TIME",
                     help="first interval to forecast (default: right after the history)")
    sub.add_argument("--hours", type=float, default=24.0, help="horizon [h] (default: 24)")
    sub.add_argument("--seed", type=int, default=0,
                     help="weather seed of the building file's climate (default: 0)")


def _fail(message: str) -> int:
    sys.stderr.write(f"oadr-ven: {message}\n")
    return 2


def _emit(data: Any, lines: list[str], as_json: bool) -> None:
    sys.stdout.write((json.dumps(data, indent=2) if as_json else "\n".join(lines)) + "\n")


def _paths(args: argparse.Namespace) -> tuple[Path | None, Path | None]:
    """(building file, state file) the arguments name."""
    building = Path(args.building) if args.building else None
    database = None
    if args.config:
        from ven.client.config import load_config

        config = load_config(args.config)
        database = config.database
        if building is None and config.building_file is not None:
            building = Path(config.building_file)
        if not database.exists():
            raise LearningInputError(f"there is no state file at {database} yet; start the VEN "
                                     "with `oadr-ven run` first")
    return building, database


def _step(args: argparse.Namespace) -> pd.Timedelta:
    if not args.step > 0:
        raise LearningInputError(f"--step must be positive, got {args.step:g}")
    return pd.Timedelta(minutes=args.step)


async def _stored(database: Path, start: datetime | None, end: datetime | None) -> list[Any]:
    from ven.client.telemetry import TelemetryStore

    store = await TelemetryStore.open(database)
    try:
        return await store.samples(start=start, end=end)
    finally:
        await store.close()


def _samples(args: argparse.Namespace, database: Path | None) -> list[Any] | None:
    """Telemetry samples (stored, or a telemetry export CSV), or None for a wide CSV."""
    from ven.learning.csvinput import is_telemetry_export, read_samples

    if database is not None:
        return asyncio.run(_stored(database, args.start, args.end))
    if is_telemetry_export(args.csv):
        return [s for s in read_samples(args.csv)
                if (args.start is None or s.time >= args.start)
                and (args.end is None or s.time < args.end)]
    return None


# ---- model fit ------------------------------------------------------------------------------


def fit_document(args: argparse.Namespace) -> dict[str, Any]:
    """Fit the zones the arguments name; the outcome as plain JSON values."""
    from ven.devices.config import load_building
    from ven.devices.model import HvacZone
    from ven.learning.csvinput import read_zone_csv
    from ven.learning.telemetryinput import zone_history
    from ven.learning.thermal_fit import FitLimits, RcParameters, fit_zone

    building_file, database = _paths(args)
    building = load_building(building_file) if building_file is not None else None
    zones = {d.id: d for d in building.devices if isinstance(d, HvacZone)} if building else {}
    samples = _samples(args, database)
    wanted: Sequence[str] = args.zone or list(zones)
    if not wanted:
        raise LearningInputError("name the zone with --zone (no building file lists HVAC zones)")
    if samples is None and len(wanted) != 1:
        raise LearningInputError("a zone CSV holds one zone: give exactly one --zone")
    limits = FitLimits(max_holdout_rmse_c=args.max_rmse, min_hours=args.min_hours,
                       holdout_fraction=args.holdout)
    if not 0.0 < args.holdout < 1.0:
        raise LearningInputError(f"--holdout must lie between 0 and 1, got {args.holdout:g}")
    fits = []
    for zone_id in wanted:
        zone = zones.get(zone_id)
        if building is not None and zone is None:
            raise LearningInputError(f"{building_file}: no HVAC zone {zone_id!r} (zones: "
                                     f"{', '.join(zones) or 'none'})")
        mode = args.mode or (zone.mode if zone is not None else None)
        if mode is None:
            raise LearningInputError(f"zone {zone_id!r}: give --mode cooling|heating (or a "
                                     "building file that lists the zone)")
        cop = args.cop if args.cop is not None else (zone.cop if zone is not None else 3.0)
        if not cop > 0:
            raise LearningInputError(f"--cop must be positive, got {cop:g}")
        configured = (RcParameters(r_c_per_kw=zone.r_c_per_kw, c_kwh_per_c=zone.c_kwh_per_c,
                                   cop=cop, mode=mode) if zone is not None else None)
        history = (read_zone_csv(args.csv, zone_id).between(args.start, args.end)
                   if samples is None else zone_history(samples, zone_id, _step(args)))
        fits.append(fit_zone(history, mode=mode, cop=cop, configured=configured,
                             limits=limits))
    saved = None
    if getattr(args, "save", None):
        from ven.learning.savedmodels import SavedModelsError, save_fits

        try:
            written = save_fits(Path(args.save), fits, building_id=None if building is None
                                else building.id, now=datetime.now(UTC))
        except (OSError, SavedModelsError) as exc:
            raise LearningInputError(f"--save {args.save}: {exc}") from None
        saved = {"path": str(args.save), "zones": written}
    return {"building_id": None if building is None else building.id,
            "building_file": None if building_file is None else str(building_file),
            "zones": [{**f.as_json(), "toml": f.toml()} for f in fits], "saved": saved}


def _params_line(params: dict[str, Any]) -> str:
    return (f"R = {params['r_c_per_kw']:g} °C/kW, C = {params['c_kwh_per_c']:g} kWh/°C "
            f"(R C = {params['tau_h']:.2f} h, COP {params['cop']:g})")


def _fit_lines(data: dict[str, Any]) -> list[str]:
    lines = []
    for zone in data["zones"]:
        verdict = "accepted" if zone["accepted"] else "REFUSED"
        lines.append(f"Zone {zone['zone_id']}: fit {verdict}"
                     + ("" if zone["accepted"] else f": {zone['reason']}"))
        lines.append(f"  data: {zone['source']}; {zone['start']} to {zone['end']}, step "
                     f"{zone['step_h'] * 60:g} min; {zone['fit_rows']} intervals fitted, "
                     f"{zone['holdout_rows']} held out")
        if zone["fitted"]:
            se = zone["relative_se"]
            lines.append(f"  fitted:     {_params_line(zone['fitted'])}; standard error "
                         f"R C {se['tau_h']:.1%}, COP R {se['gain']:.1%}")
        if zone["configured"]:
            lines.append(f"  configured: {_params_line(zone['configured'])}")
        if zone["holdout_rmse_c"] is not None:
            configured = (f"; configured model {zone['configured_holdout_rmse_c']:.3f} °C"
                          if zone["configured_holdout_rmse_c"] is not None else "")
            lines.append(f"  RMSE (model run free): {zone['fit_rmse_c']:.3f} °C fitted, "
                         f"{zone['holdout_rmse_c']:.3f} °C held out{configured} (limit "
                         f"{zone['max_holdout_rmse_c']:g} °C)")
        lines.append(f"  in force: {zone['in_force'] or 'nothing (no configured model)'}")
        if zone["toml"] and not data.get("saved"):
            lines.append("  paste into this zone's [[devices]] table of the building file:")
            lines.extend(f"    {line}" for line in zone["toml"].splitlines())
    saved = data.get("saved")
    if saved is not None:
        lines.append(f"Saved {len(saved['zones'])} accepted fit(s) to {saved['path']}"
                     + (f" ({', '.join(saved['zones'])})" if saved["zones"] else
                        ": nothing written (no fit accepted)")
                     + "; the VEN plans with them where [energy.zone_models] names the file")
    return lines


def fit_command(args: argparse.Namespace) -> int:
    """Run ``oadr-ven model fit``; returns the exit status (see the epilog)."""
    try:
        data = fit_document(args)
    except (OadrError, ValueError) as exc:
        return _fail(str(exc))
    _emit(data, _fit_lines(data), args.json)
    return 0 if all(z["accepted"] for z in data["zones"]) else 1


# ---- forecast -------------------------------------------------------------------------------


def forecast_document(args: argparse.Namespace) -> dict[str, Any]:
    """The forecast the arguments ask for, as plain JSON values."""
    from ven.devices.config import load_building, load_climate
    from ven.devices.model import PvArray
    from ven.devices.weather import Weather
    from ven.learning.csvinput import read_load_csv
    from ven.learning.forecast import forecast_building
    from ven.learning.telemetryinput import load_history

    building_file, database = _paths(args)
    building = load_building(building_file) if building_file is not None else None
    samples = _samples(args, database)
    if samples is None:
        history = read_load_csv(args.csv)
        if args.start is not None or args.end is not None:
            history = history[(history.index >= (args.start or history.index[0]))
                              & (history.index < (args.end or history.index[-1] + pd.Timedelta(
                                  seconds=1)))]
    else:
        pv_ids = [d.id for d in building.devices if isinstance(d, PvArray)] if building else []
        history = load_history(samples, pv_ids, _step(args))
    if len(history) < 2:
        raise LearningInputError("the history has fewer than 2 intervals")
    step = pd.Timedelta(history.index[1] - history.index[0]) if samples is None else _step(args)
    if not args.hours > 0:
        raise LearningInputError(f"--hours must be positive, got {args.hours:g}")
    start = (pd.Timestamp(args.at).tz_convert("UTC").floor(step) if args.at is not None
             else history.index[-1] + step)
    periods = max(1, round(pd.Timedelta(hours=args.hours) / step))
    index = pd.date_range(start, periods=periods, freq=step, name="start")
    t_out_forecast = None
    if building is not None and building_file is not None:
        weather = Weather(load_climate(building_file), latitude=building.latitude,
                          longitude=building.longitude, seed=args.seed)
        t_out_forecast = pd.Series(
            weather.frame(index + step / 2)["t_out_c"].to_numpy(), index=index)
    timezone = building.timezone if building is not None else "UTC"
    result = forecast_building(history, index, timezone=timezone,
                               t_out_forecast=t_out_forecast)
    return {"building_id": None if building is None else building.id,
            "timezone": timezone, "history_from": history.index[0].isoformat(),
            "history_to": (history.index[-1] + step).isoformat(),
            "history_intervals": len(history), **result.as_json()}


def _forecast_lines(data: dict[str, Any]) -> list[str]:
    energy = data["energy_kwh"]
    rows = data["intervals"]
    lines = [f"Forecast from {rows[0]['start']} for {len(rows)} intervals of "
             f"{data['step_s'] / 60:g} min (history {data['history_from']} to "
             f"{data['history_to']}, {data['history_intervals']} intervals)",
             f"  method: {data['weather']}",
             f"  energy: load {energy['load']:.1f} kWh, PV {energy['pv']:.1f} kWh, net "
             f"{energy['net']:.1f} kWh; peak load {data['peak_load_kw']:.1f} kW",
             f"  {'start (UTC)':<26} {'load kW':>9} {'PV kW':>8} {'net kW':>9}"]
    per_hour = max(1, round(3600 / data["step_s"]))
    lines.extend(f"  {r['start']:<26} {r['load_kw']:>9.2f} {r['pv_kw']:>8.2f} "
                 f"{r['net_kw']:>9.2f}" for r in rows[::per_hour])
    if per_hour > 1:
        lines.append("  (one line per hour; --json lists every interval)")
    return lines


def forecast_command(args: argparse.Namespace) -> int:
    """Run ``oadr-ven forecast``; returns the exit status (0, or 2 on bad input)."""
    try:
        data = forecast_document(args)
    except (OadrError, ValueError) as exc:
        return _fail(str(exc))
    _emit(data, _forecast_lines(data), args.json)
    return 0
