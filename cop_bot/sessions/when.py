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
from cop_bot.core.i18n import N_, _
from cop_bot.core.times import (
    WEEKDAYS,
    day_offset,
    folded,
    join_am_pm,
    parse_clock_time,
    parse_weekday,
)

MAX_TEXT = 100
MAX_AHEAD_DAYS = 5 * 366
WHEN_EXAMPLES = N_('"2027-01-12 15:00", "tomorrow 15:00", "next Tuesday 3pm", "in 3 days at 10:00"')
"""Marked for translation: shown with `_(WHEN_EXAMPLES)`, the phrases in the member's language."""

RRULE_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4}
ORDINALS |= {"4th": 4, "last": -1}
NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
FILLERS = {"at", "on", "à", "a", "las", "la", "le", "el", "alle", "um", "am", "στις", "την"}
FILLERS |= {"في", "الساعة", "ve", "kl"}
"""Words around a day and a time that say nothing (`at`, `à`, `a las`, `alle`, `um`, `στις`,
`الساعة`): dropped, except in `in a week`."""
NEXT_WORDS = {"next", "prochain", "prochaine", "proximo", "proxima", "prossimo", "prossima"}
NEXT_WORDS |= {"nachsten", "nachster", "nachste", "kommenden", "قادم", "مقبل", "επομενη"}
THIS_WORDS = {"this", "ce", "este", "questo", "diesen", "هذا", "αυτη"}
"""`next Tuesday`, `mardi prochain`, `el próximo martes`, `nächsten Dienstag`, `الثلاثاء القادم`,
`την επόμενη Τρίτη` (folded, in either order with the weekday)."""

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
            _("{zone} is not a time zone I know.").format(zone=repr(cleaned[:40])),
            hint=_("Use an IANA name such as Europe/Rome, America/Bogota or Africa/Nairobi."),
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
        raise UsageError(_("Say when, for example {examples}.").format(examples=_(WHEN_EXAMPLES)))
    if len(raw) > MAX_TEXT:
        raise UsageError(
            _("That date is too long for me to read; try {examples}.").format(
                examples=_(WHEN_EXAMPLES)
            )
        )
    local_now = now.astimezone(zone).replace(tzinfo=None)
    wall = _iso(raw, zone) or _relative(raw, now, zone, local_now) or _absolute(raw, local_now)
    if wall is None:
        raise UsageError(
            _("I could not read {text} as a date and time.").format(text=repr(raw)),
            hint=_("Try {examples}.").format(examples=_(WHEN_EXAMPLES)),
        )
    if wall - local_now > timedelta(days=MAX_AHEAD_DAYS):
        raise UsageError(_("That is more than five years away; please pick a nearer date."))
    if local_now - wall > timedelta(days=366):
        raise UsageError(
            _("{text} is long past; sessions are scheduled ahead.").format(text=repr(raw))
        )
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
        raise UsageError(_at_what_time(raw))
    if value.tzinfo is not None:  # an explicit offset names an instant
        return value.astimezone(zone).replace(tzinfo=None)
    return value.replace(second=0, microsecond=0)


def _at_what_time(day: str) -> str:
    return _("At what time on {day}? For example `{day} 15:00`.").format(day=day)


