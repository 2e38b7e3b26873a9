"""The dashboard's charts as SVG, drawn by matplotlib from the admin API's JSON.

Pure functions: JSON in, SVG bytes out (the plumbing is ``common.dashboard.charts``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from common.dashboard.charts import instant as _instant
from common.dashboard.charts import message_svg as _empty
from common.dashboard.charts import svg_bytes as _svg
from common.dashboard.charts import time_axes

__all__ = ["performance_svg", "readings_svg"]

Json = dict[str, Any]

_COLOURS = {"baseline": "#4d4d4d", "target": "#0b5cad", "actual": "#c2410c"}
_STYLES = {"baseline": "--", "target": ":", "actual": "-"}
_MAX_PANELS = 8


def performance_svg(performance: Json) -> bytes:
    """Per VEN, baseline, target and actual [kW] over the event's intervals (step lines), from
    ``GET /events/{id}/performance``."""
    rows = [r for r in performance.get("performance", []) if r.get("intervals")]
    if not rows:
        return _empty("No performance yet: no VEN has reported in the event's window.")
    rows = rows[:_MAX_PANELS]
    figure, axes = time_axes(len(rows))
    for ax, row in zip(axes, rows, strict=True):
        intervals = row["intervals"]
        starts = [_instant(i["start"]) for i in intervals]
        for series in ("baseline", "target", "actual"):
            values = [i.get(f"{series}_kw") for i in intervals]
            points = [(t, v) for t, v in zip(starts, values, strict=True) if v is not None]
            if points:
                ax.step([p[0] for p in points], [p[1] for p in points], where="post",
                        label=f"{series} [kW]", color=_COLOURS[series],
                        linestyle=_STYLES[series], linewidth=2)
        name = row.get("ven_name") or row["ven_id"]
        ax.set_title(f"{name} ({row['participation']})", fontsize=10, loc="left")
        ax.set_ylabel("kW")
        ax.legend(loc="lower left", fontsize=8, ncols=3)
    return _svg(figure)


def readings_svg(readings: Json, ven_label: str) -> bytes:
    """A VEN's reported values over time, one line per report type and rID, from
    ``GET /reports/readings?ven_id=``."""
    series: dict[str, list[tuple[datetime, float]]] = {}
    for r in readings.get("readings", []):
        if r.get("value") is None:
            continue
        unit = f"{r.get('scale') or ''}{r.get('item_units') or ''}".strip()
        key = f"{r['report_type']} {r['r_id']}" + (f" [{unit}]" if unit else "")
        series.setdefault(key, []).append((_instant(r["start"]), float(r["value"])))
    if not series:
        return _empty(f"No readings from {ven_label} yet.")
    figure, (ax,) = time_axes(1)
    for key, points in sorted(series.items())[:12]:
        points.sort()
        ax.plot([p[0] for p in points], [p[1] for p in points], label=key, linewidth=1.6)
    ax.set_title(f"Readings of {ven_label}", fontsize=10, loc="left")
    ax.legend(loc="best", fontsize=8)
    return _svg(figure)
