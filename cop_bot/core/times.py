"""Clock times, weekdays and dates as people write and read them, in one place for every
capability: `/schedule-session` and `/digest on` read "3pm" with the same parser, and every
reply shows an instant the same way ("Wed 1 Dec 2027, 21:29 UTC"), so the languages issue has
one place to swap in Babel's locale-aware formats.

The parsers are total: any text gives a value or None, never an exception (property-tested).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_date, format_interval, format_skeleton

from cop_bot.core import i18n
from cop_bot.core.i18n import N_

WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEKDAYS: dict[str, int] = {name: i for i, name in enumerate(WEEKDAY_NAMES)}
WEEKDAYS |= {name[:3]: i for i, name in enumerate(WEEKDAY_NAMES)}
WEEKDAYS |= {"tues": 1, "thur": 3, "thurs": 3}
"""Weekday words (full, three letters and the usual longer abbreviations) -> Monday = 0."""

_TIME_24 = re.compile(r"([01]?[0-9]|2[0-3])(?::|\.|h)([0-5][0-9])")
_TIME_H = re.compile(r"([01]?[0-9]|2[0-3])h")
_TIME_AMPM = re.compile(r"(1[0-2]|0?[1-9])(?:[:.]([0-5][0-9]))?(am|pm)")
_SPACED_AMPM = re.compile(r"(\d)\s+(a\.?m\.?|p\.?m\.?)(?=\s|$)", re.IGNORECASE)
CLOCK_TIME_EXAMPLES = N_("09:00, 9am, 3:30pm, 15h30 or noon")
"""Marked for translation: shown with `_(CLOCK_TIME_EXAMPLES)`."""

NOON_WORDS: tuple[str, ...] = ("noon", "midday", "midi", "mediodía", "mezzogiorno", "mittag")
NOON_WORDS += ("ظهرًا", "الظهر", "μεσημέρι")
MIDNIGHT_WORDS = ("midnight", "minuit", "medianoche", "mezzanotte", "mitternacht", "μεσάνυχτα")
"""Noon and midnight in the bot's seven languages (one word each), looked up folded."""

DAY_WORDS: dict[str, int] = {
    # today, tonight
    "today": 0, "tonight": 0, "aujourd'hui": 0, "aujourd’hui": 0, "ce soir": 0, "hoy": 0,
    "esta noche": 0, "oggi": 0, "stasera": 0, "heute": 0, "heute abend": 0, "اليوم": 0,
    "الليلة": 0, "σημερα": 0, "αποψε": 0,
    # tomorrow
    "tomorrow": 1, "demain": 1, "mañana": 1, "domani": 1, "morgen": 1, "غدا": 1, "غد": 1,
    "αυριο": 1,
    # the day after tomorrow
    "day after tomorrow": 2, "the day after tomorrow": 2, "après-demain": 2,
    "apres demain": 2, "pasado mañana": 2, "dopodomani": 2, "übermorgen": 2, "بعد غد": 2,
    "بعد غدا": 2, "μεθαυριο": 2,
}  # fmt: skip
"""Words for a day relative to today, in the bot's seven languages -> days ahead. Looked up
folded (`day_offset`): with or without accents, `غدًا` as `غدا`."""


def parse_weekday(word: str) -> int | None:
    """`monday`, `Mon`, `thurs,`, `lundi`, `Mittwoch`, `miércoles`, `الاثنين` -> 0, 0, 3, 0, 2,
    2, 0 (Monday = 0): English and the other six languages' names and abbreviations, with or
    without accents; else None."""
    typed = word.strip().lower().rstrip(",.")
    return (
        WEEKDAYS.get(typed)
        if typed in WEEKDAYS
        else _weekdays_of_every_language().get(folded(typed))
    )


@cache
def _weekdays_of_every_language() -> dict[str, int]:
    """Babel's weekday names (wide and abbreviated, standalone and in context) in every
    language the bot speaks, folded: built on the first weekday that is not English."""
    found: dict[str, int] = {}
    for language in i18n.LANGUAGES:
        days = Locale.parse(language).days
        for context in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                for i, name in days[context][width].items():
                    found.setdefault(folded(str(name).lower().rstrip(".")), i)
    return found


def folded(word: str) -> str:
    """Without accents and without the Arabic article: `miércoles` -> `miercoles`,
    `Τρίτη` -> `τριτη`, `الاثنين` -> `اثنين`."""
    decomposed = unicodedata.normalize("NFD", word)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return bare[2:] if bare.startswith("ال") and len(bare) > 3 else bare


