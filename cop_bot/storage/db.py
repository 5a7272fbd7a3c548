"""The engine and its sessions: one session, one transaction, per command or job.

Alembic is imported only when the schema has to change: every `cop-bot query` checks the
schema, and on an up-to-date database that check is one SELECT, not Alembic with its
migration scripts (which import slack-sdk for its tables), a third of the command's start-up.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from cop_bot.config import Settings
from cop_bot.storage import limits as _limits  # noqa: F401  (checks text lengths on flush)

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
MIGRATION_LOCK = 0x636F70626F74  # "copbot": the advisory lock key every replica migrates under
VERSION_TABLE = "alembic_version"
_REVISION_LINE = re.compile(
    r"""^(down_revision|revision)\b[^=\n]*=\s*(?:"([^"\n]*)"|'([^'\n]*)'|None)""", re.MULTILINE
)
SQLITE_BUSY_TIMEOUT_MS = 5000


@dataclass(frozen=True)
class Timeouts:
    """How long to wait for the database, in seconds: a database that is down or hung makes a
    command fail quickly and say so, instead of hanging past Slack's 3 s and every retry."""

    connect: float = 2.0
    statement: float = 10.0
    pool: float = 2.0

    @classmethod
    def of(cls, settings: Settings) -> Timeouts:
        return cls(
            connect=settings.db_connect_timeout,
            statement=settings.db_statement_timeout,
            pool=settings.db_pool_timeout,
        )


def engine_for(settings: Settings) -> Engine:
    """The engine of `COP_BOT_DATABASE_URL`, with the configured timeouts."""
    return make_engine(settings.database_url, timeouts=Timeouts.of(settings))


def make_engine(url: str, *, timeouts: Timeouts | None = None, **kwargs: Any) -> Engine:
    """An engine with the settings each backend needs to be safe under concurrent use.

    SQLite: WAL, a busy timeout, foreign keys on, and `BEGIN IMMEDIATE` for every transaction
    so a read that later writes cannot fail with "database is locked" half-way through.
    PostgreSQL: `pool_pre_ping` so a restarted server does not fail the next command; connect
    and statement timeouts, and TCP keepalives with a user timeout, so a server that hangs or
    a network that drops packets ends in an error rather than a wait without end.
    """
    limits = timeouts or Timeouts()
    kwargs.setdefault("pool_timeout", limits.pool)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        if database in {None, "", ":memory:"} or parsed.query.get("mode") == "memory":
            kwargs.pop("pool_timeout")  # a single-connection pool takes no timeout
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        _configure_sqlite(engine)
        return engine
    statement_ms = round(limits.statement * 1000)
    connect_args = {
        "connect_timeout": max(2, math.ceil(limits.connect)),  # libpq's least is 2 s
        "options": f"-c statement_timeout={statement_ms}",
        "keepalives": 1,
        "keepalives_idle": 30,
        "keepalives_interval": 5,
        "keepalives_count": 3,
        "tcp_user_timeout": statement_ms + 1000 * math.ceil(limits.connect),
    }
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names; None for other databases and in-memory ones. Commands that
    only look (`db current`, `config check`) check it exists first, since connecting would
    create it."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        return None
    return Path(database).expanduser()


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


_WRITERS: WeakKeyDictionary[Engine, threading.RLock] = WeakKeyDictionary()
_WRITERS_GUARD = threading.Lock()


def _writer_lock(engine: Engine) -> threading.RLock | None:
    """SQLite takes one writer at a time. Threads of one process queue here, on a lock that
    hands over the moment it is released, rather than in SQLite's busy handler, which sleeps
    (1, 2, 5 ... ms) between retries; other processes still wait in the busy handler."""
    if engine.dialect.name != "sqlite":
        return None
    with _WRITERS_GUARD:
        lock = _WRITERS.get(engine)
        if lock is None:
            lock = _WRITERS[engine] = threading.RLock()
        return lock


READ_ONLY = "cop_bot_read_only"
"""A connection's execution option for transactions that only read (see `read_scope`)."""


@contextmanager
def read_scope(bind: Engine | Connection) -> Iterator[Session]:
    """A session that only reads (the web library's pages): no writer lock and, on SQLite, a
    plain (deferred) BEGIN rather than BEGIN IMMEDIATE, so in WAL mode readers see a snapshot
    side by side, never waiting for each other or for a writer. Rolled back at the end: it has
    nothing to keep, and must never write. Given a connection, it reads on that one (no second
    checkout from the pool: on PostgreSQL each checkout costs a ping)."""
    if isinstance(bind, Connection):
        bind.execution_options(**{READ_ONLY: True})
    session = Session(bind, expire_on_commit=False)
    try:
        if isinstance(bind, Engine):
            session.connection(execution_options={READ_ONLY: True})  # before its BEGIN
        yield session
    finally:
        session.rollback()
        session.close()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """Commit if the block finishes, roll everything back if it raises."""
    lock = _writer_lock(engine)
    with lock if lock is not None else nullcontext():
        session = Session(engine, expire_on_commit=False)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


def alembic_config(engine: Engine) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to `revision`; the only way the schema is created.

    On PostgreSQL under an advisory lock: replicas that start together on an empty database
    would otherwise all create `alembic_version` and every one but the first would crash. The
    others wait for the lock, then find the schema current. Migrations run on the lock's own
    connection without the statement timeout, since rebuilding a big table may take a while.
    A database already at the head is left alone without loading Alembic.
    """
    if (
        revision == "head"
        and (head := quick_head()) is not None
        and current_revision(engine) == head
    ):
        return
    from alembic import command as alembic_command

    if engine.dialect.name != "postgresql":
        alembic_command.upgrade(alembic_config(engine), revision)
        return
    with engine.connect() as conn:
        conn.exec_driver_sql("SET statement_timeout = 0")
        if not conn.execute(
            text("SELECT pg_try_advisory_lock(:k)"), {"k": MIGRATION_LOCK}
        ).scalar():
            log.info("waiting for another process to finish migrating the database")
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
        conn.commit()
        try:
            cfg = alembic_config(engine)
            cfg.attributes["connection"] = conn
            alembic_command.upgrade(cfg, revision)
        finally:
            conn.rollback()
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK})
            conn.exec_driver_sql("RESET statement_timeout")
            conn.commit()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS))
    return script.get_current_head()


def quick_head(versions: Path = MIGRATIONS / "versions") -> str | None:
    """The newest revision, read from the migration files' `revision` and `down_revision`
    lines without importing them; None when that is not one plain chain (Alembic decides)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in versions.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        found = {m.group(1): m.group(2) or m.group(3) for m in _REVISION_LINE.finditer(source)}
        if not found.get("revision"):
            return None
        revisions.add(found["revision"] or "")
        if found.get("down_revision"):
            parents.add(found["down_revision"] or "")
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 and parents <= revisions else None


def current_revision(engine: Engine) -> str | None:
    """The database's schema revision (None for an empty database), with one SELECT."""
    with engine.connect() as conn:
        if not inspect(conn).has_table(VERSION_TABLE):
            return None
        rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    if len(rows) > 1:
        raise RuntimeError(f"The database has several schema heads: {', '.join(rows)}.")
    return rows[0] if rows else None


@contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    """A Core connection in one transaction, under the same SQLite writer lock as
    `session_scope`: for a single statement on the hot path (a claim on every request), where
    an ORM session would cost three times as much."""
    lock = _writer_lock(engine)
    with lock if lock is not None else nullcontext(), engine.begin() as connection:
        yield connection
