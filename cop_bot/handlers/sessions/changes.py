"""`/session cancel|move ID [occurrence|series] [date:YYYY-MM-DD] ...` (facilitators): the
rules are `cop_bot.sessions.changes`; this words the replies and tells who answered."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from cop_bot.core.errors import CommandError, UsageError
from cop_bot.core.model import Block, Context, Reply, Role, Text, reply, spans
from cop_bot.core.router import Ctx
from cop_bot.core.wording import plural
from cop_bot.handlers.sessions.common import meeting_named, notices, occurrence_of, viewer_zone
from cop_bot.sessions import changes, meetings
from cop_bot.sessions.when import localize, parse_when
from cop_bot.storage.models import Meeting, Member

SCOPES = {"occurrence", "series"}


def change(ctx: Ctx, action: str, words: list[str], day: str | None) -> Reply:
    """`words` follow `cancel` or `move`: the session's number, maybe a scope, then a reason
    (cancel) or a time (move)."""
    if not words:
        raise UsageError(f"Give the number of the session to {action}.")
    meeting = meeting_named(ctx, words[0], f"/session {action} 3")
    ctx.require(Role.FACILITATOR, f"{action} sessions")
    rest = words[1:]
    scope = None
    if rest and rest[0].lower() in SCOPES:
        scope = rest.pop(0).lower()
    elif rest and rest[-1].lower() in SCOPES and action == "move":
        scope = rest.pop().lower()
    if meeting.rrule is None:
        scope = "series"
    elif scope is None:
        raise UsageError(
            f"Session #{meeting.id} repeats: say `occurrence` (the next one, or the one on "
            "date:YYYY-MM-DD) or `series` (all from now on)."
        )
    if meeting.status == meetings.CANCELLED:
        raise CommandError(f"Session #{meeting.id} is already cancelled.")
    if action == "cancel":
        return _cancel(ctx, meeting, scope, day, " ".join(rest)[:500] or None)
    return _move(ctx, meeting, scope, day, " ".join(rest))


def _cancel(ctx: Ctx, meeting: Meeting, scope: str, day: str | None, reason: str | None) -> Reply:
    why = f" Reason: {reason}" if reason else ""
    if scope == "series":
        keys, when = changes.cancel_series(ctx.session, meeting, reason, ctx.now)
    else:
        occ = occurrence_of(ctx, meeting, day)
        changes.cancel_occurrence(ctx.session, meeting, occ, reason, ctx.now)
        keys, when = [occ.key], occ.start

    def build(zone: ZoneInfo) -> tuple[Block, ...]:
        on = f" on {meetings.fmt_local(when, zone)}" if when else " (all future occurrences)"
        return (Text.of(f"Session #{meeting.id} ", meeting.title, f"{on} is cancelled.{why}"),)

    told = notices(ctx, _recipients(ctx, meeting, keys), build)
    return reply(
        *build(viewer_zone(ctx)),
        Context(spans(told_phrase(len(told)))),
        visibility="channel",
        notices=told,
        data={
            "session": meetings.meeting_json(meeting),
            "cancelled": "series" if scope == "series" else meetings.iso_utc(keys[0]),
            "notified": len(told),
        },
    )


def _move(ctx: Ctx, meeting: Meeting, scope: str, day: str | None, when_text: str) -> Reply:
    zone = meetings.meeting_zone(meeting)
    placed = localize(parse_when(when_text, ctx.now, zone), zone)
    if placed.at <= ctx.now:
        raise UsageError(f"{meetings.fmt_local(placed.at, zone)} is in the past.")
    if scope == "occurrence":
        occ = occurrence_of(ctx, meeting, day)
        moved = changes.move_occurrence(ctx.session, meeting, occ, placed, ctx.now)
    else:
        moved = changes.move_series(ctx.session, meeting, placed, ctx.now)
    old_start, new_start = moved.old_start, moved.placed.at

    def build(z: ZoneInfo) -> tuple[Block, ...]:
        series = " and the following occurrences" if scope == "series" and meeting.rrule else ""
        return (
            Text.of(
                f"Session #{meeting.id} ",
                meeting.title,
                f" moved from {meetings.fmt_local(old_start, z)}{series} "
                f"to {meetings.fmt_local(new_start, z)}.",
            ),
        )

    told = notices(ctx, _recipients(ctx, meeting, moved.keys), build)
    blocks: list[Block] = [*build(viewer_zone(ctx))]
    if moved.placed.note:
        blocks.append(Context(spans(moved.placed.note)))
    blocks.append(Context(spans(told_phrase(len(told)))))
    return reply(
        *blocks,
        visibility="channel",
        notices=told,
        data={
            "session": meetings.meeting_json(meeting),
            "moved": {
                "from": meetings.iso_utc(old_start),
                "to": meetings.iso_utc(new_start),
                "scope": scope,
            },
            "notified": len(told),
        },
    )


def _recipients(ctx: Ctx, meeting: Meeting, keys: list[datetime]) -> list[Member]:
    """Who answered yes or maybe for the changed occurrences, besides the facilitator."""
    return changes.recipients(ctx.session, meeting, keys, besides=ctx.member.id)


def told_phrase(count: int) -> str:
    """How many of the members who answered (besides the facilitator) were sent a direct
    message about the change."""
    if count == 0:
        return "Nobody else had answered yes or maybe, so nobody needed telling."
    return plural(
        count,
        "{count} member who answered yes or maybe was told.",
        "{count} members who answered yes or maybe were told.",
    )
