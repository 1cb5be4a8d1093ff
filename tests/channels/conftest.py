"""Shared by the channel tests."""
from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bot.logging_privacy import TALKATIVE_LOGGERS


@pytest.fixture
def restore_log_levels() -> Iterator[None]:
    """The libraries' loggers as a fresh process has them (an earlier test may have quietened
    them through the CLI's logging set-up), put back afterwards."""
    levels = {name: logging.getLogger(name).level for name in TALKATIVE_LOGGERS}
    for name in TALKATIVE_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET)
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
