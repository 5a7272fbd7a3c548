"""The calendar feeds the web server hands out (`/calendar/<token>.ics`), each read in a storage
session of its own, so the web server only passes the engine."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from cop_bot.sessions.calendar import feed_ics
from cop_bot.storage.db import session_scope


def calendar_feed(engine: Engine, token: str, now: datetime) -> str | None:
    """The feed's iCalendar text; None for an unknown (or reset) token, which is a 404."""
    with session_scope(engine) as session:
        return feed_ics(session, token, now)
