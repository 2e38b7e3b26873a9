"""The operator's log: Alembic's chatter about its own setup stays out of it."""

from __future__ import annotations

import logging
from datetime import timedelta

from aiohttp import web

from vtn import server
from vtn.config import PollSettings, VtnConfig


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


def test_the_start_log_gives_the_poll_frequency_in_words(caplog):
    config = VtnConfig(plain_http=True, polls=PollSettings(frequency=timedelta(seconds=10)))
    with caplog.at_level(logging.INFO, logger="oadr.vtn.server"):
        server._log_start(config, web.AppRunner(web.Application()), None)
    assert "poll frequency 10 s" in caplog.text
    assert "0:00:10" not in caplog.text
