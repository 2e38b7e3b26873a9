"""Run every benchmark module (``bench_*.py``) in this folder, or those named on the command line.

Usage: python -m tests.benchmarks [NAME ...]   e.g. `python -m tests.benchmarks codec`
Each module exposes ``main() -> None`` that prints its own table. The long ones (``OPT_IN``:
``energy``, ``scale``, ``push_fanout``, ``soak``) run only when named. ``delivery`` (VTN and VEN
processes through a simulated day per season, about 7 minutes) runs by default;
``BENCH_QUICK=1`` shortens it (and ``dispatch``).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

OPT_IN = ("bench_energy", "bench_push_fanout", "bench_scale", "bench_soak")
"""Benchmarks of many minutes (simulated weeks of the energy manager, 100,000 VENs, a 30-minute
soak): left out unless named."""


def main(argv: list[str]) -> int:
    """Import and run the selected benchmark modules in name order."""
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    named = [n for n in names if n.removeprefix("bench_") in argv or n in argv]
    wanted = named or ([n for n in names if n not in OPT_IN] if not argv else [])
    if not wanted:
        print(f"no benchmark matches {argv}; have: {', '.join(names)}", file=sys.stderr)
        return 2
    for name in wanted:
        print(f"\n=== {name} ===", flush=True)
        importlib.import_module(f"tests.benchmarks.{name}").main()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
