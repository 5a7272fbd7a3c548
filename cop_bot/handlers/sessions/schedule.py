"""`/schedule-session "TITLE" WHEN [for DURATION] [every ...] [tz ZONE] [link URL] [capacity N]
[at PLACE] [host: ORGANISATION] [kind: visit] [group: SLUG]`; DURATION may be days (`for 2 days`,
`for 3d`). `group:` is taken out before WHEN and the other keywords are read: the session
belongs to that group, its members are reminded, and it is posted in the group's channel."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from cop_bot.core.args import Args, parse_int, split_words
from cop_bot.core.errors import PermissionDenied, UsageError
from cop_bot.core.i18n import N_, _
from cop_bot.core.model import (
    Block,
    Context,
    Fields,
    Header,
    Inline,
    Reply,
    Role,
    Text,
    reply,
    spans,
)
from cop_bot.core.router import Ctx, command
from cop_bot.core.times import join_am_pm, parse_clock_time, show_date
from cop_bot.core.wording import mention_of, phrase
from cop_bot.groups import rules as groups
from cop_bot.handlers.sessions.common import answer_buttons, fields, notices
from cop_bot.sessions import invitees, meetings, places
from cop_bot.sessions.when import (
    Placed,
    first_on_or_after,
    localize,
    parse_duration,
    parse_recurrence,
    wall_to_utc,
    zone_named,
)
from cop_bot.storage.models import CopGroup, Meeting, Member

MAX_TITLE = 200
MAX_CAPACITY = 10_000
KEYWORDS = {"for", "every", "tz", "link", "capacity", "at"}
PREFIXED = ("host:", "kind:")
"""Keywords written with their colon, glued to their value or not (`host: City of Lyon`,
`kind:visit`)."""
GROUP = "group:"
"""`group: SLUG` (or `group:SLUG`), anywhere after the title; never part of WHEN or a place."""
_URL = re.compile(r"https?://[^\s<>\"']{1,490}")
_OPENING_QUOTES = ('"', "'", "“", "‘", "«", "„")


def _segments(words: list[str]) -> tuple[list[str], dict[str, list[str]]]:
    """The WHEN words, and the words after each keyword."""
    when: list[str] = []
    parts: dict[str, list[str]] = {}
    current: list[str] = when
    current_key: str | None = None
    for i, word in enumerate(words):
        found = _keyword(word, words[i + 1 : i + 3], current_key)
        if found is None:
            current.append(word)
            continue
        key, glued = found
        if key in parts:
            raise UsageError(_("`{key}` is given twice.").format(key=key))
        current, current_key = parts.setdefault(key, []), key
        if glued:
            current.append(glued)
    return when, parts


def _keyword(word: str, following: list[str], current: str | None) -> tuple[str, str] | None:
    """The keyword `word` starts (and what is glued to it: `kind:visit`), else None. `at` is a
    keyword unless it is inside the place or, in WHEN, before a time (`tomorrow at 15:00`,
    `next Tuesday at 3 pm`)."""
    key = word.lower()
    for prefix in PREFIXED:
        if key.startswith(prefix):
            return prefix, word[len(prefix) :]
    if key not in KEYWORDS:
        return None
    if key == "at":
        if current == "at":
            return None
        joined = join_am_pm(" ".join(following)).split()
        if current is None and joined and parse_clock_time(joined[0]) is not None:
            return None
    return key, ""


def _one(parts: dict[str, list[str]], key: str, what: str) -> str | None:
    """The one word after `key`; `what` (translated) says what it should be."""
    if key not in parts:
        return None
    if len(parts[key]) != 1:
        raise UsageError(_("After `{key}` give {what}.").format(key=key, what=what))
    return parts[key][0]


def take_group(words: list[str]) -> tuple[list[str], str | None]:
    """The words without `group: SLUG`, and the slug typed (None without one)."""
    rest: list[str] = []
    slug: str | None = None
    i = 0
    while i < len(words):
        word = words[i]
        if not word.lower().startswith(GROUP) or " " in word:
            rest.append(word)
            i += 1
            continue
        if slug is not None:
            raise UsageError(_("`{key}` is given twice.").format(key=GROUP))
        glued = word[len(GROUP) :]
        if not glued and i + 1 < len(words):
            glued, i = words[i + 1], i + 1
        if not glued:
            raise UsageError(
                _("After `{key}` give the group's slug, e.g. {example}.").format(
                    key=GROUP, example="`group: housing-working-group`"
                )
            )
        slug = glued
        i += 1
    return rest, slug


def _group(ctx: Ctx, typed: str | None, *, invites: bool = False) -> CopGroup | None:
    """The group the session belongs to, checked before anything is parsed: facilitators and
    admins schedule sessions, a group's focal points schedule their group's, and any member
    may schedule one `with` members they name (a mentoring pair's first session)."""
    facilitator = ctx.has(Role.FACILITATOR)
    if typed is None:
        if invites:
            return None
        ctx.require(Role.FACILITATOR, _("use {command}").format(command="/schedule-session"))
        return None
    group = groups.group_or_error(ctx.session, ctx.community_id, typed)
    if not groups.may_schedule(ctx.session, group, ctx.member, facilitator=facilitator):
        raise PermissionDenied(
            _(
                "Only facilitators, admins and the focal points of {slug} can schedule its "
                "sessions."
            ).format(slug=group.slug),
            hint=ctx.who_can_grant(Role.FACILITATOR),
        )
    return group


def _title(text: str) -> tuple[str, list[str]]:
    if not text.startswith(_OPENING_QUOTES):
        raise UsageError(_("Put the session's title in quotes, then say when."))
    words = split_words(text)
    if len(words) < 2:
        raise UsageError(_("Say when the session is, after its title."))
    title = " ".join(words[0].split())
    if not 0 < len(title) <= MAX_TITLE:
        raise UsageError(_("The title must be 1 to {limit} characters.").format(limit=MAX_TITLE))
    return title, words[1:]


def _zone(ctx: Ctx, parts: dict[str, list[str]]) -> tuple[ZoneInfo, str]:
    """The zone given with `tz`, else the viewer's; and where it came from, as shown."""
    zone_name = _one(parts, "tz", _("one time zone, e.g. `tz Europe/Rome`"))
    if zone_name is not None:
        return zone_named(zone_name), "given"
    zone, source = meetings.viewer_zone(ctx.member, ctx.community)
    shown = {"your profile": _("your profile's"), "the community": _("the community's")}
    return zone, shown.get(source, _("the default"))


def _first_start(
    now: datetime,
    when: list[str],
    parts: dict[str, list[str]],
    zone: ZoneInfo,
    days: int | None = None,
) -> tuple[Placed, str | None, str | None, bool]:
    """When the session (or its series) first happens, its RRULE, a note when the series
    starts later than the time given, and whether it lasts whole days."""
    if days and "every" in parts:
        raise UsageError(
            _("A session of several days cannot repeat; schedule each one on its own.")
        )
    wall, all_day = places.start_wall(now, " ".join(when), zone, days)
    rule = parse_recurrence(parts["every"]) if "every" in parts else None
    first_note = None
    if rule is not None:
        first = first_on_or_after(rule, wall)
        if first is None:
            raise UsageError(_("That repetition never happens."))
        if first != wall:
            day = show_date(first.replace(tzinfo=zone), zone)
            first_note = _("The series starts on its first matching day, {day}.").format(day=day)
        wall = first
    # a day's midnight that a DST change skips starts the day an hour later, as in RFC 5545
    placed = Placed(wall_to_utc(wall, zone), zone) if all_day else localize(wall, zone)
    if placed.at <= now:
        raise UsageError(
            _("{when} is in the past; sessions are scheduled ahead.").format(
                when=meetings.fmt_local(placed.at, zone)
            )
        )
    return placed, rule, first_note, all_day


def _days(parts: dict[str, list[str]]) -> int | None:
    """`for 2 days`, `for 3d`: how many days a multi-day session covers; None otherwise."""
    return places.parse_days(" ".join(parts["for"])) if "for" in parts else None


@dataclass(frozen=True)
class _Place:
    location: str | None
    host: str | None
    kind: str


def _place(parts: dict[str, list[str]]) -> _Place:
    """`at PLACE`, `host: ORGANISATION`, `kind: visit`; a visit needs a place."""
    location = places.parse_place(parts["at"]) if "at" in parts else None
    host = places.parse_host(parts["host:"]) if "host:" in parts else None
    kind = places.parse_kind(parts["kind:"]) if "kind:" in parts else "session"
    if kind == "visit" and location is None:
        raise UsageError(
            _("A visit needs a place: add {example}.").format(example=_(places.PLACE_EXAMPLE))
        )
    return _Place(location, host, kind)


def _options(parts: dict[str, list[str]], days: int | None) -> tuple[int, str | None, int | None]:
    """Duration (minutes), link and capacity."""
    if days:
        duration = days * 24 * 60
    else:
        duration = parse_duration(" ".join(parts["for"])) if "for" in parts else 60
    link = _one(parts, "link", _("one web address"))
    if link is not None and not _URL.fullmatch(link):
        raise UsageError(
            _("{link} is not a web link; give one starting with https://.").format(
                link=repr(link[:60])
            )
        )
    capacity = None
    if (cap := _one(parts, "capacity", _("a number of places"))) is not None:
        capacity = parse_int(cap, 1, MAX_CAPACITY)
        if capacity is None:
            raise UsageError(
                _("Capacity is a number of places from 1 to {limit}.").format(limit=MAX_CAPACITY)
            )
    return duration, link, capacity


@command(
    "schedule-session",
    summary=N_("Schedule a community session, once or repeating, in any time zone."),
    syntax=(
        '"TITLE" WHEN [for DURATION] [every N weeks|every month on the first TUESDAY] '
        "[tz ZONE] [link URL] [capacity N] [at PLACE] [host: ORGANISATION] [kind: visit] "
        "[group: SLUG] [with @HANDLE …]",
        '"TITLE" DAY [TIME] for N days [at PLACE] [host: ORGANISATION] [kind: visit]',
    ),
    examples=(
        N_(
            '/schedule-session "Labour market CoP" 2027-01-12 15:00 for 90m every 2 weeks '
            "tz Europe/Rome link https://meet.example.org/abc"
        ),
        N_('/schedule-session "Housing clinic" tomorrow 15:00 for 1h capacity 12'),
        N_(
            '/schedule-session "Study visit: reception centres" 2027-03-09 for 2 days '
            'at "Palazzo Marino, Piazza della Scala 2, Milan" host: City of Milan kind: visit'
        ),
    ),
    role=Role.FACILITATOR,
    checks_role=True,
    details=N_(
        'WHEN is an ISO date and time or a phrase: "2027-01-12 15:00", "tomorrow 15:00", '
        '"next Tuesday 3pm", "in 3 days at 10:00". Without `tz` your profile\'s time zone is '
        "used, else the community's, else UTC. The day may also be written in any of the "
        "bot's languages: today (`aujourd'hui`, `hoy`, `oggi`, `heute`, `اليوم`, `σήμερα`), "
        "tomorrow (`demain`, `mañana`, `domani`, `morgen`, `غدًا`, `αύριο`), the day after "
        "tomorrow (`après-demain`, `pasado mañana`, `dopodomani`, `übermorgen`, `بعد غد`, "
        "`μεθαύριο`), a weekday (`mardi prochain`, `próximo martes`, `nächsten Dienstag`, "
        "`الثلاثاء`, `Τρίτη`), and noon or midnight (`midi`, `mediodía`, `mezzogiorno`, "
        "`Mittag`, `الظهر`, `μεσημέρι`; `minuit`, `medianoche`, `mezzanotte`, "
        "`Mitternacht`, `μεσάνυχτα`), with or without accents. With `group: SLUG` the session "
        "belongs to that group: its members are reminded of it, it is posted in the group's "
        "channel when the group has one, and the group's focal points may schedule it too."
    ),
    parse="raw",
)
def schedule_session(ctx: Ctx, args: Args) -> Reply:
    rest, typed_group = take_group(split_words(args.text.strip())[1:])
    _rest, typed_with = invitees.take_with(rest)
    group = _group(ctx, typed_group, invites=bool(typed_with))
    title, rest = _title(args.text.strip())
    rest, _typed = take_group(rest)
    rest, typed_with = invitees.take_with(rest)
    invited = [
        m
        for m in invitees.resolve(ctx.session, ctx.community_id, typed_with)
        if m.id != ctx.member.id  # the host is coming anyway: `with @a @b` works for both
    ]
    if group is None and not invited:  # `with` only oneself: as without `with`
        ctx.require(Role.FACILITATOR, _("use {command}").format(command="/schedule-session"))
    when, parts = _segments(rest)
    zone, source = _zone(ctx, parts)
    days = _days(parts)
    placed, rule, first_note, all_day = _first_start(ctx.now, when, parts, zone, days)
    duration, link, capacity = _options(parts, days)
    where = _place(parts)
    row = Meeting(
        community_id=ctx.community_id,
        channel_id=(group.channel_id if group is not None else None)
        or ctx.invocation.conversation.channel_id,
        host_id=ctx.member.id,
        title=title,
        starts_at=placed.at,
        duration_minutes=duration,
        timezone=zone.key,
        rrule=rule,
        link=link,
        capacity=capacity,
        created_at=ctx.now,
        updated_at=ctx.now,
        location=where.location,
        host_organisation=where.host,
        kind=where.kind,
        days=days,
        all_day=all_day,
        group_id=group.id if group is not None else None,
    )
    ctx.session.add(row)
    ctx.session.flush()
    assert row.id is not None
    invitees.invite(ctx.session, row.id, invited, ctx.now)
    return _scheduled(ctx, row, zone, source, placed, first_note, group, invited)


def _scheduled(
    ctx: Ctx,
    row: Meeting,
    zone: ZoneInfo,
    source: str,
    placed: Placed,
    first_note: str | None,
    group: CopGroup | None = None,
    invited: Sequence[Member] = (),
) -> Reply:
    assert row.id is not None
    upcoming = meetings.occurrences(row, [], ctx.now, ctx.now + timedelta(days=400))[:4]
    blocks: list[Block] = [
        Header(_("Session #{id}: {title}").format(id=row.id, title=row.title)),
        Fields(fields(row, zone)),
        Context(
            spans(
                _("Time zone: {zone} ({source}).").format(zone=zone.key, source=source)
                if source != "given"
                else ""
            )
        ),
    ]
    for note in (placed.note, first_note):
        if note:
            blocks.append(Context(spans(note)))
    if group is not None:
        blocks.append(Context(spans(_group_note(ctx, row, group))))
    if invited:
        names: list[Inline] = [_("Invited, and reminded of it:") + " "]
        for i, member in enumerate(invited):
            names.extend([", "] if i else [])
            names.append(mention_of(member))
        blocks.append(Context(tuple(names)))
    if row.rrule:
        listed = "; ".join(meetings.fmt_local(o.start, zone) for o in upcoming)
        blocks.append(Text.of(_("Next: {when}.").format(when=listed)))
    blocks.append(answer_buttons(row.id))
    meeting_id, host = row.id, mention_of(ctx.member)

    def invitation(zone: ZoneInfo) -> tuple[Block, ...]:
        said = _("{host} invited you to session #{id}: {title}.")
        return (
            Text(phrase(said, host=host, id=str(meeting_id), title=row.title)),
            Text.of(meetings.fmt_local(row.starts_at, zone)),
            answer_buttons(meeting_id),
        )

    return reply(
        *blocks,
        notices=notices(ctx, list(invited), invitation),
        visibility="channel",
        data={
            "session": meetings.meeting_json(row)
            | ({"group": group.slug} if group is not None else {})
            | ({"invitees": [m.handle for m in invited]} if invited else {}),
            "notes": [n for n in (placed.note,) if n],
        },
    )


def _group_note(ctx: Ctx, row: Meeting, group: CopGroup) -> str:
    said = _("For the group {name}: its members are reminded of it.").format(name=group.name)
    if row.channel_id != ctx.invocation.conversation.channel_id:
        said += " " + _("It is posted in the group's channel, {channel}.").format(
            channel=row.channel_id
        )
    return said


# shared with `/mentoring visit`, which schedules a visit the same way
segments = _segments
zone_of = _zone
days_of = _days
first_start = _first_start
options = _options
scheduled = _scheduled
