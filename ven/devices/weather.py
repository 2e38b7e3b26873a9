"""Deterministic synthetic weather: outdoor temperature [°C], irradiance [W/m²], PV [kW]."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from ven.devices.model import PvArray

_EPOCH = pd.Timestamp("1970-01-01", tz="UTC")
_YEAR_DAYS = 365.2425
_DEG = math.pi / 180.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Climate:
    """Parameters of the synthetic climate of a site (defaults: a temperate inland climate).

    mean_c: annual mean outdoor temperature [°C].
    seasonal_amplitude_c: half the difference between the warmest and coldest day's mean [°C].
    daily_amplitude_c: half the daily range on a clear day [°C] (halved under full cloud).
    warmest_day: day of year of the warmest day-mean; None = 200 north, 17 south of the equator.
    synoptic_sd_c: standard deviation of the multi-day weather swings [°C].
    cloudiness: typical cloud cover [0..1].
    """

    mean_c: float = 16.0
    seasonal_amplitude_c: float = 8.0
    daily_amplitude_c: float = 6.0
    warmest_day: float | None = None
    synoptic_sd_c: float = 2.5
    cloudiness: float = 0.25


def epoch_hours(times: pd.DatetimeIndex | datetime) -> np.ndarray:
    """Hours since 1970-01-01T00:00Z as floats [h] (naive times are refused)."""
    index = pd.DatetimeIndex([times]) if isinstance(times, datetime) else times
    if index.tz is None:
        raise ValueError("weather needs timezone-aware times")
    return np.asarray((index.tz_convert(UTC) - _EPOCH) / pd.Timedelta(hours=1), dtype=float)


class Weather:
    """Seeded synthetic weather of one site; a pure function of time (no state).

    Temperature = annual mean + seasonal cosine + daily cosine (max at 15:00 solar time) +
    multi-day and hourly swings (sums of seeded sinusoids). Irradiance = Haurwitz clear-sky
    global horizontal irradiance, reduced by cloud cover with the Kasten-Czeplak relation.
    """

    def __init__(
        self, climate: Climate, *, latitude: float, longitude: float, seed: int = 0
    ) -> None:
        self.climate = climate
        self.latitude = latitude
        self.longitude = longitude
        self.seed = seed
        rng = np.random.default_rng([seed, 0x57EA])
        self._synoptic = _waves(rng, 6, 2 * 24.0, 12 * 24.0, climate.synoptic_sd_c)
        self._hourly = _waves(rng, 4, 3.0, 18.0, 0.5)
        self._clouds = _waves(rng, 6, 12.0, 6 * 24.0, 1.0)
        if climate.warmest_day is not None:
            self._warmest = climate.warmest_day
        else:
            self._warmest = 200.0 if latitude >= 0 else 17.0

    def __repr__(self) -> str:
        return f"Weather({self.climate!r}, latitude={self.latitude}, seed={self.seed})"

    def frame(self, times: pd.DatetimeIndex) -> pd.DataFrame:
        """t_out_c [°C], ghi_w_m2 [W/m²], cloud [0..1] and cos_zenith [-] at each time."""
        hours = epoch_hours(times)
        cloud = self.cloud(hours)
        frame = {
            "t_out_c": self.temperature_c(hours, cloud),
            "ghi_w_m2": self.ghi_w_m2(hours, cloud),
            "cloud": cloud,
            "cos_zenith": self._sun(hours)[2],
        }
        return pd.DataFrame(frame, index=times)

    def cloud(self, hours: np.ndarray) -> np.ndarray:
        """Cloud cover [0..1] at epoch hours [h]."""
        mean = min(max(self.climate.cloudiness, 0.01), 0.99)
        latent = math.log(mean / (1 - mean)) + 1.8 * _wave_sum(self._clouds, hours)
        return 1.0 / (1.0 + np.exp(-latent))

    def temperature_c(self, hours: np.ndarray, cloud: np.ndarray | None = None) -> np.ndarray:
        """Outdoor dry-bulb temperature [°C] at epoch hours [h]."""
        c = self.climate
        cloud = self.cloud(hours) if cloud is None else cloud
        day_of_year = np.mod(hours / 24.0, _YEAR_DAYS)
        seasonal = c.seasonal_amplitude_c * np.cos(
            2 * np.pi * (day_of_year - self._warmest) / 365.0
        )
        solar_hour = self._solar_hour(hours)
        daily = c.daily_amplitude_c * (1 - 0.5 * cloud) * np.cos(2 * np.pi * (solar_hour - 15) / 24)
        swings = _wave_sum(self._synoptic, hours) + _wave_sum(self._hourly, hours)
        return c.mean_c + seasonal + daily + swings

    def ghi_w_m2(self, hours: np.ndarray, cloud: np.ndarray | None = None) -> np.ndarray:
        """Global horizontal irradiance [W/m²] at epoch hours [h]."""
        cloud = self.cloud(hours) if cloud is None else cloud
        cos_z = self._sun(hours)[2]
        clear = _haurwitz(cos_z)
        return clear * (1 - 0.75 * cloud**3.4)

    def pv_kw(self, pv: PvArray, times: pd.DatetimeIndex) -> np.ndarray:
        """AC output of a PV array [kW] (generation, >= 0) at each time."""
        hours = epoch_hours(times)
        return self.pv_kw_at(pv, hours, self.cloud(hours))

    def pv_kw_at(self, pv: PvArray, hours: np.ndarray, cloud: np.ndarray) -> np.ndarray:
        """PV output [kW] at epoch hours [h] under the given cloud cover [0..1]."""
        east, north, up = self._sun(hours)
        ghi = _haurwitz(up) * (1 - 0.75 * cloud**3.4)
        diffuse_share = np.clip(0.15 + 0.75 * cloud, 0.0, 1.0)
        dhi = ghi * diffuse_share
        dni = np.where(up > 0.02, (ghi - dhi) / np.maximum(up, 0.02), 0.0)
        tilt, azimuth = pv.tilt_deg * _DEG, pv.azimuth_deg * _DEG
        cos_incidence = (
            east * math.sin(tilt) * math.sin(azimuth)
            + north * math.sin(tilt) * math.cos(azimuth)
            + up * math.cos(tilt)
        )
        poa = (
            dni * np.maximum(cos_incidence, 0.0)
            + dhi * (1 + math.cos(tilt)) / 2
            + ghi * 0.2 * (1 - math.cos(tilt)) / 2
        )
        cell_c = self.temperature_c(hours, cloud) + 0.03 * poa
        thermal = 1 - 0.004 * (cell_c - 25.0)
        return np.maximum(pv.rated_kwp * poa / 1000.0 * (1 - pv.derate) * thermal, 0.0)

    def _solar_hour(self, hours: np.ndarray) -> np.ndarray:
        day_of_year = np.mod(hours / 24.0, _YEAR_DAYS) + 1
        b = 2 * np.pi * (day_of_year - 81) / 364.0
        equation_of_time_min = 9.87 * np.sin(2 * b) - 7.53 * np.cos(b) - 1.5 * np.sin(b)
        return np.mod(hours + self.longitude / 15.0 + equation_of_time_min / 60.0, 24.0)

    def _sun(self, hours: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Unit vector to the sun in east/north/up coordinates."""
        day_of_year = np.mod(hours / 24.0, _YEAR_DAYS) + 1
        declination = 23.45 * _DEG * np.sin(2 * np.pi * (284 + day_of_year) / 365.0)
        hour_angle = (self._solar_hour(hours) - 12.0) * 15.0 * _DEG
        lat = self.latitude * _DEG
        east = -np.cos(declination) * np.sin(hour_angle)
        north = np.sin(declination) * math.cos(lat) - np.cos(declination) * math.sin(lat) * np.cos(
            hour_angle
        )
        up = np.sin(declination) * math.sin(lat) + np.cos(declination) * math.cos(lat) * np.cos(
            hour_angle
        )
        return east, north, up


def _haurwitz(cos_zenith: np.ndarray) -> np.ndarray:
    """Clear-sky global horizontal irradiance [W/m²] (Haurwitz)."""
    safe = np.maximum(cos_zenith, 1e-3)
    return np.where(cos_zenith > 0, 1098.0 * safe * np.exp(-0.057 / safe), 0.0)


def _waves(
    rng: np.random.Generator, count: int, shortest_h: float, longest_h: float, sd: float
) -> np.ndarray:
    """Rows of (angular frequency [1/h], phase, amplitude) whose sum has standard deviation sd."""
    periods = rng.uniform(shortest_h, longest_h, count)
    phases = rng.uniform(0, 2 * np.pi, count)
    amplitude = sd * math.sqrt(2.0 / count)
    return np.column_stack([2 * np.pi / periods, phases, np.full(count, amplitude)])


def _wave_sum(waves: np.ndarray, hours: np.ndarray) -> np.ndarray:
    hours = np.asarray(hours, dtype=float)
    total = np.zeros_like(hours)
    for omega, phase, amplitude in waves:
        total += amplitude * np.sin(omega * hours + phase)
    return total
