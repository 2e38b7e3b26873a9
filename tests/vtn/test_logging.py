"""The operator's log: Alembic's chatter about its own setup stays out of it."""

from __future__ import annotations

import logging

from vtn import server


def test_alembic_info_lines_do_not_reach_the_operators_log():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    alembic = logging.getLogger("alembic")
    before = alembic.level
    try:
        server._configure_logging("INFO", None)
        assert not logging.getLogger("alembic.runtime.migration").isEnabledFor(logging.INFO)
        assert logging.getLogger("alembic.runtime.migration").isEnabledFor(logging.WARNING)
        assert logging.getLogger("oadr.vtn.server").isEnabledFor(logging.INFO)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        alembic.setLevel(before)
