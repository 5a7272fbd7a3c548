"""Reading WHEN, FOR and EVERY as members type them, and placing wall-clock times in a zone.

`parse_when` turns ISO dates ("2027-01-12 15:00"), other absolute dates ("12 January 2027 3pm",
read by `dateutil.parser`) and a few relative phrases ("tomorrow 15:00", "next Tuesday 3pm",
"in 3 days at 10:00", "in 2 hours") into a *wall-clock* time in the member's zone; `localize`
then places it on the time line, refusing times that do not exist (a DST gap) and resolving
times that happen twice (a DST overlap) to the first one, with a note saying so.

Total functions: any text gives a result or a `UsageError` (property-tested with hypothesis).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import parser as dateparser
from dateutil.rrule import rrulestr

from cop_bot.core.errors import UsageError
from cop_bot.core.times import WEEKDAYS, join_am_pm, parse_clock_time

MAX_TEXT = 100
MAX_AHEAD_DAYS = 5 * 366
WHEN_EXAMPLES = '"2027-01-12 15:00", "tomorrow 15:00", "next Tuesday 3pm", "in 3 days at 10:00"'

RRULE_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4}
ORDINALS |= {"4th": 4, "last": -1}
NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def zone_named(name: str) -> ZoneInfo:
    """An IANA zone, or a `UsageError` that says what a zone name looks like."""
    cleaned = name.strip()
    try:
        if not cleaned or len(cleaned) > 64 or cleaned.startswith(("/", ".")) or ".." in cleaned:
            raise ValueError(cleaned)
        return ZoneInfo(cleaned)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise UsageError(
            f"{cleaned[:40]!r} is not a time zone I know.",
            hint="Use an IANA name such as Europe/Rome, America/Bogota or Africa/Nairobi.",
        ) from exc


def _count(word: str) -> int | None:
    if word in NUMBER_WORDS:
        return NUMBER_WORDS[word]
    if re.fullmatch(r"[0-9]{1,4}", word):
        return int(word)
    return None


def parse_when(text: str, now: datetime, zone: ZoneInfo) -> datetime:
    """The wall-clock time (naive, in `zone`) that `text` names, seen from the instant `now`."""
    raw = " ".join(text.split())
    if not raw:
        raise UsageError("Say when, for example " + WHEN_EXAMPLES + ".")
    if len(raw) > MAX_TEXT:
        raise UsageError("That date is too long for me to read; try " + WHEN_EXAMPLES + ".")
    local_now = now.astimezone(zone).replace(tzinfo=None)
    wall = _iso(raw, zone) or _relative(raw, now, zone, local_now) or _absolute(raw, local_now)
    if wall is None:
        raise UsageError(
            f"I could not read {raw!r} as a date and time.",
            hint="Try " + WHEN_EXAMPLES + ".",
        )
    if wall - local_now > timedelta(days=MAX_AHEAD_DAYS):
        raise UsageError("That is more than five years away; please pick a nearer date.")
    if local_now - wall > timedelta(days=366):
        raise UsageError(f"{raw!r} is long past; sessions are scheduled ahead.")
    return wall


def _iso(raw: str, zone: ZoneInfo) -> datetime | None:
    if not _ISO_DATE.match(raw):
        return None
    candidate = raw.replace("Z", "+00:00").replace("z", "+00:00")
    try:
        value = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    if len(candidate) <= 10:  # a date without a time
        raise UsageError(f"At what time on {raw}? For example `{raw} 15:00`.")
    if value.tzinfo is not None:  # an explicit offset names an instant
        return value.astimezone(zone).replace(tzinfo=None)
    return value.replace(second=0, microsecond=0)


def _relative(raw: str, now: datetime, zone: ZoneInfo, local_now: datetime) -> datetime | None:
    lowered = join_am_pm(raw.lower())
    words = [w for w in lowered.replace(",", " ").split() if w not in {"at", "on"}]
    times = [t for t in (parse_clock_time(w) for w in words) if t is not None]
    rest = [w for w in words if parse_clock_time(w) is None]
    if len(times) > 1:
        raise UsageError(f"{raw!r} names more than one time of day.")
    at = times[0] if times else None
    today = local_now.date()
    day: date | None = None
    if rest in ([], ["today"], ["tonight"]):
        day = today
    elif rest == ["tomorrow"]:
        day = today + timedelta(days=1)
    elif rest in (["day", "after", "tomorrow"], ["the", "day", "after", "tomorrow"]):
        day = today + timedelta(days=2)
    elif len(rest) in (1, 2) and rest[-1] in WEEKDAYS and rest[:-1] in ([], ["this"], ["next"]):
        ahead = (WEEKDAYS[rest[-1]] - today.weekday()) % 7
        if rest[0] == "next" and ahead == 0:
            ahead = 7
        day = today + timedelta(days=ahead)
    elif len(rest) == 3 and rest[0] == "in" and (n := _count(rest[1])) is not None:
        unit = rest[2].rstrip("s")
        if unit in {"day", "week"}:
            day = today + timedelta(days=n * (7 if unit == "week" else 1))
        elif unit in {"hour", "minute", "min", "hr"}:
            if at is not None:
                raise UsageError(f"{raw!r}: say either `in {n} {rest[2]}` or a time, not both.")
            if n > 24 * 60 * 7:
                raise UsageError("That is too far ahead for hours or minutes; give a date.")
            minutes = n * (60 if unit in {"hour", "hr"} else 1)
            instant = now + timedelta(minutes=minutes)
            return instant.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)
        else:
            return None
    else:
        return None
    if at is None:
        raise UsageError(
            f"At what time {' '.join(rest) or 'today'}? For example `{' '.join(rest) or 'today'} 15:00`."
        )
    return datetime.combine(day, at)


def _absolute(raw: str, local_now: datetime) -> datetime | None:
    """Dates with a month name or numbers ("12 January 2027 3pm", "12/01/2027 15:00"; day first).

    dateutil fills what the text leaves out from a default, so parsing with two different
    defaults tells which parts the member actually gave.
    """
    if not re.search(r"\d", raw):
        return None
    try:
        a = dateparser.parse(raw, default=datetime(2001, 1, 1, 1, 1), dayfirst=True)
        b = dateparser.parse(raw, default=datetime(2002, 2, 2, 2, 2), dayfirst=True)
    except (ValueError, OverflowError, TypeError, LookupError, AttributeError):
        return None
    if a.tzinfo is not None or b.tzinfo is not None:
        return None
    if (a.month, a.day) != (b.month, b.day):
        return None
    if a.hour != b.hour:
        raise UsageError(f"At what time on {raw}? For example `{raw} 15:00`.")
    if a.minute != b.minute:  # "3pm": an hour without minutes
        a = a.replace(minute=0)
    if a.year != b.year:  # no year given: the next time that date comes round
        try:
            value = a.replace(year=local_now.year)
            if value < local_now:
                value = a.replace(year=local_now.year + 1)
        except ValueError:  # 29 February
            return None
        return value.replace(second=0, microsecond=0)
    return a.replace(second=0, microsecond=0)


@dataclass(frozen=True)
class Placed:
    """A wall-clock time placed in a zone: `at` is the instant (UTC)."""

    at: datetime
    zone: ZoneInfo
    note: str | None = None


def localize(wall: datetime, zone: ZoneInfo) -> Placed:
    """Refuse a wall time that does not exist; take the first of one that happens twice."""
    wall = wall.replace(tzinfo=None, fold=0)
    first = wall.replace(tzinfo=zone, fold=0)
    second = wall.replace(tzinfo=zone, fold=1)
    before, after = first.utcoffset(), second.utcoffset()
    if before == after:
        return Placed(first.astimezone(UTC), zone)
    shown = wall.strftime("%Y-%m-%d %H:%M")
    back = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    if back != wall:
        raise UsageError(
            f"{shown} does not exist in {zone.key}: the clocks go forward that night, "
            "skipping that time.",
            hint="Pick a time outside the change, e.g. an hour later.",
        )
    at = first.astimezone(UTC)
    note = (
        f"{shown} happens twice in {zone.key} (the clocks go back that night); I used the "
        f"first one, {first.strftime('%H:%M %Z')} ({at.strftime('%H:%M')} UTC)."
    )
    return Placed(at, zone, note)


def wall_to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """For generated occurrences: RFC 5545 semantics (a gap time moves forward by the gap,
    an overlap time is the first)."""
    return wall.replace(tzinfo=zone, fold=0).astimezone(UTC)


# ---- durations and recurrence ------------------------------------------------------------------

_DURATION = re.compile(
    r"(?:(?P<h>\d{1,2})\s*(?:h|hr|hrs|hour|hours))?\s*(?:(?P<m>\d{1,3})\s*(?:m|min|mins|minutes?)?)?"
)


def parse_duration(text: str) -> int:
    """`90m`, `1h`, `1h30`, `1h30m`, `2 hours`, `45` -> minutes (5 minutes to 12 hours)."""
    cleaned = text.strip().lower()
    m = _DURATION.fullmatch(cleaned)
    if not cleaned or m is None or not (m.group("h") or m.group("m")):
        raise UsageError(f"{text[:30]!r} is not a duration; write e.g. `90m`, `1h` or `1h30`.")
    minutes = int(m.group("h") or 0) * 60 + int(m.group("m") or 0)
    if not 5 <= minutes <= 12 * 60:
        raise UsageError("A session lasts between 5 minutes and 12 hours.")
    return minutes


RECURRENCE_HELP = (
    "`every week`, `every 2 weeks`, `every day`, `every month`, "
    "`every month on the first Tuesday` (first, second, third, fourth or last)"
)


def parse_recurrence(words: list[str]) -> str:
    """The words after `every` -> an RFC 5545 RRULE (without DTSTART)."""
    w = [x.lower().strip(",") for x in words]
    interval = 1
    if w and (n := _count(w[0])) is not None and w[0] not in {"a", "an"}:
        interval, w = n, w[1:]
    if not 1 <= interval <= 52:
        raise UsageError("The interval must be between 1 and 52.")
    unit = w[0].rstrip("s") if w else ""
    rest = w[1:]
    freq = {"day": "DAILY", "week": "WEEKLY", "month": "MONTHLY"}.get(unit)
    if freq is None:
        raise UsageError("I could not read the repetition.", hint="Use " + RECURRENCE_HELP + ".")
    rule = f"FREQ={freq}" + (f";INTERVAL={interval}" if interval > 1 else "")
    if not rest:
        return rule
    if freq == "MONTHLY" and 2 <= len(rest) <= 4 and rest[0] in {"on", "the"}:
        rest = rest[1:] if rest[0] == "on" else rest
        rest = rest[1:] if rest[0] == "the" else rest
        if len(rest) == 2 and rest[0] in ORDINALS and rest[1].rstrip("s") in WEEKDAYS:
            day = RRULE_DAYS[WEEKDAYS[rest[1].rstrip("s")]]
            return f"{rule};BYDAY={ORDINALS[rest[0]]}{day}"
    raise UsageError(
        f"I could not read `every {' '.join(words)}`.", hint="Use " + RECURRENCE_HELP + "."
    )


def rule_walls(rule: str, first: datetime, start: datetime, end: datetime) -> list[datetime]:
    """Wall-clock occurrences (naive) of `rule` from `first` within [start, end]."""
    if end < start:
        return []
    parsed = rrulestr(rule, dtstart=first.replace(tzinfo=None, fold=0))
    return list(parsed.between(start, end, inc=True))


def first_on_or_after(rule: str, wall: datetime) -> datetime | None:
    """The first occurrence of `rule` at or after `wall` (dateutil skips a DTSTART that does
    not match the rule, RFC 5545 does not: we start the series on a matching day)."""
    parsed = rrulestr(rule, dtstart=wall.replace(tzinfo=None, fold=0))
    found = parsed.after(wall.replace(tzinfo=None, fold=0), inc=True)
    return found if isinstance(found, datetime) else None
