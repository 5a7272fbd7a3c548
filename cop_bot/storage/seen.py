"""`seen_request` rows: claimed with one `INSERT … ON CONFLICT DO NOTHING` (SQLite and
PostgreSQL both have it), so two replicas claiming the same key at once cannot both win, and
no one has to read first."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from cop_bot.storage.models import SeenRequest


def claim(session: Session, key: str, now: datetime) -> bool:
    """Insert `key`; False when it is already there (someone claimed it first)."""
    if session.get_bind().dialect.name == "postgresql":
        # psycopg reports no row count for this statement: ask for the row back instead
        statement = (
            postgresql.insert(SeenRequest)
            .values(key=key, seen_at=now)
            .on_conflict_do_nothing()
            .returning(col(SeenRequest.key))
        )
        return session.execute(statement).first() is not None
    # SQLite: its row count is exact, and RETURNING needs SQLite 3.35
    result = session.execute(
        sqlite.insert(SeenRequest).values(key=key, seen_at=now).on_conflict_do_nothing()
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def prune(session: Session, before: datetime) -> int:
    """Forget keys claimed before `before`; how many were forgotten."""
    result = session.execute(delete(SeenRequest).where(col(SeenRequest.seen_at) < before))
    return int(getattr(result, "rowcount", 0) or 0)
