"""SVG chart plumbing for the dashboards: matplotlib's object API (no pyplot, no global figure
state), imported when the first chart is drawn so that neither server starts with it."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

__all__ = ["instant", "message_svg", "svg_bytes", "time_axes"]


def instant(text: str) -> datetime:
    """An ISO 8601 time from the APIs' JSON (``Z`` or an offset)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def svg_bytes(figure: Any) -> bytes:
    """`figure` as SVG (no date in its metadata, so equal data give equal bytes)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return buffer.getvalue()


def time_axes(panels: int, *, height: float = 2.2) -> tuple[Any, list[Any]]:
    """A figure of `panels` stacked axes with concise date ticks and a light grid."""
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8.0, height * panels + 0.6), layout="constrained")
    axes = list(figure.subplots(panels, 1, squeeze=False)[:, 0])
    for ax in axes:
        locator = AutoDateLocator()  # type: ignore[no-untyped-call]  # matplotlib leaves it unannotated
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(
            ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]  # as above
        ax.grid(True, color="#d0d0d0", linewidth=0.6)
    return figure, axes


def message_svg(message: str) -> bytes:
    """A chart-sized SVG that only says `message` (no data yet)."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8.0, 1.2))
    figure.text(0.5, 0.5, message, ha="center", va="center", fontsize=11)
    return svg_bytes(figure)
