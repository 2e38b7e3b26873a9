"""The building dashboard's charts as SVG, drawn by matplotlib from the building API's JSON.

Pure functions: JSON in, SVG bytes out (the plumbing is ``common.dashboard.charts``).
"""

from __future__ import annotations

from typing import Any

from common.dashboard.charts import instant, message_svg, svg_bytes, time_axes

__all__ = ["flexibility_svg", "plan_svg"]

Json = dict[str, Any]

_SERIES = (  # key, label, colour, line style: dark enough on white for WCAG AA
    ("baseline_kw", "baseline", "#4d4d4d", "--"),
    ("target_kw", "target", "#0b5cad", ":"),
    ("planned_kw", "planned", "#6b21a8", "-."),
    ("measured_kw", "measured", "#c2410c", "-"),
)


def plan_svg(plan: Json) -> bytes:
    """Baseline, target, planned and measured load [kW] per plan interval (step lines), from
    ``GET /plan``; the event's intervals shaded."""
    body = plan.get("plan")
    if not body or not body.get("intervals"):
        return message_svg("No plan: the building takes part in no event now or next.")
    intervals = body["intervals"]
    starts = [instant(i["start"]) for i in intervals]
    figure, (ax,) = time_axes(1, height=3.2)
    for key, label, colour, style in _SERIES:
        points = [(t, i[key]) for t, i in zip(starts, intervals, strict=True)
                  if i.get(key) is not None]
        if points:
            ax.step([p[0] for p in points], [p[1] for p in points], where="post",
                    label=f"{label} [kW]", color=colour, linestyle=style, linewidth=2)
    inside = [t for t, i in zip(starts, intervals, strict=True) if i.get("in_event")]
    if inside:
        ax.axvspan(inside[0], instant(body["end"]), color="#0b5cad", alpha=0.08,
                   label="event")
    ax.set_title(f"Plan for event {body['event_id']}", fontsize=10, loc="left")
    ax.set_ylabel("kW")
    ax.legend(loc="lower left", fontsize=8, ncols=5)
    return svg_bytes(figure)


def flexibility_svg(flexibility: Json) -> bytes:
    """Sheddable power [kW] per hour, stacked by device, from ``GET /flexibility``."""
    hours = flexibility.get("hours") or []
    if not hours:
        return message_svg("No flexibility forecast: the building has no sheddable device.")
    starts = [instant(h["start"]) for h in hours]
    devices = sorted({d["device_id"] for h in hours for d in h["devices"]})
    figure, (ax,) = time_axes(1, height=3.2)
    bottom = [0.0] * len(hours)
    width = 0.9 / 24  # days: a bar nine tenths of an hour wide
    for device in devices:
        values = [sum(d["sheddable_kw"] for d in h["devices"] if d["device_id"] == device)
                  for h in hours]
        if any(values):
            ax.bar(starts, values, width=width, bottom=bottom, align="edge", label=device)
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_title("Sheddable power per hour", fontsize=10, loc="left")
    ax.set_ylabel("kW")
    ax.legend(loc="upper left", fontsize=8, ncols=3)
    return svg_bytes(figure)
