"""Benchmark: the rebound after a SIMPLE level-2 event, on the three example buildings.

Each run is the dry run of ``oadr-ven plan`` (a BuildingBrain on the simulated building under
a ManualClock, closed loop, seed ``SEED``) for a 1-hour event starting at each hour of
``HOURS`` on a summer weekday, then one more hour of normal operation after the plan ends.
The same building with the same seed and no event gives the no-event load. Per run, loads in
kW as 15-minute means on the simulated meter:

- baseline: the event's customer baseline, mean over the event (what the event shed against);
- no-event: the peak in the hour after the event without the event;
- rebound: the peak in the hour after the event (the recovery window) with the event;
- excess: rebound - no-event; vs no-ev, vs base: the rebound above the no-event peak and
  above the event's baseline [%];
- later / no-ev: the peak in the hour after the plan ends (every device released), with and
  without the event: a rebound put off past the recovery window shows here.

Usage: ``python -m tests.benchmarks rebound`` (about 2 minutes on one core).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from common.clock import ManualClock
from ven.brain.dryrun import WARMUP, make_signal
from ven.brain.handler import BuildingBrain
from ven.brain.meter import MeteredBuilding
from ven.devices.config import load_building

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "buildings"
BUILDINGS = ("office", "hotel", "home")
HOURS = (10, 14, 18)  # local event start [h]
DAY = (2026, 7, 15)  # a summer Wednesday
SEED = 0
QUARTER = timedelta(minutes=15)
HOUR = timedelta(hours=1)


def _peak(meter: MeteredBuilding, start: datetime, end: datetime) -> float:
    """Highest 15-minute mean load on the meter in [start, end) [kW]."""
    out = []
    t = start
    while t < end:
        out.append(meter.mean_kw(t, t + QUARTER))
        t += QUARTER
    return float(np.nanmax(out))


def run(name: str, hour: int) -> dict[str, float]:
    """One event at `hour` on the building `name`: baseline, no-event, rebound, later [kW]."""
    path = EXAMPLES / f"{name}.toml"
    building = load_building(path)
    start = datetime(*DAY, hour, tzinfo=ZoneInfo(building.timezone))
    end = start + HOUR
    signal = make_signal("SIMPLE", start=start, duration=HOUR, level=2)
    clock = ManualClock(start - WARMUP)
    brain = BuildingBrain.simulated(path, clock, seed=SEED)
    clock.advance(start - clock.now())
    plan = brain.plan("bench", 0, [signal])
    assert plan is not None
    until = plan.until
    while clock.now() < until + HOUR:
        clock.advance(QUARTER)
        brain.tick()
    final = brain.latest("bench") or plan
    event = final.request.in_event
    baseline = float(np.mean(final.request.baseline_kw.to_numpy()[event]))
    normal = MeteredBuilding.from_file(path, start=start - WARMUP, seed=SEED)
    normal.advance(until + HOUR)
    return {
        "baseline": baseline,
        "no_event": _peak(normal, end, end + HOUR),
        "rebound": _peak(brain.meter, end, end + HOUR),
        "later": _peak(brain.meter, until, until + HOUR),
        "no_event_later": _peak(normal, until, until + HOUR),
    }


def _pct(value: float, reference: float) -> str:
    """`value` above `reference` [%], or "-" for a reference below 1 kW (a % of nearly
    nothing, or of an exporting home, says little)."""
    return f"{value / reference - 1:>+9.1%}" if reference >= 1.0 else f"{'-':>9}"


def main() -> None:
    """Print the rebound table and the worst rebound against the no-event load."""
    logging.getLogger("ven").setLevel(logging.ERROR)  # the plans' shortfall warnings
    print("loads in kW (15-min means); vs = peak above the no-event peak / the event's baseline")
    print(f"{'building':<9}{'start':>6}{'baseline':>9}{'no-event':>9}{'rebound':>9}"
          f"{'excess':>8}{'vs no-ev':>9}{'vs base':>9}{'later':>8}{'no-ev':>8}")
    worst = 0.0
    for name in BUILDINGS:
        for hour in HOURS:
            r = run(name, hour)
            excess = r["rebound"] - r["no_event"]
            if r["no_event"] >= 1.0:
                worst = max(worst, r["rebound"] / r["no_event"] - 1)
            if r["no_event_later"] >= 1.0:
                worst = max(worst, r["later"] / r["no_event_later"] - 1)
            print(f"{name:<9}{hour:>4}h {r['baseline']:>9.1f}{r['no_event']:>9.1f}"
                  f"{r['rebound']:>9.1f}{excess:>+8.1f}{_pct(r['rebound'], r['no_event'])}"
                  f"{_pct(r['rebound'], r['baseline'])}{r['later']:>8.1f}"
                  f"{r['no_event_later']:>8.1f}", flush=True)
    print(f"worst peak above the no-event peak (recovery hour or the hour after, no-event "
          f">= 1 kW): {worst:+.1%}")


if __name__ == "__main__":
    main()
