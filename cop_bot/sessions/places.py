"""Where an in-person session happens, who hosts it, what kind it is, and how many days it lasts.

`/schedule-session "TITLE" WHEN … at PLACE [host: ORGANISATION] [kind: visit]` records a venue or
an address as the member typed it (one line, cleaned like any input): it is shown in replies,
reminders, digests and the `.ics` LOCATION, with a link to OpenStreetMap's search for that text.
The link is built from the text alone; nothing is geocoded over the network.

A multi-day session (`for 2 days`, `for 3d`) covers whole calendar days in its zone: given
without a time of day it is an all-day event; given with one, it runs from that time to the end
of its last day. Its end is worked out on the wall clock (`end_of`), so a two-day visit in Rome
over the last weekend of March still ends at midnight Rome time, 23 hours after the day began.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from urllib.parse import quote_plus
from zoneinfo import ZoneInfo

from cop_bot.core.errors import UsageError
from cop_bot.core.i18n import N_, _
from cop_bot.core.times import join_am_pm, parse_clock_time
from cop_bot.sessions.when import parse_when, wall_to_utc
from cop_bot.storage.models import Meeting

MAX_PLACE = 300
MAX_HOST = 200
MAX_DAYS = 14
KINDS = ("session", "visit")
MAP_SEARCH = "https://www.openstreetmap.org/search?query="
PLACE_EXAMPLE = N_('`at "Palazzo Marino, Piazza della Scala 2, Milan"`')
"""Marked for translation: shown with `_(PLACE_EXAMPLE)`."""

_DAYS = re.compile(r"(?P<n>\d{1,4})\s*(?:d|day|days)")


def map_url(place: str) -> str:
    """OpenStreetMap's search for the place as typed (URL-encoded; never geocoded here)."""
    return MAP_SEARCH + quote_plus(place, safe="")


def one_line(text: str) -> str:
    return " ".join(text.split())


def parse_place(words: list[str]) -> str:
    """The words after `at`: one line of at most `MAX_PLACE` characters."""
    place = one_line(" ".join(words))
    if not place:
        raise UsageError(
            _("After `at` give the place, e.g. {example}.").format(example=_(PLACE_EXAMPLE))
        )
    if len(place) > MAX_PLACE:
        raise UsageError(_("The place must be at most {limit} characters.").format(limit=MAX_PLACE))
    return place


def parse_host(words: list[str]) -> str:
    """The words after `host:`: the organisation that hosts the session."""
    host = one_line(" ".join(words))
    if not host:
        raise UsageError(_("After `host:` give the organisation, e.g. `host: City of Lyon`."))
    if len(host) > MAX_HOST:
        raise UsageError(_("The host must be at most {limit} characters.").format(limit=MAX_HOST))
    return host


def parse_kind(words: list[str]) -> str:
    """The word after `kind:`: `visit` (or `session`, the default)."""
    kind = " ".join(words).strip().lower()
    if kind not in KINDS:
        raise UsageError(
            _("The kind is {kinds}, not {given}.").format(
                kinds=", ".join(f"`{k}`" for k in KINDS), given=repr(kind[:30])
            )
        )
    return kind


def parse_days(text: str) -> int | None:
    """`2 days`, `1 day`, `3d` -> 2, 1, 3 (1 to `MAX_DAYS`); None for a duration that is not
    in days (`90m`, `1h30`)."""
    m = _DAYS.fullmatch(text.strip().lower())
    if m is None:
        return None
    days = int(m.group("n"))
    if not 1 <= days <= MAX_DAYS:
        raise UsageError(
            _("A multi-day session lasts 1 to {limit} days.").format(limit=MAX_DAYS),
            hint=_("Schedule a longer programme as several sessions."),
        )
    return days


def start_wall(now: datetime, text: str, zone: ZoneInfo, days: int | None) -> tuple[datetime, bool]:
    """The wall-clock start, and whether it is a day without a time (an all-day session: only
    a multi-day one may leave the time out)."""
    try:
        return parse_when(text, now, zone), False
    except UsageError as first:
        if not days or any(
            parse_clock_time(w) is not None for w in join_am_pm(text.lower()).split()
        ):
            raise
        try:
            return parse_when(f"{text} 00:00", now, zone), True
        except UsageError:
            raise first from None


def end_of(meeting: Meeting, start: datetime) -> datetime:
    """When the occurrence starting at `start` (UTC) ends: after `duration_minutes`, or, for a
    multi-day session, at midnight after its last day in the session's zone."""
    if not meeting.days:
        return start + timedelta(minutes=meeting.duration_minutes)
    zone = ZoneInfo(meeting.timezone)
    last = start.astimezone(zone).date() + timedelta(days=meeting.days)
    return wall_to_utc(datetime.combine(last, time(0)), zone)


def span_days(meeting: Meeting, start: datetime, zone: ZoneInfo) -> tuple[date, date]:
    """The first and last day of a multi-day occurrence: in the session's own zone for an
    all-day one (its days are dates, the same for everyone), else in `zone`."""
    shown = ZoneInfo(meeting.timezone) if meeting.all_day else zone
    end = end_of(meeting, start) - timedelta(microseconds=1)
    return start.astimezone(shown).date(), end.astimezone(shown).date()
