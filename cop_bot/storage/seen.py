"""`seen_request` rows: claimed with one `INSERT … ON CONFLICT DO NOTHING` (SQLite and
PostgreSQL both have it), so two replicas claiming the same key at once cannot both win, and
no one has to read first. Core statements on a plain connection: this runs on every request."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col

from cop_bot.storage.models import SeenRequest

_TABLE = SeenRequest.__table__  # type: ignore[attr-defined]
# psycopg reports no row count for this statement: PostgreSQL gives the row back instead.
_CLAIM_POSTGRESQL = (
    postgresql.insert(_TABLE).on_conflict_do_nothing().returning(col(SeenRequest.key))
)
# SQLite's row count is exact (and RETURNING would need SQLite 3.35).
_CLAIM_SQLITE = sqlite.insert(_TABLE).on_conflict_do_nothing()


def claim(connection: Connection, key: str, now: datetime) -> bool:
    """Insert `key`; False when it is already there (someone claimed it first)."""
    values = {"key": key, "seen_at": now}
    if connection.dialect.name == "postgresql":
        return connection.execute(_CLAIM_POSTGRESQL, values).first() is not None
    return connection.execute(_CLAIM_SQLITE, values).rowcount == 1


def prune(connection: Connection, before: datetime) -> int:
    """Forget keys claimed before `before`; how many were forgotten."""
    result = connection.execute(delete(_TABLE).where(col(SeenRequest.seen_at) < before))
    return int(result.rowcount or 0)
