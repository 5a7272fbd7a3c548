"""iCalendar (.ics) for one session or series, and a channel's private subscription feed.

Times are written with their IANA zone (TZID) and a VTIMEZONE, so a client evaluates a series'
RRULE in the session's zone and a 15:00 Rome meeting stays at 15:00 Rome time after a DST
change. The UID is stable per session; SEQUENCE grows with every change; cancelled occurrences
are EXDATEs, moved ones separate VEVENTs with a RECURRENCE-ID, and a cancelled session has
STATUS:CANCELLED.

The platform's HTTP server serves `feed_ics` at `/calendar/<token>.ics` (see `feed_path`).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from cop_bot.sessions.meetings import CANCELLED, changes_for, meeting_zone
from cop_bot.storage.db import session_scope
from cop_bot.storage.models import CalendarFeed, Community, Meeting, MeetingChange

if TYPE_CHECKING:  # icalendar is loaded when a file is written, not by every command
    from icalendar import Calendar, Event

PRODID = "-//cop-bot//community sessions//EN"
FEED_WINDOW_DAYS = 90  # past sessions kept in a channel feed


def uid(s: Meeting, community: Community) -> str:
    return f"session-{s.id}-{community.platform}-{community.external_id}@cop-bot".replace(" ", "_")


def _calendar(name: str | None = None) -> Calendar:
    from icalendar import Calendar

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if name:
        cal.add("x-wr-calname", name)
    return cal


def _event(
    s: Meeting,
    community: Community,
    stamp: datetime,
    start: datetime,
    *,
    recurrence_id: datetime | None = None,
) -> Event:
    """A VEVENT for the session starting at `start` (an occurrence when `recurrence_id`)."""
    from icalendar import Event

    event = Event()
    event.add("uid", uid(s, community))
    event.add("dtstamp", stamp)
    event.add("sequence", s.sequence)
    event.add("summary", s.title)
    if recurrence_id is not None:
        event.add("recurrence-id", recurrence_id)
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=s.duration_minutes))
    if s.link:
        event.add("url", s.link)
        event.add("location", s.link)
    return event


def _events(
    s: Meeting, changes: Sequence[MeetingChange], community: Community, stamp: datetime
) -> list[Event]:
    zone = meeting_zone(s)
    master = _event(s, community, stamp, s.starts_at.astimezone(zone))
    master.add("status", "CANCELLED" if s.status == CANCELLED else "CONFIRMED")
    if s.cancel_reason:
        master.add("description", s.cancel_reason)
    events = [master]
    if s.rrule is None:
        return events
    from icalendar.prop import vRecur

    master.add("rrule", vRecur.from_ical(s.rrule))
    exdates = [c.original_start.astimezone(zone) for c in changes if c.cancelled]
    if exdates:
        master.add("exdate", exdates)
    for change in changes:
        if change.new_start is None or change.cancelled:
            continue
        events.append(
            _event(
                s,
                community,
                stamp,
                change.new_start.astimezone(zone),
                recurrence_id=change.original_start.astimezone(zone),
            )
        )
    return events


def _finish(cal: Calendar, meetings: Sequence[Meeting]) -> str:
    if meetings:
        first = min(s.starts_at for s in meetings).date() - timedelta(days=366)
        cal.add_missing_timezones(first_date=first, last_date=date(first.year + 20, 1, 1))
    return str(cal.to_ical().decode("utf-8"))


def meeting_ics(session: Session, s: Meeting, community: Community, now: datetime) -> str:
    """One session or series as a calendar file."""
    assert s.id is not None
    cal = _calendar()
    cal.add("method", "PUBLISH")
    for event in _events(s, changes_for(session, [s.id])[s.id], community, now):
        cal.add_component(event)
    return _finish(cal, [s])


# ---- channel feeds -----------------------------------------------------------------------------


def new_token() -> str:
    return secrets.token_urlsafe(24)


def feed_path(token: str) -> str:
    return f"/calendar/{token}.ics"


def channel_feed(
    session: Session, community_id: int, channel_id: str, now: datetime, *, reset: bool
) -> CalendarFeed:
    """The channel's feed, made on first use; `reset` gives it a new token (the old address
    stops working)."""
    feed = session.exec(
        select(CalendarFeed).where(
            CalendarFeed.community_id == community_id, CalendarFeed.channel_id == channel_id
        )
    ).first()
    if feed is None:
        feed = CalendarFeed(
            community_id=community_id, channel_id=channel_id, token=new_token(), created_at=now
        )
    elif reset:
        feed.token, feed.created_at = new_token(), now
    session.add(feed)
    session.flush()
    return feed


def channel_ics(
    session: Session, community: Community, channel_id: str, now: datetime, *, name: str
) -> str:
    """Every session of a channel that is not long over, cancelled ones included (so clients
    that imported them see STATUS:CANCELLED)."""
    since = now - timedelta(days=FEED_WINDOW_DAYS)
    found = [
        s
        for s in session.exec(
            select(Meeting)
            .where(Meeting.community_id == community.id, Meeting.channel_id == channel_id)
            .order_by(col(Meeting.id))
        ).all()
        if s.rrule is not None or s.starts_at >= since
    ]
    changes = changes_for(session, [s.id for s in found if s.id is not None])
    cal = _calendar(name)
    for s in found:
        assert s.id is not None
        for event in _events(s, changes[s.id], community, now):
            cal.add_component(event)
    return _finish(cal, found)


def feed_ics(session: Session, token: str, now: datetime) -> str | None:
    """What `/calendar/<token>.ics` serves; None for an unknown (or reset) token -> 404."""
    if not token or len(token) > 64:
        return None
    feed = session.exec(select(CalendarFeed).where(CalendarFeed.token == token)).first()
    if feed is None:
        return None
    community = session.get(Community, feed.community_id)
    if community is None:
        return None
    name = f"{community.name} · #{feed.channel_id}"
    return channel_ics(session, community, feed.channel_id, now, name=name)


def calendar_feed(engine: Engine, token: str, now: datetime) -> str | None:
    """`feed_ics` in a storage session of its own, for the web server, which only holds the
    engine (platform code never opens a session)."""
    with session_scope(engine) as session:
        return feed_ics(session, token, now)
