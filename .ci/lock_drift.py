"""Print how the running environment's packages differ from the lock (``make test-latest``)."""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

from packaging.markers import Marker
from packaging.utils import canonicalize_name

_PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")


def locked(path: Path) -> dict[str, str]:
    """Package name -> version pinned for this interpreter in a requirements lock."""
    pins: dict[str, str] = {}
    for line in path.read_text().splitlines():
        match = _PIN.match(line)
        if match is None:
            continue
        name, version, marker = match.groups()
        if marker and not Marker(marker).evaluate():
            continue
        pins[canonicalize_name(name)] = version
    return pins


def main(argv: list[str]) -> int:
    """Compare installed distributions with the lock named on the command line."""
    pins = locked(Path(argv[1]))
    installed = {
        canonicalize_name(dist.metadata["Name"]): dist.version for dist in metadata.distributions()
    }
    rows = [
        f"  {name}: {pins[name]} locked, {installed[name]} here"
        for name in sorted(pins.keys() & installed.keys())
        if pins[name] != installed[name]
    ]
    print(f"{len(rows)} package(s) differ from {argv[1]}:" if rows else f"Same as {argv[1]}.")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
