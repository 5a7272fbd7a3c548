"""iCalendar (.ics) for one session or series, and a channel's private subscription feed.

Times are written with their IANA zone (TZID) and a VTIMEZONE, so a client evaluates a series'
RRULE in the session's zone and a 15:00 Rome meeting stays at 15:00 Rome time after a DST
change. The UID is stable per session; SEQUENCE grows with every change; cancelled occurrences
are EXDATEs, moved ones separate VEVENTs with a RECURRENCE-ID, and a cancelled session has
STATUS:CANCELLED.

Every TEXT value is cleaned of invisible and bidirectional characters as the renderers clean
chat text, and escaped here (`ics_text`, RFC 5545 section 3.3.11), not left to icalendar: it
escapes only the properties it knows, so a line break in a community's name reached
`X-WR-CALNAME` raw, which broke the file and could have started a VEVENT of its own.

The platform's HTTP server serves `feed_ics` at `/calendar/<token>.ics` (see `feed_path`).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from cop_bot.render.common import safe_url, url_forbidding
from cop_bot.render.text import clean
from cop_bot.sessions.meetings import CANCELLED, changes_for, meeting_zone
from cop_bot.sessions.places import end_of
from cop_bot.storage.db import session_scope
from cop_bot.storage.models import CalendarFeed, Community, Meeting, MeetingChange

if TYPE_CHECKING:  # icalendar is loaded when a file is written, not by every command
    from icalendar import Calendar, Event
    from icalendar.prop import vInline

PRODID = "-//cop-bot//community sessions//EN"
FEED_WINDOW_DAYS = 90  # past sessions kept in a channel feed
_TEXT_ESCAPES = str.maketrans({"\\": "\\\\", ";": "\\;", ",": "\\,", "\n": "\\n"})
_URL_FORBIDDEN = url_forbidding('"<>\\')


def ics_text(value: str) -> vInline:
    """A TEXT value as it goes into the file: cleaned as chat text is, then escaped (backslash,
    semicolon, comma, line break), so no value can end its content line."""
    from icalendar.prop import vInline

    return vInline(clean(value).translate(_TEXT_ESCAPES))


def uid(s: Meeting, community: Community) -> str:
    return f"session-{s.id}-{community.platform}-{community.external_id}@cop-bot".replace(" ", "_")


def _calendar(name: str | None = None) -> Calendar:
    from icalendar import Calendar

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if name:
        cal.add("x-wr-calname", ics_text(name))
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
    event.add("uid", ics_text(uid(s, community)))
    event.add("dtstamp", stamp)
    event.add("sequence", s.sequence)
    event.add("summary", ics_text(s.title))
    if recurrence_id is not None:
        event.add("recurrence-id", recurrence_id)
    end = end_of(s, start)
    if s.all_day:  # DATE values: the same days in every calendar, whatever its zone
        zone = meeting_zone(s)
        event.add("dtstart", start.astimezone(zone).date())
        event.add("dtend", end.astimezone(zone).date())
    else:
        event.add("dtstart", start)
        event.add("dtend", end.astimezone(start.tzinfo))
    if s.link and safe_url(s.link, _URL_FORBIDDEN):  # a URI value has no escapes: only a clean one
        event.add("url", s.link)
    if s.location:
        event.add("location", ics_text(s.location))
    elif s.link:
        event.add("location", ics_text(s.link))
    return event


def _events(
    s: Meeting, changes: Sequence[MeetingChange], community: Community, stamp: datetime
) -> list[Event]:
    zone = meeting_zone(s)
    master = _event(s, community, stamp, s.starts_at.astimezone(zone))
    master.add("status", "CANCELLED" if s.status == CANCELLED else "CONFIRMED")
    if s.cancel_reason:
        master.add("description", ics_text(s.cancel_reason))
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


def build_calendar(
    found: Sequence[tuple[Meeting, Sequence[MeetingChange]]],
    community: Community,
    now: datetime,
    *,
    name: str | None = None,
    method: str | None = None,
) -> str:
    """The calendar file for these sessions (each with its occurrence changes)."""
    cal = _calendar(name)
    if method:
        cal.add("method", method)
    for s, changes in found:
        for event in _events(s, changes, community, now):
            cal.add_component(event)
    return _finish(cal, [s for s, _ in found])


def meeting_ics(session: Session, s: Meeting, community: Community, now: datetime) -> str:
    """One session or series as a calendar file."""
    assert s.id is not None
    changes = changes_for(session, [s.id])[s.id]
    return build_calendar([(s, changes)], community, now, method="PUBLISH")


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
            .where(
                Meeting.community_id == community.id,
                Meeting.channel_id == channel_id,
                col(Meeting.pair_id).is_(None),  # a mentoring pair's visit: private to the pair
            )
            .order_by(col(Meeting.id))
        ).all()
        if s.rrule is not None or s.starts_at >= since
    ]
    changes = changes_for(session, [s.id for s in found if s.id is not None])
    pairs = [(s, changes[s.id]) for s in found if s.id is not None]
    return build_calendar(pairs, community, now, name=name)


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