def day_offset(phrase: str) -> int | None:
    """`today`, `demain`, `mañana`, `Übermorgen`, `غدًا`, `αύριο` -> 0, 1, 1, 2, 1, 1 (days
    ahead), in any of the seven languages, with or without accents; else None."""
    typed = " ".join(phrase.lower().replace("-", " ").split())
    return _day_words().get(folded(typed))


@cache
def _noon_midnight() -> tuple[frozenset[str], frozenset[str]]:
    return frozenset(map(folded, NOON_WORDS)), frozenset(map(folded, MIDNIGHT_WORDS))


@cache
def _day_words() -> dict[str, int]:
    return {folded(" ".join(k.replace("-", " ").split())): v for k, v in DAY_WORDS.items()}


def join_am_pm(text: str) -> str:
    """`3 pm` -> `3pm`, `9 a.m.` -> `9am`: so that a time is one word before words are split."""
    return _SPACED_AMPM.sub(lambda m: m.group(1) + m.group(2).replace(".", "").lower(), text)


def parse_clock_time(word: str) -> time | None:
    """`15:00`, `15.00`, `15h30`, `15h`, `3pm`, `3:30pm`, `9a.m.`, `noon`, `midnight` (and
    noon and midnight in the other six languages: `midi`, `Mitternacht`, `μεσημέρι`); else None."""
    w = word.strip().lower().replace("a.m.", "am").replace("p.m.", "pm")
    noon, midnight = _noon_midnight()
    if (bare := folded(w)) in noon:
        return time(12, 0)
    if bare in midnight:
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
    """The day `at` falls on in `zone`, for people (not ISO), in the active language: `Wed 1 Dec
    2027` in English (the form the bot always used), Babel's full date elsewhere (`mardi 12
    janvier 2027`, `Dienstag, 12. Januar 2027`, `الثلاثاء، 12 يناير 2027`)."""
    local = at.astimezone(zone)
    if i18n.active() == i18n.DEFAULT:
        return f"{local:%a} {local.day} {local:%b %Y}"
    return format_date(local.date(), "full", locale=i18n.locale())


def show_datetime(at: datetime, zone: ZoneInfo, *, named: bool = False) -> str:
    """`Wed 1 Dec 2027, 21:29 UTC` (`mardi 12 janvier 2027, 15:00 CET`): an instant as the clock
    on the wall in `zone` shows it, with the zone's abbreviation (CET, EST, +03); `named` adds
    the zone's name when it is not UTC (`Wed 1 Dec 2027, 22:29 CET (Europe/Rome)`), for replies
    read in several zones. Times are 24-hour in every language."""
    local = at.astimezone(zone)
    text = f"{show_date(at, zone)}, {local:%H:%M} {local.tzname() or zone.key}"
    return f"{text} ({zone.key})" if named and zone.key != "UTC" else text


def show_period(start: datetime, end: datetime, zone: ZoneInfo) -> str:
    """`24 Nov – 30 Nov 2026` (`24 nov. – 30 nov. 2026`): the days a digest covers, in `zone`."""
    first, last = start.astimezone(zone), end.astimezone(zone)
    if i18n.active() == i18n.DEFAULT:
        return f"{first.day} {first:%b} – {last.day} {last:%b %Y}"
    where = i18n.locale()
    return (
        f"{format_skeleton('MMMd', first.date(), locale=where)} – "
        f"{format_skeleton('yMMMd', last.date(), locale=where)}"
    )


def show_days(first: date, last: date) -> str:
    """`Tue 12 – Wed 13 Jan 2027` (`mar. 12 – mer. 13 janv. 2027`): the days a multi-day session
    covers, first and last included. English keeps the bot's own short form (the month and the
    year once when they are shared: `Sun 31 Jan – Mon 1 Feb 2027`); other languages use Babel's
    interval format."""
    if i18n.active() == i18n.DEFAULT:
        if (first.year, first.month) == (last.year, last.month):
            start = f"{first:%a} {first.day}"
        elif first.year == last.year:
            start = f"{first:%a} {first.day} {first:%b}"
        else:
            start = f"{first:%a} {first.day} {first:%b %Y}"
        return f"{start} – {last:%a} {last.day} {last:%b %Y}"
    return str(format_interval(first, last, "yMMMEd", locale=i18n.locale()))
