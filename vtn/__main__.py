"""``python -m vtn``: the ``oadr-vtn`` command."""

import sys

from vtn.cli import main

sys.exit(main())
