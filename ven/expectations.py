"""What the plans expect to deliver, as ``oadr-ven status`` shows it (text and JSON), from the
expectations the running VEN stores (``TelemetryStore.expectations``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ven.client.telemetry import Expected

__all__ = ["expected_json", "expected_lines"]


def _mean(rows: Sequence[Expected], field: str) -> float:
    hours = sum(r.duration_s for r in rows)
    return sum(getattr(r, field) * r.duration_s for r in rows) / hours if hours else 0.0


def expected_json(rows: Sequence[Expected]) -> dict[str, Any] | None:
    """One event's expectation: means over the event [kW], expected / requested [%], and per
    interval start, length [s], baseline, requested and expected shed [kW] and reasons; None
    without rows."""
    if not rows:
        return None
    requested, expected = _mean(rows, "requested_kw"), _mean(rows, "expected_kw")
    return {
        "modification_number": rows[0].modification_number,
        "planned_at": rows[0].planned_at.isoformat(),
        "requested_kw": round(requested, 3), "expected_kw": round(expected, 3),
        "expected_pct": round(100.0 * expected / requested, 1) if requested > 1e-9 else None,
        "intervals": [{
            "start": r.start.isoformat(), "duration_s": r.duration_s,
            "baseline_kw": r.baseline_kw, "requested_kw": r.requested_kw,
            "expected_kw": r.expected_kw,
            "expected_pct": None if r.expected_pct is None else round(r.expected_pct, 1),
            "reasons": list(r.reasons)} for r in rows],
    }


def expected_lines(rows: Sequence[Expected]) -> list[str]:
    """``expects 61 kW of the 100 kW asked (61 %)``, then one line per interval that falls
    short (with its reasons); nothing without rows."""
    found = expected_json(rows)
    if found is None:
        return []
    pct = found["expected_pct"]
    lines = [f"    expects {found['expected_kw']:.0f} kW of the {found['requested_kw']:.0f} kW "
             f"asked" + ("" if pct is None else f" ({pct:.0f} %)")]
    for number, r in enumerate(rows, start=1):
        if r.reasons:
            lines.append(f"    interval {number} ({r.start:%H:%M} UTC): {r.expected_kw:.0f} of "
                         f"{r.requested_kw:.0f} kW ({'; '.join(r.reasons)})")
    return lines
