"""What the session commands share: finding a session and its occurrence, the viewer's zone,
the fields and answer buttons of a session, and notices to the members who answered."""

from __future__ import annotations

import re
from collections.abc import Callable
from zoneinfo import ZoneInfo

from cop_bot.core.args import parse_id
from cop_bot.core.errors import CommandError, UsageError
from cop_bot.core.model import Actions, Block, Button, Link, Notice, Spans, spans
from cop_bot.core.router import Ctx
from cop_bot.core.wording import mention_of
from cop_bot.sessions import meetings
from cop_bot.sessions.meetings import Occurrence
from cop_bot.storage.models import Meeting, Member


def viewer_zone(ctx: Ctx) -> ZoneInfo:
    return meetings.viewer_zone(ctx.member, ctx.community)[0]


def meeting_named(ctx: Ctx, text: str | None, example: str) -> Meeting:
    """The community's session numbered `text`, else a helpful error."""
    number = parse_id(text, "session", example)
    found = ctx.session.get(Meeting, number)
    if found is None or found.community_id != ctx.community_id:
        raise CommandError(f"There is no session #{number}.", hint="See `/sessions all`.")
    return found


def occurrence_of(ctx: Ctx, meeting: Meeting, day: str | None) -> Occurrence:
    """The occurrence on `day` (in the viewer's zone), else the next one."""
    changes = meetings.changes_for(ctx.session, [meeting.id or 0])[meeting.id or 0]
    if meeting.status == meetings.CANCELLED:
        raise CommandError(f"Session #{meeting.id} is cancelled.")
    if day is not None:
        occ = meetings.occurrence_on(meeting, changes, day, viewer_zone(ctx), ctx.now)
        if occ is None:
            raise CommandError(f"Session #{meeting.id} has no occurrence on {day}.")
        return occ
    occ = meetings.next_occurrence(meeting, changes, ctx.now)
    if occ is None:
        raise CommandError(f"Session #{meeting.id} is over.")
    return occ


def date_option(value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise UsageError("Give the occurrence's date as `date:YYYY-MM-DD`.")
    return value


def fields(
    meeting: Meeting, zone: ZoneInfo, occurrence: Occurrence | None = None
) -> tuple[tuple[str, Spans], ...]:
    """A session's facts. A one-off session has one time, "When" (its occurrence's, when
    given); a series shows its "First" occurrence here and the one asked about elsewhere."""
    if meeting.rrule:
        when = ("First", spans(meetings.fmt_local(meeting.starts_at, zone, with_utc=True)))
    else:
        start = occurrence.start if occurrence is not None else meeting.starts_at
        moved = " (moved)" if occurrence is not None and occurrence.moved else ""
        when = ("When", spans(meetings.fmt_local(start, zone, with_utc=True), moved))
    pairs: list[tuple[str, Spans]] = [
        when,
        ("Duration", spans(f"{meeting.duration_minutes} minutes")),
    ]
    if meeting.rrule:
        pairs.append(("Repeats", spans(rule_text(meeting.rrule), f" ({meeting.timezone} time)")))
    if meeting.link:
        pairs.append(("Link", spans(Link(meeting.link))))
    if meeting.capacity:
        pairs.append(("Places", spans(str(meeting.capacity))))
    return tuple(pairs)


def rule_text(rule: str) -> str:
    """An RRULE the way a member would say it: `every 2 weeks`, `every month on the first
    Tuesday`."""
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


def answer_buttons(meeting_id: int) -> Actions:
    return Actions(
        (
            Button("Yes", f"/rsvp {meeting_id} yes", "primary"),
            Button("Maybe", f"/rsvp {meeting_id} maybe"),
            Button("No", f"/rsvp {meeting_id} no"),
            Button("Withdraw", f"/rsvp {meeting_id} withdraw"),
        )
    )


def notices(
    ctx: Ctx, members: list[Member], build: Callable[[ZoneInfo], tuple[Block, ...]]
) -> list[Notice]:
    """One notice per member, built in their own zone."""
    return [
        Notice(to=mention_of(m), blocks=build(meetings.viewer_zone(m, ctx.community)[0]))
        for m in members
    ]
