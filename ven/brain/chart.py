"""A PNG chart of a dry run: baseline, target, planned and measured load [kW] (matplotlib Agg)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from ven.brain.dryrun import DryRun
from ven.brain.words import signal_words

__all__ = ["write_chart"]


def write_chart(run: DryRun, path: str | Path) -> Path:
    """Write the chart of `run` to `path` (folders are created); returns the path."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # no pyplot, no global backend
    from matplotlib.dates import DateFormatter
    from matplotlib.figure import Figure

    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    table = run.outcome.table
    zone = ZoneInfo(run.building.timezone)
    end = table.index[-1] + pd.Timedelta(hours=float(table["duration_h"].iloc[-1]))
    x = table.index.append(pd.DatetimeIndex([end])).tz_convert(zone).tz_localize(None)
    fig = Figure(figsize=(8, 4), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    lines: tuple[tuple[str, str, dict[str, Any]], ...] = (
             ("baseline_kw", "baseline", {}), ("target_kw", "target", {"linestyle": "--"}),
             ("planned_kw", "planned", {"alpha": 0.5}),
             ("measured_kw", "measured", {"linewidth": 2}))
    for column, label, style in lines:
        values = table[column].to_numpy(dtype=float)
        ax.step(x, np.append(values, values[-1]), where="post", label=label, **style)
    ax.xaxis.set_major_formatter(DateFormatter("%H:%M"))
    ax.set_ylabel("load [kW]")
    ax.set_xlabel(f"interval start ({run.building.timezone})")
    pct = run.totals()["delivered_pct"]
    ax.set_title(f"{run.building.name}: {signal_words(run.plan.signals)}"
                 + ("" if pct is None else f", {pct:.0f} % delivered"))
    ax.legend()
    fig.savefig(out, dpi=100)
    return out
