"""Logging: short lines on stderr, full details (tracebacks) in the log file."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TextIO

from cop_bot.config import Settings

FILE_ONLY = {"file_only": True}
"""`extra=` for a record the user already got in their own words on stderr: it goes to the log
file only, so the terminal shows one line, not two."""


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is when a record comes, not the stream it was at set-up:
    a thread that logs late (after a test's capture closed) must not hit a closed stream."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(record, "file_only", False) and bool(super().filter(record))

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


def log_file(settings: Settings) -> Path:
    return (
        Path(settings.log_file) if settings.log_file else Path(settings.state_dir) / "cop-bot.log"
    )


def setup_logging(settings: Settings, *, stderr_level: int) -> Path:
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
        file_handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        return path
    file_handler.setLevel(getattr(logging, settings.log_level.upper(), logging.INFO))
    file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(file_handler)
    for noisy in ("alembic", "sqlalchemy"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return path
