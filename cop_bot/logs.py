"""Logging: warnings and errors on stderr, in short lines; everything else, with tracebacks, in
the log file. stderr is where the console's prompt is, so nothing routine may land there (the
scheduler's "Job ... executed successfully" came four times a minute). The file rotates at
COP_BOT_LOG_MAX_BYTES keeping COP_BOT_LOG_BACKUPS old files (a bot left running, or flooded,
must not fill the disk)."""

from __future__ import annotations

import logging
import logging.handlers
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


FILE_ONLY = {"file_only": True}
"""`log.error(..., extra=FILE_ONLY)`: details for the log file that stderr, which already got
its one line, does not repeat."""


def _not_file_only(record: logging.LogRecord) -> bool:
    return not getattr(record, "file_only", False)


class _NoTraceback(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        try:
            return super().format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved


def log_file_open() -> bool:
    """Whether a log file takes the details; when not, "details in the log" would point nowhere."""
    return any(isinstance(h, logging.FileHandler) for h in logging.getLogger().handlers)


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


# Libraries whose INFO lines are routine, so the log file gets only their warnings: Alembic and
# SQLAlchemy always; APScheduler, which logs every run of every job, unless COP_BOT_LOG_LEVEL
# is DEBUG.
QUIET_LIBRARIES = ("alembic", "sqlalchemy")
CHATTY_UNLESS_DEBUG = ("apscheduler",)


def setup_logging(
    settings: Settings,
    *,
    stderr_level: int = logging.WARNING,
    report_unwritable: bool = True,
    rotate: bool = True,
) -> Path | None:
    """The log file's path, or None when it cannot be opened: that is said once on stderr (not
    by engine workers, `report_unwritable=False`) and the bot goes on logging to stderr only. Only one process
    rotates a file: engine workers share the bot's with `rotate=False`."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    stderr = _Stderr()
    stderr.setLevel(stderr_level)
    stderr.setFormatter(_NoTraceback("cop-bot: %(levelname)s %(message)s"))
    stderr.addFilter(_not_file_only)
    root.addHandler(stderr)
    path = log_file(settings)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        to_file = file_handler(settings, path, rotate=rotate)
    except OSError as exc:
        if report_unwritable:
            print(
                f"cop-bot: WARNING cannot open the log file {path} ({exc.strerror or exc}); "
                "going on with short messages on stderr only. Set COP_BOT_LOG_FILE to a file "
                "the bot may write.",
                file=sys.stderr,
            )
        _only_what_is_kept(root)
        return None
    file_level = getattr(logging, settings.log_level.upper(), logging.INFO)
    to_file.setLevel(file_level)
    to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(to_file)
    _only_what_is_kept(root)
    for noisy in QUIET_LIBRARIES:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    for chatty in CHATTY_UNLESS_DEBUG:
        logging.getLogger(chatty).setLevel(
            logging.DEBUG if file_level <= logging.DEBUG else logging.WARNING
        )
    return path
