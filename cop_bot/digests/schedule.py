"""When a digest is due: a local weekday and time in the subscription's zone, every week.

Local wall-clock times are turned into UTC instants per week, so daylight-saving changes move
the UTC instant, not the local time. A time that does not exist that day (the spring-forward
gap) is taken as the same wall-clock time after the jump, e.g. 02:30 -> 03:30.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


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
