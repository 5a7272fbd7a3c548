"""Community sessions: `/schedule-session`, `/sessions`, `/session`, `/rsvp`, `/agenda`.

Instants are stored in UTC; each member sees them in their own zone (profile, else the
community's, else UTC). A series is an RRULE evaluated in the session's zone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from cop_bot.core.args import Args, parse_id, parse_int, split_words
from cop_bot.core.errors import CommandError, UsageError
from cop_bot.core.model import (
    Actions,
    Block,
    Button,
    Code,
    Context,
    Fields,
    Header,
    Item,
    Link,
    Mention,
    Notice,
    Reply,
    Role,
    Spans,
    Text,
    reply,
    spans,
)
from cop_bot.core.router import Ctx, command
from cop_bot.core.wording import mention_of
from cop_bot.sessions import calendar
from cop_bot.sessions import meetings as S
from cop_bot.sessions.when import (
    WHEN_EXAMPLES,
    first_on_or_after,
    localize,
    parse_duration,
    parse_recurrence,
    parse_when,
    zone_named,
)
from cop_bot.storage.models import (
    CalendarFeed,
    Meeting,
    MeetingAgendaItem,
    MeetingChange,
    MeetingRsvp,
    Member,
)

LIST_DAYS = 30
LIST_LIMIT = 20
MAX_TITLE = 200
MAX_AGENDA = 500
MAX_CAPACITY = 10_000
KEYWORDS = {"for", "every", "tz", "link", "capacity"}
_URL = re.compile(r"https?://[^\s<>\"']{1,490}")
_DATE_OPT = re.compile(r"(?:^|\s)date:(\d{4}-\d{2}-\d{2})(?=\s|$)")
_OPENING_QUOTES = ('"', "'", "“", "‘", "«", "„")


def _zone(ctx: Ctx) -> ZoneInfo:
    return S.viewer_zone(ctx.member, ctx.community)[0]


def _get(ctx: Ctx, text: str | None, example: str) -> Meeting:
    number = parse_id(text, "session", example)
    found = ctx.session.get(Meeting, number)
    if found is None or found.community_id != ctx.community_id:
        raise CommandError(f"There is no session #{number}.", hint="See `/sessions all`.")
    return found


# ---- scheduling --------------------------------------------------------------------------------


def _segments(words: list[str]) -> tuple[list[str], dict[str, list[str]]]:
    when: list[str] = []
    parts: dict[str, list[str]] = {}
    current: list[str] = when
    for word in words:
        key = word.lower()
        if key in KEYWORDS:
            if key in parts:
                raise UsageError(f"`{key}` is given twice.")
            current = parts.setdefault(key, [])
        else:
            current.append(word)
    return when, parts


def _one(parts: dict[str, list[str]], key: str, what: str) -> str | None:
    if key not in parts:
        return None
    if len(parts[key]) != 1:
        raise UsageError(f"After `{key}` give {what}.")
    return parts[key][0]


@command(
    "schedule-session",
    summary="Schedule a community session, once or repeating, in any time zone.",
    syntax=(
        '"TITLE" WHEN [for DURATION] [every N weeks|every month on the first TUESDAY] '
        "[tz ZONE] [link URL] [capacity N]",
    ),
    examples=(
        '/schedule-session "Labour market CoP" 2027-01-12 15:00 for 90m every 2 weeks '
        "tz Europe/Rome link https://meet.example.org/abc",
        '/schedule-session "Housing clinic" tomorrow 15:00 for 1h capacity 12',
    ),
    role=Role.FACILITATOR,
    details=(
        "WHEN is an ISO date and time or a phrase: "
        + WHEN_EXAMPLES
        + ". Without `tz` your profile's time zone is used, else the community's, else UTC."
    ),
    parse="raw",
)
def schedule_session(ctx: Ctx, args: Args) -> Reply:
    text = args.text.strip()
    if not text.startswith(_OPENING_QUOTES):
        raise UsageError("Put the session's title in quotes, then say when.")
    words = split_words(text)
    if len(words) < 2:
        raise UsageError("Say when the session is, after its title.")
    title = " ".join(words[0].split())
    if not 0 < len(title) <= MAX_TITLE:
        raise UsageError(f"The title must be 1 to {MAX_TITLE} characters.")
    when, parts = _segments(words[1:])
    zone_name = _one(parts, "tz", "one time zone, e.g. `tz Europe/Rome`")
    if zone_name is not None:
        zone, source = zone_named(zone_name), "given"
    else:
        zone, source = S.viewer_zone(ctx.member, ctx.community)
        source = {"your profile": "your profile's", "the community": "the community's"}.get(
            source, "the default"
        )
    wall = parse_when(" ".join(when), ctx.now, zone)
    rule = parse_recurrence(parts["every"]) if "every" in parts else None
    first_note = None
    if rule is not None:
        first = first_on_or_after(rule, wall)
        if first is None:
            raise UsageError("That repetition never happens.")
        if first != wall:
            first_note = f"The series starts on its first matching day, {first:%a %d %b %Y}."
        wall = first
    placed = localize(wall, zone)
    if placed.at <= ctx.now:
        raise UsageError(
            f"{S.fmt_local(placed.at, zone)} is in the past; sessions are scheduled ahead."
        )
    duration = parse_duration(" ".join(parts["for"])) if "for" in parts else 60
    link = _one(parts, "link", "one web address")
    if link is not None and not _URL.fullmatch(link):
        raise UsageError(f"{link[:60]!r} is not a web link; give one starting with https://.")
    capacity = None
    if (cap := _one(parts, "capacity", "a number of places")) is not None:
        capacity = parse_int(cap, 1, MAX_CAPACITY)
        if capacity is None:
            raise UsageError(f"Capacity is a number of places from 1 to {MAX_CAPACITY}.")
    row = Meeting(
        community_id=ctx.community_id,
        channel_id=ctx.invocation.conversation.channel_id,
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
    )
    ctx.session.add(row)
    ctx.session.flush()
    assert row.id is not None
    upcoming = S.occurrences(row, [], ctx.now, ctx.now + timedelta(days=400))[:4]
    blocks: list[Block] = [
        Header(f"Session #{row.id}: {title}"),
        Fields(_fields(row, zone)),
        Context(spans(f"Time zone: {zone.key} ({source})." if source != "given" else "")),
    ]
    for note in (placed.note, first_note):
        if note:
            blocks.append(Context(spans(note)))
    if rule:
        blocks.append(
            Text.of("Next: " + "; ".join(S.fmt_local(o.start, zone) for o in upcoming) + ".")
        )
    blocks.append(_answer_buttons(row.id))
    return reply(
        *blocks,
        visibility="channel",
        data={"session": S.meeting_json(row), "notes": [n for n in (placed.note,) if n]},
    )


def _fields(s: Meeting, zone: ZoneInfo) -> tuple[tuple[str, Spans], ...]:
    pairs: list[tuple[str, Spans]] = [
        ("When", spans(S.fmt_local(s.starts_at, zone, with_utc=True))),
        ("Duration", spans(f"{s.duration_minutes} minutes")),
    ]
    if s.rrule:
        pairs.append(("Repeats", spans(_rule_text(s.rrule), f" ({s.timezone} time)")))
    if s.link:
        pairs.append(("Link", spans(Link(s.link))))
    if s.capacity:
        pairs.append(("Places", spans(str(s.capacity))))
    return tuple(pairs)


def _rule_text(rule: str) -> str:
    parts = dict(p.split("=", 1) for p in rule.split(";") if "=" in p)
    n = int(parts.get("INTERVAL", "1"))
    unit = {"DAILY": "day", "WEEKLY": "week", "MONTHLY": "month"}.get(parts.get("FREQ", ""), "")
    text = f"every {n} {unit}s" if n > 1 else f"every {unit}"
    if "BYDAY" in parts and unit == "month":
        m = re.fullmatch(r"([+-]?\d)([A-Z]{2})", parts["BYDAY"])
        if m:
            which = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}
            day = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
            text += f" on the {which.get(int(m.group(1)), m.group(1))} "
            text += day[("MO", "TU", "WE", "TH", "FR", "SA", "SU").index(m.group(2))]
    return text


def _answer_buttons(session_id: int) -> Actions:
    return Actions(
        (
            Button("Yes", f"/rsvp {session_id} yes", "primary"),
            Button("Maybe", f"/rsvp {session_id} maybe"),
            Button("No", f"/rsvp {session_id} no"),
            Button("Withdraw", f"/rsvp {session_id} withdraw"),
        )
    )


# ---- listing -----------------------------------------------------------------------------------


@command(
    "sessions",
    summary="Upcoming sessions of this channel (or all), in your time zone; the calendar feed.",
    syntax=("[all]", "feed", "feed reset"),
    examples=("/sessions", "/sessions all", "/sessions feed"),
)
def sessions_command(ctx: Ctx, args: Args) -> Reply:
    first = (args.word(0) or "").lower()
    if first == "feed":
        return _feed(ctx, reset=(args.word(1) or "").lower() == "reset")
    if first not in {"", "all"}:
        raise UsageError(f"I don't know `/sessions {first[:30]}`: use all or feed.")
    channel = ctx.invocation.conversation.channel_id
    query = select(Meeting).where(
        Meeting.community_id == ctx.community_id, Meeting.status == S.SCHEDULED
    )
    if first != "all":
        query = query.where(Meeting.channel_id == channel)
    found = ctx.session.exec(query.order_by(col(Meeting.id))).all()
    changes = S.changes_for(ctx.session, [s.id for s in found if s.id is not None])
    end = ctx.now + timedelta(days=LIST_DAYS)
    occs = sorted(
        (o for s in found for o in S.occurrences(s, changes[s.id or 0], ctx.now, end)),
        key=lambda o: (o.start, o.meeting_id),
    )
    zone, source = S.viewer_zone(ctx.member, ctx.community)
    tally = S.counts_for(ctx.session, [(o.meeting_id, o.key) for o in occs])
    where = "in this community" if first == "all" else "in this channel"
    blocks: list[Block] = [Header(f"Sessions in the next {LIST_DAYS} days {where}")]
    items = []
    for o in occs:
        c = tally[(o.meeting_id, o.key)]
        places = f" of {o.meeting.capacity}" if o.meeting.capacity else ""
        waiting = f", {c['waiting']} waiting" if c["waiting"] else ""
        blocks.append(
            Item(
                title=spans(f"#{o.meeting_id} ", o.meeting.title),
                body=spans(S.fmt_local(o.start, zone) + (" (moved)" if o.moved else "")),
                meta=spans(f"{c['yes']}{places} yes, {c['maybe']} maybe{waiting}"),
            )
        )
        items.append(
            {
                "id": o.meeting_id,
                "title": o.meeting.title,
                "starts_at": S.iso_utc(o.start),
                "local_start": o.start.astimezone(zone).isoformat(),
                "channel": o.meeting.channel_id,
                "capacity": o.meeting.capacity,
                "rsvp": c,
            }
        )
    if not occs:
        blocks.append(Text.of("No sessions are planned yet."))
    del blocks[LIST_LIMIT + 1 :]
    more = len(occs) - LIST_LIMIT
    blocks.append(
        Context(
            spans(
                f"Times in {zone.key} ({source}). "
                + (f"{more} more not shown. " if more > 0 else "")
                + "Answer with ",
                Code("/rsvp ID yes"),
                "; details with ",
                Code("/session ID"),
                ".",
            )
        )
    )
    return reply(*blocks, data={"timezone": zone.key, "sessions": items})


def _feed(ctx: Ctx, *, reset: bool) -> Reply:
    channel = ctx.invocation.conversation.channel_id
    feed = ctx.session.exec(
        select(CalendarFeed).where(
            CalendarFeed.community_id == ctx.community_id, CalendarFeed.channel_id == channel
        )
    ).first()
    if reset:
        ctx.require(Role.FACILITATOR, "reset a channel's calendar feed")
    if feed is None:
        feed = CalendarFeed(
            community_id=ctx.community_id,
            channel_id=channel,
            token=calendar.new_token(),
            created_at=ctx.now,
        )
    elif reset:
        feed.token, feed.created_at = calendar.new_token(), ctx.now
    ctx.session.add(feed)
    ctx.session.flush()
    path = calendar.feed_path(feed.token)
    base = (ctx.settings.public_url or "").rstrip("/")
    url = f"{base}{path}" if base else path
    webcal = re.sub(r"^https?://", "webcal://", url) if base else url
    return reply(
        Header("Calendar feed for this channel" + (" (new address)" if reset else "")),
        Text.of("Subscribe in your calendar app: ", Code(webcal)),
        Context(
            spans(
                "Keep it private: anyone with the address sees this channel's sessions. "
                + ("The old address no longer works. " if reset else "")
                + (
                    ""
                    if base
                    else "This is only the end of the address: the bot has no public web "
                    "address yet. Ask an admin to set COP_BOT_PUBLIC_URL, then run this again. "
                )
                + "Replace it with ",
                Code("/sessions feed reset"),
                ".",
            )
        ),
        data={"feed": {"path": path, "url": webcal if base else None, "channel": channel}},
    )


# ---- answering ---------------------------------------------------------------------------------


def _occurrence(ctx: Ctx, s: Meeting, day: str | None) -> S.Occurrence:
    changes = S.changes_for(ctx.session, [s.id or 0])[s.id or 0]
    if s.status == S.CANCELLED:
        raise CommandError(f"Session #{s.id} is cancelled.")
    if day is not None:
        occ = S.occurrence_on(s, changes, day, _zone(ctx), ctx.now)
        if occ is None:
            raise CommandError(f"Session #{s.id} has no occurrence on {day}.")
        return occ
    occ = S.next_occurrence(s, changes, ctx.now)
    if occ is None:
        raise CommandError(f"Session #{s.id} is over.")
    return occ


def _date_option(value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise UsageError("Give the occurrence's date as `date:YYYY-MM-DD`.")
    return value


def _promoted_notices(ctx: Ctx, occ: S.Occurrence, rows: list[MeetingRsvp]) -> list[Notice]:
    out = []
    for r in rows:
        member = ctx.session.get(Member, r.member_id) if r.member_id else None
        if member is None:
            continue
        zone = S.viewer_zone(member, ctx.community)[0]
        out.append(
            Notice(
                to=mention_of(member),
                blocks=(
                    Text.of(
                        f"A place opened up: you are now attending #{occ.meeting_id} ",
                        occ.meeting.title,
                        f" on {S.fmt_local(occ.start, zone)}.",
                    ),
                    Context(spans("Can't make it? ", Code(f"/rsvp {occ.meeting_id} no"))),
                ),
            )
        )
    return out


WITHDRAW = ("withdraw", "cancel", "none")


@command(
    "rsvp",
    summary="Answer yes, no or maybe for a session, or withdraw (next occurrence, or date:YYYY-MM-DD).",
    syntax=(
        "ID yes|no|maybe|withdraw [date:YYYY-MM-DD]",
        "ID withdraw [yes|no|maybe] [date:YYYY-MM-DD]",
    ),
    examples=("/rsvp 1 yes", "/rsvp 1 maybe date:2027-01-26", "/rsvp 1 withdraw date:2027-01-26"),
    options=("date",),
    details=(
        "`withdraw` (or `cancel`, `none`) removes your answer; a place it frees goes to the "
        "first member on the waiting list. `withdraw yes` removes it only if it is still yes "
        "(removing a ✅ reaction on Matrix does this)."
    ),
)
def rsvp(ctx: Ctx, args: Args) -> Reply:
    value = (args.word(1) or "").lower()
    if value in WITHDRAW:
        return _withdraw(ctx, args)
    if len(args.words) != 2:
        raise UsageError("Give the session's number and yes, no, maybe or withdraw.")
    s = _get(ctx, args.word(0), "/rsvp 3 yes")
    if value not in S.ANSWERS:
        raise UsageError(f"Answer yes, no, maybe or withdraw, not {value[:20]!r}.")
    occ = _occurrence(ctx, s, _date_option(args.options.get("date")))
    if occ.start <= ctx.now and value != "no":
        raise CommandError(f"Session #{s.id} has already started.")
    done = S.answer(ctx.session, occ, ctx.member, value, now=ctx.now)
    zone = _zone(ctx)
    if done.row.waitlisted:
        message = "The session is full: you are on the waiting list and will move up automatically when a place frees."
    else:
        message = {"yes": "See you there.", "maybe": "Noted as maybe.", "no": "Noted: not coming."}[
            value
        ]
    c = S.counts(S.answers(ctx.session, occ.meeting_id, occ.key))
    return reply(
        Text.of(f"#{s.id} ", s.title, f", {S.fmt_local(occ.start, zone)}: {message}"),
        Context(spans(f"{c['yes']} yes, {c['maybe']} maybe, {c['waiting']} waiting.")),
        notices=_promoted_notices(ctx, occ, done.promoted),
        data={
            "rsvp": {
                "session": s.id,
                "occurrence": S.iso_utc(occ.key),
                "starts_at": S.iso_utc(occ.start),
                "answer": value,
                "waitlisted": done.row.waitlisted,
                "previous": done.previous,
            },
            "counts": c,
        },
    )


def _withdraw(ctx: Ctx, args: Args) -> Reply:
    if len(args.words) > 3:
        raise UsageError("Give the session's number, withdraw, and at most yes, no or maybe.")
    only = (args.word(2) or "").lower() or None
    if only is not None and only not in S.ANSWERS:
        raise UsageError(f"After withdraw give yes, no or maybe (or nothing), not {only[:20]!r}.")
    s = _get(ctx, args.word(0), "/rsvp 3 withdraw")
    occ = _occurrence(ctx, s, _date_option(args.options.get("date")))
    done = S.withdraw(ctx.session, occ, ctx.member, only=only)
    shown = "yes (waiting list)" if done.previous == "waiting" else done.previous
    if done.removed:
        message = f"Your answer ({shown}) is withdrawn."
    elif done.previous is None:
        message = "You had not answered, so there is nothing to withdraw."
    else:
        message = f"Your answer is {shown}, not {only}, so it stays."
    c = S.counts(S.answers(ctx.session, occ.meeting_id, occ.key))
    return reply(
        Text.of(f"#{s.id} ", s.title, f", {S.fmt_local(occ.start, _zone(ctx))}: {message}"),
        Context(spans(f"{c['yes']} yes, {c['maybe']} maybe, {c['waiting']} waiting.")),
        notices=_promoted_notices(ctx, occ, done.promoted),
        data={
            "rsvp": {
                "session": s.id,
                "occurrence": S.iso_utc(occ.key),
                "starts_at": S.iso_utc(occ.start),
                "answer": None if done.removed or shown is None else shown.split()[0],
                "withdrawn": done.previous if done.removed else None,
                "previous": done.previous,
            },
            "counts": c,
        },
    )


@command(
    "agenda",
    summary="See or add agenda items for a session's next occurrence.",
    syntax=("ID", "ID add TEXT"),
    examples=("/agenda 1 add Results of the mentoring pilot", "/agenda 1"),
    parse="raw",
)
def agenda(ctx: Ctx, args: Args) -> Reply:
    first, _, rest = args.text.partition(" ")
    s = _get(ctx, first, "/agenda 3 add Budget questions")
    action, _, item = rest.strip().partition(" ")
    occ = _occurrence(ctx, s, None)
    if action.lower() == "add":
        item = " ".join(item.split())
        if not 0 < len(item) <= MAX_AGENDA:
            raise UsageError(f"Write the agenda item (1 to {MAX_AGENDA} characters) after `add`.")
        ctx.session.add(
            MeetingAgendaItem(
                session_id=occ.meeting_id,
                occurrence_start=occ.key,
                author_id=ctx.member.id,
                text=item,
                created_at=ctx.now,
            )
        )
        ctx.session.flush()
    elif action:
        raise UsageError(f"I don't know `/agenda ID {action[:20]}`: use add.")
    rows = ctx.session.exec(
        select(MeetingAgendaItem, Member)
        .join(Member, col(Member.id) == col(MeetingAgendaItem.author_id), isouter=True)
        .where(
            MeetingAgendaItem.session_id == occ.meeting_id,
            MeetingAgendaItem.occurrence_start == occ.key,
        )
        .order_by(col(MeetingAgendaItem.id))
    ).all()
    blocks: list[Block] = [
        Header(f"Agenda of #{s.id} {s.title}, {S.fmt_local(occ.start, _zone(ctx))}")
    ]
    for i, (row, author) in enumerate(rows, 1):
        who = mention_of(author) if author is not None else "a former member"
        blocks.append(Item(title=spans(f"{i}. ", row.text), meta=spans("added by ", who)))
    if not rows:
        blocks.append(Text.of("Nothing on the agenda yet."))
    blocks.append(Context(spans("Add an item with ", Code(f"/agenda {s.id} add TEXT"), ".")))
    return reply(
        *blocks,
        data={
            "agenda": {
                "session": s.id,
                "occurrence": S.iso_utc(occ.key),
                "items": [
                    {"text": r.text, "by": a.handle if a else None, "at": S.iso_utc(r.created_at)}
                    for r, a in rows
                ],
            }
        },
    )


# ---- one session: show, ics, cancel, move ------------------------------------------------------


@command(
    "session",
    summary="Show a session with its attendees; get its .ics; facilitators cancel or move it.",
    syntax=(
        "ID",
        "ID ics",
        "cancel ID [occurrence|series] [date:YYYY-MM-DD] [REASON]",
        "move ID [occurrence|series] [date:YYYY-MM-DD] WHEN",
    ),
    examples=(
        "/session 1",
        "/session 1 ics",
        "/session move 2 in 3 days at 10:00",
        "/session cancel 1 occurrence date:2027-01-26 Public holiday",
        "/session cancel 2 The speaker is ill",
    ),
    parse="raw",
)
def session_command(ctx: Ctx, args: Args) -> Reply:
    text = args.text
    day = None
    if m := _DATE_OPT.search(text):
        day = m.group(1)
        text = (text[: m.start()] + " " + text[m.end() :]).strip()
    words = text.split()
    action = (words[0] if words else "").lower()
    if action in {"cancel", "move"}:
        if len(words) < 2:
            raise UsageError(f"Give the number of the session to {action}.")
        s = _get(ctx, words[1], f"/session {action} 3")
        ctx.require(Role.FACILITATOR, f"{action} sessions")
        rest = words[2:]
        scope = None
        if rest and rest[0].lower() in {"occurrence", "series"}:
            scope = rest.pop(0).lower()
        elif rest and rest[-1].lower() in {"occurrence", "series"} and action == "move":
            scope = rest.pop().lower()
        if s.rrule is None:
            scope = "series"
        elif scope is None:
            raise UsageError(
                f"Session #{s.id} repeats: say `occurrence` (the next one, or the one on "
                "date:YYYY-MM-DD) or `series` (all from now on)."
            )
        if s.status == S.CANCELLED:
            raise CommandError(f"Session #{s.id} is already cancelled.")
        if action == "cancel":
            return _cancel(ctx, s, scope, day, " ".join(rest)[:500] or None)
        return _move(ctx, s, scope, day, " ".join(rest))
    s = _get(ctx, words[0] if words else None, "/session 3")
    extra = [w.lower() for w in words[1:]]
    if extra in (["ics"], ["ical"], ["calendar"]):
        return _ics(ctx, s)
    if extra:
        raise UsageError(f"I don't know `/session ID {' '.join(extra)[:30]}`: use ics.")
    return _show(ctx, s, day)


def _show(ctx: Ctx, s: Meeting, day: str | None) -> Reply:
    zone, source = S.viewer_zone(ctx.member, ctx.community)
    blocks: list[Block] = [Header(f"Session #{s.id}: {s.title}"), Fields(_fields(s, zone))]
    data = {"session": S.meeting_json(s), "status": s.status}
    if s.status == S.CANCELLED:
        blocks.append(Text.of("Cancelled" + (f": {s.cancel_reason}" if s.cancel_reason else ".")))
        return reply(*blocks, data=data)
    occ = _occurrence(ctx, s, day)
    rows = S.answers(ctx.session, occ.meeting_id, occ.key)
    members = {
        m.id: m
        for m in ctx.session.exec(
            select(Member).where(col(Member.id).in_([r.member_id for r in rows if r.member_id]))
        ).all()
    }
    groups: dict[str, list[str]] = {"yes": [], "maybe": [], "waiting": [], "no": []}
    shown: dict[str, list[Mention | str]] = {k: [] for k in groups}
    for r in rows:
        key = "waiting" if r.waitlisted else r.answer
        m = members.get(r.member_id) if r.member_id else None
        groups[key].append(m.handle if m else "")
        shown[key].append(mention_of(m) if m else "a former member")
    blocks.append(
        Text.of(
            "Next: " if not day else "On that day: ",
            S.fmt_local(occ.start, zone, with_utc=True),
            " (moved)" if occ.moved else "",
        )
    )
    pairs = []
    for key, label in (("yes", "Going"), ("maybe", "Maybe"), ("waiting", "Waiting list")):
        people = shown[key]
        listed: list[Mention | str] = []
        for i, p in enumerate(people):
            listed.extend([", "] if i else [])
            listed.append(p)
        pairs.append((f"{label} ({len(people)})", spans(*listed) or spans("nobody yet")))
    blocks.append(Fields(tuple(pairs)))
    blocks.append(Context(spans(f"Times in {zone.key} ({source}).")))
    blocks.append(_answer_buttons(occ.meeting_id))
    data |= {
        "occurrence": {
            "key": S.iso_utc(occ.key),
            "starts_at": S.iso_utc(occ.start),
            "attendees": {k: [h for h in v if h] for k, v in groups.items()},
            "counts": S.counts(rows),
        }
    }
    return reply(*blocks, data=data)


def _ics(ctx: Ctx, s: Meeting) -> Reply:
    text = calendar.meeting_ics(ctx.session, s, ctx.community, ctx.now)
    filename = f"session-{s.id}.ics"
    return reply(
        Header(f"Calendar file for #{s.id} {s.title}"),
        Text.of(Code(text)),
        Context(spans(f"Save this as {filename} and open it with your calendar app.")),
        data={"ics": text, "filename": filename, "content_type": "text/calendar"},
    )


def _recipients(ctx: Ctx, s: Meeting, keys: list[datetime]) -> list[Member]:
    if not keys:
        return []
    ids = ctx.session.exec(
        select(MeetingRsvp.member_id).where(
            MeetingRsvp.session_id == s.id,
            col(MeetingRsvp.occurrence_start).in_(keys),
            col(MeetingRsvp.answer).in_(["yes", "maybe"]),
        )
    ).all()
    wanted = sorted({i for i in ids if i is not None and i != ctx.member.id})
    if not wanted:
        return []
    return list(ctx.session.exec(select(Member).where(col(Member.id).in_(wanted))).all())


def _notices(
    ctx: Ctx, members: list[Member], build: Callable[[ZoneInfo], tuple[Block, ...]]
) -> list[Notice]:
    return [
        Notice(to=mention_of(m), blocks=build(S.viewer_zone(m, ctx.community)[0])) for m in members
    ]


def _future_keys(ctx: Ctx, s: Meeting) -> list[S.Occurrence]:
    changes = S.changes_for(ctx.session, [s.id or 0])[s.id or 0]
    return S.occurrences(s, changes, ctx.now, ctx.now + timedelta(days=740))


def _cancel(ctx: Ctx, s: Meeting, scope: str, day: str | None, reason: str | None) -> Reply:
    why = f" Reason: {reason}" if reason else ""
    if scope == "series":
        future = _future_keys(ctx, s)
        keys = [o.key for o in future]
        s.status, s.cancel_reason = S.CANCELLED, reason
        what = "cancelled"
        when_text = future[0].start if future and s.rrule is None else None
    else:
        occ = _occurrence(ctx, s, day)
        keys = [occ.key]
        change = _change_row(ctx, s, occ.key)
        change.cancelled, change.reason, change.changed_at = True, reason, ctx.now
        ctx.session.add(change)
        what, when_text = "cancelled", occ.start
    s.sequence += 1
    s.updated_at = ctx.now
    ctx.session.add(s)
    ctx.session.flush()

    def build(zone: ZoneInfo) -> tuple[Block, ...]:
        on = f" on {S.fmt_local(when_text, zone)}" if when_text else " (all future occurrences)"
        return (Text.of(f"Session #{s.id} ", s.title, f"{on} is {what}.{why}"),)

    notices = _notices(ctx, _recipients(ctx, s, keys), build)
    zone = _zone(ctx)
    return reply(
        *build(zone),
        Context(spans(f"{len(notices)} member(s) who answered yes or maybe were told.")),
        visibility="channel",
        notices=notices,
        data={
            "session": S.meeting_json(s),
            "cancelled": "series" if scope == "series" else S.iso_utc(keys[0]),
            "notified": len(notices),
        },
    )


def _change_row(ctx: Ctx, s: Meeting, key: datetime) -> MeetingChange:
    found = ctx.session.exec(
        select(MeetingChange).where(
            MeetingChange.session_id == s.id, MeetingChange.original_start == key
        )
    ).first()
    return found or MeetingChange(session_id=s.id or 0, original_start=key, changed_at=ctx.now)


def _move(ctx: Ctx, s: Meeting, scope: str, day: str | None, when_text: str) -> Reply:
    zone = S.meeting_zone(s)
    placed = localize(parse_when(when_text, ctx.now, zone), zone)
    if placed.at <= ctx.now:
        raise UsageError(f"{S.fmt_local(placed.at, zone)} is in the past.")
    if scope == "occurrence":
        occ = _occurrence(ctx, s, day)
        old_start, keys = occ.start, [occ.key]
        change = _change_row(ctx, s, occ.key)
        change.new_start, change.changed_at = placed.at, ctx.now
        ctx.session.add(change)
    else:
        before = _future_keys(ctx, s)
        if not before:
            raise CommandError(f"Session #{s.id} has no upcoming occurrence to move.")
        old_start, keys = before[0].start, [o.key for o in before]
        wall = placed.at.astimezone(zone).replace(tzinfo=None)
        if s.rrule:
            first = (
                first_on_or_after(s.rrule, wall)
                if "BYDAY" in s.rrule or "BYMONTHDAY" in s.rrule
                else wall
            )
            if first is None:
                raise UsageError("The series' repetition never happens after that time.")
            placed = localize(first, zone)
        s.starts_at = placed.at
        # per-occurrence changes belonged to the old timing; answers move to the new dates
        for change in S.changes_for(ctx.session, [s.id or 0])[s.id or 0]:
            if change.original_start >= ctx.now:
                ctx.session.delete(change)
        ctx.session.flush()
        after = _future_keys(ctx, s)
        mapping = {o.key: n.key for o, n in zip(before, after, strict=False) if o.key != n.key}
        S.remap_keys(ctx.session, s, mapping, [MeetingRsvp, MeetingAgendaItem])
        keys = [mapping.get(k, k) for k in keys]
    s.sequence += 1
    s.updated_at = ctx.now
    ctx.session.add(s)
    ctx.session.flush()
    new_start = placed.at

    def build(z: ZoneInfo) -> tuple[Block, ...]:
        series = " and the following occurrences" if scope == "series" and s.rrule else ""
        return (
            Text.of(
                f"Session #{s.id} ",
                s.title,
                f" moved from {S.fmt_local(old_start, z)}{series} to {S.fmt_local(new_start, z)}.",
            ),
        )

    notices = _notices(ctx, _recipients(ctx, s, keys), build)
    blocks: list[Block] = [*build(_zone(ctx))]
    if placed.note:
        blocks.append(Context(spans(placed.note)))
    blocks.append(Context(spans(f"{len(notices)} member(s) who answered yes or maybe were told.")))
    return reply(
        *blocks,
        visibility="channel",
        notices=notices,
        data={
            "session": S.meeting_json(s),
            "moved": {"from": S.iso_utc(old_start), "to": S.iso_utc(new_start), "scope": scope},
            "notified": len(notices),
        },
    )
