"""Logging: short lines on stderr, full details (tracebacks) in the log file."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TextIO

from cop_bot.config import Settings


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is when a record comes, not the stream it was at set-up:
    a thread that logs late (after a test's capture closed) must not hit a closed stream."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _: TextIO) -> None:
        pass


class _NoTraceback(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        try:
            return super().format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved


def _only_what_is_kept(root: logging.Logger) -> None:
    """The root logger's level is the lowest any handler keeps: below it, a library's
    `log.debug(...)` returns at once instead of building a record nobody writes (slack_bolt and
    slack_sdk log several per request; at DEBUG that cost a third of `cop-bot run`'s
    throughput)."""
    root.setLevel(min((h.level for h in root.handlers), default=logging.WARNING))


def log_file(settings: Settings) -> Path:
    return (
        Path(settings.log_file) if settings.log_file else Path(settings.state_dir) / "cop-bot.log"
    )


def setup_logging(settings: Settings, *, stderr_level: int) -> Path:
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    stderr = _Stderr()
    stderr.setLevel(stderr_level)
    stderr.setFormatter(_NoTraceback("cop-bot: %(levelname)s %(message)s"))
    root.addHandler(stderr)
    path = log_file(settings)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        file_handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        _only_what_is_kept(root)
        return path
    file_handler.setLevel(getattr(logging, settings.log_level.upper(), logging.INFO))
    file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(file_handler)
    _only_what_is_kept(root)
    for noisy in ("alembic", "sqlalchemy"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return path
