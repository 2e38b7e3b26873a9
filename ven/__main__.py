"""``python -m ven``: the ``oadr-ven`` command."""

import sys

from ven.cli import main

sys.exit(main())
