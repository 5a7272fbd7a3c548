"""The engine and its sessions: one session, one transaction, per command or job.

Alembic is imported only when the schema has to change: every `cop-bot query` checks the
schema, and on an up-to-date database that check is one SELECT, not Alembic with its
migration scripts (which import slack-sdk for its tables), a third of the command's start-up.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "alembic_version"
_REVISION_LINE = re.compile(
    r"""^(down_revision|revision)\b[^=\n]*=\s*(?:"([^"\n]*)"|'([^'\n]*)'|None)""", re.MULTILINE
)
SQLITE_BUSY_TIMEOUT_MS = 5000


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine with the settings each backend needs to be safe under concurrent use.

    SQLite: WAL, a busy timeout, foreign keys on, and `BEGIN IMMEDIATE` for every transaction
    so a read that later writes cannot fail with "database is locked" half-way through.
    PostgreSQL: `pool_pre_ping` so a restarted server does not fail the next command.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


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
        conn.exec_driver_sql("BEGIN IMMEDIATE")


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
    """Apply migrations up to `revision`; the only way the schema is created. A database
    already at the head is left alone without loading Alembic."""
    if (
        revision == "head"
        and (head := quick_head()) is not None
        and current_revision(engine) == head
    ):
        return
    from alembic import command as alembic_command

    alembic_command.upgrade(alembic_config(engine), revision)


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
