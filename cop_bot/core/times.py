"""Clock times, weekdays and dates as people write and read them, in one place for every
capability: `/schedule-session` and `/digest on` read "3pm" with the same parser, and every
reply shows an instant the same way ("Wed 1 Dec 2027, 21:29 UTC"), so the languages issue has
one place to swap in Babel's locale-aware formats.

The parsers are total: any text gives a value or None, never an exception (property-tested).
"""

from __future__ import annotations

import re
from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEKDAYS: dict[str, int] = {name: i for i, name in enumerate(WEEKDAY_NAMES)}
WEEKDAYS |= {name[:3]: i for i, name in enumerate(WEEKDAY_NAMES)}
WEEKDAYS |= {"tues": 1, "thur": 3, "thurs": 3}
"""Weekday words (full, three letters and the usual longer abbreviations) -> Monday = 0."""

_TIME_24 = re.compile(r"([01]?[0-9]|2[0-3])(?::|\.|h)([0-5][0-9])")
_TIME_H = re.compile(r"([01]?[0-9]|2[0-3])h")
_TIME_AMPM = re.compile(r"(1[0-2]|0?[1-9])(?:[:.]([0-5][0-9]))?(am|pm)")
_SPACED_AMPM = re.compile(r"(\d)\s+(a\.?m\.?|p\.?m\.?)(?=\s|$)", re.IGNORECASE)
CLOCK_TIME_EXAMPLES = "09:00, 9am, 3:30pm, 15h30 or noon"


def parse_weekday(word: str) -> int | None:
    """`monday`, `Mon`, `thurs,` -> 0, 0, 3 (Monday = 0); else None."""
    return WEEKDAYS.get(word.strip().lower().rstrip(","))


def join_am_pm(text: str) -> str:
    """`3 pm` -> `3pm`, `9 a.m.` -> `9am`: so that a time is one word before words are split."""
    return _SPACED_AMPM.sub(lambda m: m.group(1) + m.group(2).replace(".", "").lower(), text)


def parse_clock_time(word: str) -> time | None:
    """`15:00`, `15.00`, `15h30`, `15h`, `3pm`, `3:30pm`, `9a.m.`, `noon`, `midnight`; else None."""
    w = word.strip().lower().replace("a.m.", "am").replace("p.m.", "pm")
    if w == "noon":
        return time(12, 0)
    if w == "midnight":
        return time(0, 0)
    if m := _TIME_24.fullmatch(w):
        return time(int(m.group(1)), int(m.group(2)))
    if m := _TIME_H.fullmatch(w):
        return time(int(m.group(1)), 0)
    if m := _TIME_AMPM.fullmatch(w):
        hour = int(m.group(1)) % 12 + (12 if m.group(3) == "pm" else 0)
        return time(hour, int(m.group(2) or 0))
    return None


def first_zone(*names: str | None) -> ZoneInfo:
    """The first of `names` that is a zone tzdata knows (a member's, then the community's),
    else UTC: a stored zone that tzdata no longer knows must not break a reply."""
    for name in names:
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError, OSError):
                continue
    return ZoneInfo("UTC")


def show_date(at: datetime, zone: ZoneInfo) -> str:
    """`Wed 1 Dec 2027`: the day `at` falls on in `zone`, for people (not ISO)."""
    local = at.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %Y}"


def show_datetime(at: datetime, zone: ZoneInfo, *, named: bool = False) -> str:
    """`Wed 1 Dec 2027, 21:29 UTC`: an instant as the clock on the wall in `zone` shows it, with
    the zone's abbreviation (CET, EST, +03); `named` adds the zone's name when it is not UTC
    (`Wed 1 Dec 2027, 22:29 CET (Europe/Rome)`), for replies read in several zones."""
    local = at.astimezone(zone)
    text = f"{show_date(at, zone)}, {local:%H:%M} {local.tzname() or zone.key}"
    return f"{text} ({zone.key})" if named and zone.key != "UTC" else text


def show_period(start: datetime, end: datetime, zone: ZoneInfo) -> str:
    """`24 Nov – 30 Nov 2026`: the days a digest covers, in `zone`."""
    first, last = start.astimezone(zone), end.astimezone(zone)
    return f"{first.day} {first:%b} – {last.day} {last:%b %Y}"
