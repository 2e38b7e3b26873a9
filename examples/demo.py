"""``make demo``: for now, the example buildings planned and simulated through two events each.

This entry point will become the full VTN + VEN demo; the per-building planning lives in
``examples.plan_events`` so that it can be reused then.
"""

from __future__ import annotations

import sys

from examples.plan_events import main

if __name__ == "__main__":
    sys.exit(main())
