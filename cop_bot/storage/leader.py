"""Locks that make one process of several the leader for something: the scheduled jobs, or the
Matrix account whose device only one process may sync.

On PostgreSQL a lock is a session-level advisory lock (`pg_try_advisory_lock`) held on a
connection of its own, outside the pool, for as long as the process leads. PostgreSQL drops it
the moment that connection closes, so a leader that dies (even by SIGKILL) frees it at once, and
one whose machine vanishes frees it when the server's keepalives give up (about 25 s, set per
connection below). On SQLite, where every process shares one file on one machine, it is an
exclusive `flock` on a file next to the database (`cop_bot.db.scheduler.lock`), which the
kernel frees when the process ends. An in-memory database has one process by definition.

The lock only says who *should* do the work; the work itself still claims its rows in the
database (reminders, digests), so the short overlap while a lost connection is noticed never
sends anything twice.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import socket
import sys
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Engine

SCHEDULER = "scheduler"
"""The lock of the process that runs reminders, digests and other scheduled jobs."""

# libpq settings of the lock's own connection: give up connecting after 5 s, notice a dead
# server within about 25 s (client keepalives, unacknowledged data), never wait on a statement.
CONNECTION = {
    "connect_timeout": 5,
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
    "tcp_user_timeout": 20_000,
}
# ... and the server's side of the same: drop the session (and so the lock) about 25 s after
# the leader's machine stops answering.
SESSION = {
    "statement_timeout": "5000",
    "tcp_keepalives_idle": "10",
    "tcp_keepalives_interval": "5",
    "tcp_keepalives_count": "3",
}


class LeaderLock(Protocol):
    """Non-blocking: `acquire` and `held` return at once (within the connection's timeouts)."""

    name: str

    def acquire(self) -> bool:
        """Take the lock, or confirm it is still ours; False when another process has it.
        Raises (a database or OS error) when that cannot be known right now."""
        ...

    def held(self) -> bool:
        """Whether we still hold it; raises when that cannot be known (connection lost)."""
        ...

    def release(self) -> None: ...


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory lock key for `name` (PostgreSQL's bigint)."""
    digest = hashlib.sha256(f"cop-bot:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def holder() -> str:
    """How other processes see the leader (PostgreSQL's `application_name`, the lock file)."""
    return f"cop-bot leader {socket.gethostname()}:{os.getpid()}"


def leader_lock(engine: Engine, name: str) -> LeaderLock:
    """The lock called `name` among every process using this database."""
    backend = engine.url.get_backend_name()
    if backend == "postgresql":
        return PostgresLock(engine, name)
    database = engine.url.database or ""
    on_disk = database not in {"", ":memory:"} and not database.startswith("file:")
    if backend == "sqlite" and on_disk and sys.platform != "win32":
        path = Path(database).expanduser()
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
        return FileLock(path.with_name(f"{path.name}.{safe}.lock"), name)
    return OnlyProcess(name)


class PostgresLock:
    """A session advisory lock on a connection made for it alone (not from the pool, so that
    recycling or a pool reset can never drop it behind our back)."""

    def __init__(self, engine: Engine, name: str) -> None:
        self.engine = engine
        self.name = name
        self.key = lock_key(name)
        self._connection: Any = None

    def _connect(self) -> Any:
        dialect = self.engine.dialect
        cargs, cparams = dialect.create_connect_args(self.engine.url)
        params = {**CONNECTION, "application_name": holder(), **cparams}
        connection = dialect.loaded_dbapi.connect(*cargs, **params)
        try:
            connection.autocommit = True  # never idle in a transaction while leading
            cursor = connection.cursor()
            for setting, value in SESSION.items():
                cursor.execute("SELECT set_config(%s, %s, false)", (setting, value))
            cursor.close()
        except BaseException:
            connection.close()
            raise
        return connection

    def acquire(self) -> bool:
        if self._connection is not None:
            # a connection that is gone took the lock with it: then try afresh
            with contextlib.suppress(Exception):
                return self.held()
        connection = self._connect()
        try:
            cursor = connection.cursor()
            cursor.execute("SELECT pg_try_advisory_lock(%s)", (self.key,))
            row = cursor.fetchone()
            cursor.close()
        except BaseException:
            connection.close()
            raise
        if row is not None and row[0]:
            self._connection = connection
            return True
        connection.close()
        return False

    def held(self) -> bool:
        connection = self._connection
        if connection is None:
            return False
        try:
            cursor = connection.cursor()
            cursor.execute("SELECT 1")
            cursor.fetchone()
            cursor.close()
        except BaseException:
            self._drop()
            raise
        return True  # the session lives, so its lock does: we never unlock it but in release

    def release(self) -> None:
        connection = self._connection
        if connection is None:
            return
        try:
            with contextlib.suppress(Exception):  # closing the connection frees it anyway
                cursor = connection.cursor()
                cursor.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
                cursor.close()
        finally:
            self._drop()

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):  # already broken
                connection.close()


class FileLock:
    """An exclusive `flock` on a small file next to the SQLite database; the file names the
    holder. Nothing ever deletes it (another process may be about to lock it)."""

    def __init__(self, path: Path, name: str) -> None:
        self.path = path
        self.name = name
        self._fd: int | None = None

    def acquire(self) -> bool:
        import fcntl

        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.write(fd, f"{holder()}\n".encode())
        self._fd = fd
        return True

    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        import fcntl

        fd, self._fd = self._fd, None
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


class OnlyProcess:
    """An in-memory database: the one process that can see it leads."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._held = False

    def acquire(self) -> bool:
        self._held = True
        return True

    def held(self) -> bool:
        return self._held

    def release(self) -> None:
        self._held = False
