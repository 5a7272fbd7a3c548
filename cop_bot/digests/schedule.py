"""When a digest is due: a local weekday and time in the subscription's zone, every week, and
how members write that schedule (`monday 09:00 tz Europe/Brussels`).

Local wall-clock times are turned into UTC instants per week, so daylight-saving changes move
the UTC instant, not the local time. A time that does not exist that day (the spring-forward
gap) is taken as the same wall-clock time after the jump, e.g. 02:30 -> 03:30.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from cop_bot.core import i18n
from cop_bot.core.errors import UsageError
from cop_bot.core.i18n import _
from cop_bot.core.times import (
    WEEKDAY_NAMES,
    join_am_pm,
    parse_clock_time,
    parse_weekday,
)
from cop_bot.experts.profiles import parse_timezone

WEEKDAYS = WEEKDAY_NAMES


def local_instant(day: date, minute_of_day: int, zone: ZoneInfo) -> datetime:
    """The UTC instant of a local wall-clock time; ambiguous times take their first occurrence."""
    # fold=0 (PEP 495): an ambiguous time is its first occurrence, and a time in the gap is read
    # with the offset from before the jump, which lands the same distance after it (02:30 -> 03:30).
    wall = datetime.combine(day, time(minute_of_day // 60, minute_of_day % 60), tzinfo=zone)
    return wall.astimezone(UTC)


def previous_due(weekday: int, minute_of_day: int, tz: str, at: datetime) -> datetime:
    """The latest scheduled instant not after `at`."""
    zone = ZoneInfo(tz)
    local_day = at.astimezone(zone).date()
    for back in range(0, 9):
        day = local_day - timedelta(days=back)
        if day.weekday() != weekday:
            continue
        instant = local_instant(day, minute_of_day, zone)
        if instant <= at:
            return instant
    raise AssertionError("a weekly schedule always has a due time within 8 days")


def next_due(weekday: int, minute_of_day: int, tz: str, after: datetime) -> datetime:
    """The first scheduled instant strictly after `after`."""
    zone = ZoneInfo(tz)
    local_day = after.astimezone(zone).date()
    for ahead in range(0, 9):
        day = local_day + timedelta(days=ahead)
        if day.weekday() != weekday:
            continue
        instant = local_instant(day, minute_of_day, zone)
        if instant > after:
            return instant
    raise AssertionError("a weekly schedule always has a due time within 8 days")


DEFAULT_MINUTE = 9 * 60


def parse_schedule(words: list[str], default_tz: str) -> tuple[int, int, str]:
    """`monday 9am tz Europe/Brussels` -> (weekday, minute of day, zone); Monday 09:00 in
    `default_tz` where a part is left out. Weekdays (in any of the bot's languages: `lundi`,
    `Mittwoch`) and times are read as `/schedule-session` reads them (`cop_bot/core/times.py`)."""
    weekday, minute, tz = 0, DEFAULT_MINUTE, default_tz
    rest = join_am_pm(" ".join(words)).split()
    while rest:
        word = rest.pop(0)
        low = word.lower().rstrip(",")
        day = parse_weekday(low)
        at = parse_clock_time(low)
        if day is not None:
            weekday = day
        elif at is not None:
            minute = at.hour * 60 + at.minute
        elif low == "tz" and rest:
            try:
                tz = parse_timezone(rest.pop(0))
            except ValueError as exc:
                raise UsageError(str(exc)) from None
        else:
            raise UsageError(  # the time examples are core.times.CLOCK_TIME_EXAMPLES
                _(
                    "I could not read {word}: give a weekday, a time such as 09:00, 9am, 3:30pm, "
                    "15h30 or noon, and optionally tz ZONE."
                ).format(word=repr(word[:40]))
            )
    return weekday, minute, tz


def clock_time(minute_of_day: int) -> str:
    return f"{minute_of_day // 60:02d}:{minute_of_day % 60:02d}"


def describe(weekday: int, minute_of_day: int, tz: str) -> str:
    """`Monday 09:00 (Europe/Brussels)`, `lundi 09:00 (Europe/Brussels)`: the weekday as the
    active language writes it in a sentence (Babel's), so it reads right after "every"."""
    day = str(i18n.locale().days["format"]["wide"][weekday])
    return f"{day} {clock_time(minute_of_day)} ({tz})"