def _relative(raw: str, now: datetime, zone: ZoneInfo, local_now: datetime) -> datetime | None:
    """Relative phrases: a day word (`tomorrow`, `demain`, `غدًا`), a weekday (`next Tuesday`,
    `mardi prochain`), `in N days|weeks|hours|minutes`, each with a time (any language's
    days: `core.times`)."""
    lowered = join_am_pm(raw.lower())
    words = lowered.replace(",", " ").replace("،", " ").split()
    keep_a = bool(words) and words[0] == "in"  # `in a week`
    words = [w for w in words if w not in FILLERS or (keep_a and w in {"a", "an"})]
    times = [t for t in (parse_clock_time(w) for w in words) if t is not None]
    rest = [w for w in words if parse_clock_time(w) is None]
    if len(times) > 1:
        raise UsageError(_("{text} names more than one time of day.").format(text=repr(raw)))
    at = times[0] if times else None
    today = local_now.date()
    day: date | None = None
    if not rest:
        day = today
    elif (ahead := day_offset(" ".join(rest))) is not None:
        day = today + timedelta(days=ahead)
    elif (weekday := _weekday_phrase(rest)) is not None:
        number, nxt = weekday
        ahead = (number - today.weekday()) % 7
        if nxt and ahead == 0:
            ahead = 7
        day = today + timedelta(days=ahead)
    elif len(rest) == 3 and rest[0] == "in" and (n := _count(rest[1])) is not None:
        unit = rest[2].rstrip("s")
        if unit in {"day", "week"}:
            day = today + timedelta(days=n * (7 if unit == "week" else 1))
        elif unit in {"hour", "minute", "min", "hr"}:
            if at is not None:
                raise UsageError(
                    _("{text}: say either `in {count} {unit}` or a time, not both.").format(
                        text=repr(raw), count=n, unit=rest[2]
                    )
                )
            if n > 24 * 60 * 7:
                raise UsageError(_("That is too far ahead for hours or minutes; give a date."))
            minutes = n * (60 if unit in {"hour", "hr"} else 1)
            instant = now + timedelta(minutes=minutes)
            return instant.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)
        else:
            return None
    else:
        return None
    if at is None:
        said = " ".join(rest) or _("today")
        raise UsageError(_("At what time {day}? For example `{day} 15:00`.").format(day=said))
    return datetime.combine(day, at)


def _weekday_phrase(rest: list[str]) -> tuple[int, bool] | None:
    """`tuesday`, `next tue`, `this friday`, `mardi prochain`, `próximo martes`, `nächsten
    Dienstag` -> (Monday = 0, whether "next"); else None."""
    if len(rest) == 1:
        found = parse_weekday(rest[0])
        return (found, False) if found is not None else None
    if len(rest) != 2:
        return None
    for day, other in ((rest[1], rest[0]), (rest[0], rest[1])):
        found = WEEKDAYS.get(day) if day in WEEKDAYS else parse_weekday(day)
        which = folded(other)
        if found is not None and (which in NEXT_WORDS or which in THIS_WORDS):
            return found, which in NEXT_WORDS
    return None


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
        raise UsageError(_at_what_time(raw))
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
            _(
                "{time} does not exist in {zone}: the clocks go forward that night, "
                "skipping that time."
            ).format(time=shown, zone=zone.key),
            hint=_("Pick a time outside the change, e.g. an hour later."),
        )
    at = first.astimezone(UTC)
    note = _(
        "{time} happens twice in {zone} (the clocks go back that night); I used the "
        "first one, {local} ({utc} UTC)."
    ).format(time=shown, zone=zone.key, local=first.strftime("%H:%M %Z"), utc=at.strftime("%H:%M"))
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
        raise UsageError(
            _("{text} is not a duration; write e.g. `90m`, `1h` or `1h30`.").format(
                text=repr(text[:30])
            )
        )
    minutes = int(m.group("h") or 0) * 60 + int(m.group("m") or 0)
    if not 5 <= minutes <= 12 * 60:
        raise UsageError(_("A session lasts between 5 minutes and 12 hours."))
    return minutes


RECURRENCE_HELP = N_(
    "`every week`, `every 2 weeks`, `every day`, `every month`, "
    "`every month on the first Tuesday` (first, second, third, fourth or last)"
)
"""Marked for translation: shown with `_(RECURRENCE_HELP)` (the keywords stay English)."""


def parse_recurrence(words: list[str]) -> str:
    """The words after `every` -> an RFC 5545 RRULE (without DTSTART)."""
    w = [x.lower().strip(",") for x in words]
    interval = 1
    if w and (n := _count(w[0])) is not None and w[0] not in {"a", "an"}:
        interval, w = n, w[1:]
    if not 1 <= interval <= 52:
        raise UsageError(_("The interval must be between 1 and 52."))
    unit = w[0].rstrip("s") if w else ""
    rest = w[1:]
    freq = {"day": "DAILY", "week": "WEEKLY", "month": "MONTHLY"}.get(unit)
    if freq is None:
        raise UsageError(_("I could not read the repetition."), hint=_use_recurrence())
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
        _("I could not read `every {words}`.").format(words=" ".join(words)),
        hint=_use_recurrence(),
    )


def _use_recurrence() -> str:
    return _("Use {forms}.").format(forms=_(RECURRENCE_HELP))


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
