"""Where `cop-bot demo` may write. It creates a new file, or replaces (with --force) a database
it made itself, recognised by a mark in SQLite's `application_id` header field, so a real
database or a text file given as `--path` by mistake is never overwritten. A fresh demo is built
in a scratch file and moved into place only when complete: a failure leaves the old file as it
was."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from enum import Enum
from pathlib import Path

from cop_bot.core.errors import UsageError

DEMO_APPLICATION_ID = 0x636F7064
"""`copd`, written into the demo database's header (`PRAGMA application_id`)."""
SIDE_FILES = ("-wal", "-shm", "-journal")


class Target(Enum):
    NEW = "new"
    """Nothing is at the path yet."""
    REPLACE = "replace"
    """A demo database is there and --force asks for a fresh one."""
    KEEP = "keep"
    """A demo database is there: open it as it is."""


def is_demo_database(path: Path) -> bool:
    """True when `path` is a SQLite database that `cop-bot demo` marked; reads, never writes."""
    if not path.is_file():
        return False
    try:
        uri = f"{path.resolve().as_uri()}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True)) as conn:
            row = conn.execute("PRAGMA application_id").fetchone()
    except sqlite3.Error:
        return False
    return bool(row) and row[0] == DEMO_APPLICATION_ID


def choose_target(path: Path, *, force: bool) -> Target:
    """What to do with `path`; refuses anything that is not a demo database."""
    if not path.exists():
        return Target.NEW
    if path.is_dir():
        raise UsageError(f"{path} is a folder; give --path a file name such as cop_bot_demo.db.")
    if not is_demo_database(path):
        raise UsageError(
            f"{path} already exists and is not a demo database made by `cop-bot demo`, so I "
            "leave it untouched (--force replaces demo databases only); choose another --path."
        )
    return Target.REPLACE if force else Target.KEEP


def mark(path: Path) -> None:
    """Write the demo mark into a database nobody else has open."""
    with closing(sqlite3.connect(path)) as conn:
        conn.execute(f"PRAGMA application_id = {DEMO_APPLICATION_ID}")
        conn.commit()


@contextmanager
def built_in_place_of(path: Path) -> Iterator[Path]:
    """A scratch path next to `path`. When the block succeeds (and has closed every connection
    to it), the scratch database replaces `path`; when it fails, the scratch file goes and
    `path` stays as it was."""
    scratch = path.with_name(f".{path.name}.building")
    _remove(scratch)
    try:
        yield scratch
    except BaseException:
        _remove(scratch)
        raise
    for suffix in SIDE_FILES:  # the old database's journal must not meet the new file
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    scratch.replace(path)
    _remove(scratch)


def _remove(database: Path) -> None:
    for suffix in ("", *SIDE_FILES):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
