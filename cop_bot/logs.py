"""Logging: short lines on stderr, full details (tracebacks) in the log file, which rotates at
COP_BOT_LOG_MAX_BYTES keeping COP_BOT_LOG_BACKUPS old files (a bot left running, or flooded,
must not fill the disk)."""

from __future__ import annotations

import logging
import logging.handlers
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


class _Rotating(logging.handlers.RotatingFileHandler):
    """Rotates once the file has reached its size, checked without formatting the record a
    second time (the standard handler formats each record twice to measure it)."""

    def shouldRollover(self, record: logging.LogRecord) -> bool:
        if self.maxBytes <= 0:
            return False
        if self.stream is None:
            self.stream = self._open()
        return self.stream.tell() >= self.maxBytes


def file_handler(settings: Settings, path: Path, *, rotate: bool) -> logging.FileHandler:
    """The log file's handler. Only one process may rotate a file: the engine's worker
    processes write to the bot's file with `rotate=False`, reopening it once it was rotated."""
    if path.exists() and not path.is_file():  # /dev/stdout in a container: nothing to rotate
        return logging.FileHandler(path, encoding="utf-8")
    if not rotate:
        return logging.handlers.WatchedFileHandler(path, encoding="utf-8")
    return _Rotating(
        path, maxBytes=settings.log_max_bytes, backupCount=settings.log_backups, encoding="utf-8"
    )


def log_file(settings: Settings) -> Path:
    return (
        Path(settings.log_file) if settings.log_file else Path(settings.state_dir) / "cop-bot.log"
    )


def setup_logging(settings: Settings, *, stderr_level: int, rotate: bool = True) -> Path:
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.setLevel(logging.DEBUG)
    stderr = _Stderr()
    stderr.setLevel(stderr_level)
    stderr.setFormatter(_NoTraceback("cop-bot: %(levelname)s %(message)s"))
    root.addHandler(stderr)
    path = log_file(settings)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        to_file = file_handler(settings, path, rotate=rotate)
    except OSError:
        return path
    to_file.setLevel(getattr(logging, settings.log_level.upper(), logging.INFO))
    to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(to_file)
    for noisy in ("alembic", "sqlalchemy"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return path
