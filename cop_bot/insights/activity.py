"""Weekly active members: one row per member and week in which they ran any command.

Written by the router in the command's own transaction (so a refused command writes nothing).
The row says only *that* the member was active that week, not what they ran.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from cop_bot.storage.models import MemberWeek


def week_of(now: datetime) -> date:
    """The Monday (UTC) of `now`'s week."""
    day = now.astimezone(UTC).date() if now.tzinfo is not None else now.date()
    return day - timedelta(days=day.weekday())


def record(session: Session, community_id: int, member_id: int, now: datetime) -> None:
    """Idempotent, and safe when two commands of one member commit at the same moment."""
    values = {"community_id": community_id, "member_id": member_id, "week": week_of(now)}
    table = MemberWeek.__table__  # type: ignore[attr-defined]
    if session.get_bind().dialect.name == "postgresql":
        session.execute(pg_insert(table).values(**values).on_conflict_do_nothing())
    else:
        session.execute(sqlite_insert(table).values(**values).on_conflict_do_nothing())
