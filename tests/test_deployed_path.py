"""What `cop-bot run` pays per request that a hand-built bot does not: the costs found while
measuring the deployed path (benchmarks/bench_slack.py), each pinned by a test."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from cop_bot.config import Settings
from cop_bot.logs import setup_logging


@pytest.fixture
def root_logger() -> Iterator[logging.Logger]:
    """The root logger, put back as it was (setup_logging replaces its handlers)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield root
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def test_library_debug_records_are_not_built_when_no_handler_keeps_them(
    root_logger: logging.Logger, tmp_path: Path
) -> None:
    """slack_bolt and slack_sdk call `log.debug` several times per request; with the root logger
    at DEBUG each call built a record that both handlers then dropped (a third of the
    throughput of `cop-bot run`)."""
    setup_logging(Settings(state_dir=str(tmp_path), log_level="INFO"), stderr_level=logging.INFO)
    assert not logging.getLogger("slack_bolt.App").isEnabledFor(logging.DEBUG)
    assert logging.getLogger("slack_bolt.App").isEnabledFor(logging.INFO)


def test_debug_logging_still_reaches_the_log_file_when_asked_for(
    root_logger: logging.Logger, tmp_path: Path
) -> None:
    path = setup_logging(
        Settings(state_dir=str(tmp_path), log_level="DEBUG"), stderr_level=logging.WARNING
    )
    logging.getLogger("cop_bot.test").debug("a detail for the operator")
    for handler in root_logger.handlers:
        handler.flush()
    assert "a detail for the operator" in path.read_text(encoding="utf-8")


def test_without_a_log_file_records_stop_at_the_stderr_level(
    root_logger: logging.Logger, tmp_path: Path
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    setup_logging(Settings(log_file=str(blocked / "cop-bot.log")), stderr_level=logging.WARNING)
    assert not logging.getLogger("slack_sdk").isEnabledFor(logging.INFO)
