"""`/session cancel|move ID [occurrence|series] [date:YYYY-MM-DD] ...` (facilitators): the
rules are `cop_bot.sessions.changes`; this words the replies and tells who answered."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from cop_bot.core.errors import CommandError, UsageError
from cop_bot.core.i18n import _, n_
from cop_bot.core.model import Block, Context, Reply, Role, Text, reply, spans
from cop_bot.core.router import Ctx
from cop_bot.core.wording import phrase
from cop_bot.groups import rules as groups
from cop_bot.handlers.sessions.common import meeting_named, notices, occurrence_of, viewer_zone
from cop_bot.sessions import changes, meetings, places
from cop_bot.sessions.when import Placed, localize, parse_when, wall_to_utc
from cop_bot.storage.models import Meeting, Member

SCOPES = {"occurrence", "series"}


def change(ctx: Ctx, action: str, words: list[str], day: str | None) -> Reply:
    """`words` follow `cancel` or `move`: the session's number, maybe a scope, then a reason
    (cancel) or a time (move)."""
    if not words:
        raise UsageError(
            _("Give the number of the session to cancel.")
            if action == "cancel"
            else _("Give the number of the session to move.")
        )
    meeting = meeting_named(ctx, words[0], f"/session {action} 3")
    if not groups.is_focal_of_group_id(ctx.session, meeting.group_id, ctx.member):
        # A group's focal points move and cancel their group's sessions (issue 18).
        ctx.require(
            Role.FACILITATOR, _("cancel sessions") if action == "cancel" else _("move sessions")
        )
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
            _(
                "Session #{id} repeats: say `occurrence` (the next one, or the one on "
                "date:YYYY-MM-DD) or `series` (all from now on)."
            ).format(id=meeting.id)
        )
    if meeting.status == meetings.CANCELLED:
        raise CommandError(_("Session #{id} is already cancelled.").format(id=meeting.id))
    if action == "cancel":
        return _cancel(ctx, meeting, scope, day, " ".join(rest)[:500] or None)
    return _move(ctx, meeting, scope, day, " ".join(rest))


def _cancel(ctx: Ctx, meeting: Meeting, scope: str, day: str | None, reason: str | None) -> Reply:
    if scope == "series":
        keys, when = changes.cancel_series(ctx.session, meeting, reason, ctx.now)
    else:
        occ = occurrence_of(ctx, meeting, day)
        changes.cancel_occurrence(ctx.session, meeting, occ, reason, ctx.now)
        keys, when = [occ.key], occ.start

    def build(zone: ZoneInfo) -> tuple[Block, ...]:
        """In the active language: the viewer's, or (in `notices`) each recipient's."""
        if when:
            said = _("Session #{id} {title} on {when} is cancelled.")
        else:
            said = _("Session #{id} {title} (all future occurrences) is cancelled.")
        parts = phrase(said, id=str(meeting.id), title=meeting.title, when=_when(when, zone))
        if reason:
            parts += phrase(_(" Reason: {reason}"), reason=reason)
        return (Text.of(*parts),)

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
    if meeting.all_day:  # an all-day session moves to another day: its start is a midnight
        wall, whole_days = places.start_wall(ctx.now, when_text, zone, meeting.days)
        if not whole_days:
            raise UsageError(
                _("Session #{id} lasts whole days: give only the day, e.g. `2027-04-03`.").format(
                    id=meeting.id
                )
            )
        placed = Placed(wall_to_utc(wall, zone), zone)
    else:
        placed = localize(parse_when(when_text, ctx.now, zone), zone)
    if placed.at <= ctx.now:
        raise UsageError(
            _("{when} is in the past.").format(when=meetings.fmt_local(placed.at, zone))
        )
    if scope == "occurrence":
        occ = occurrence_of(ctx, meeting, day)
        moved = changes.move_occurrence(ctx.session, meeting, occ, placed, ctx.now)
    else:
        moved = changes.move_series(ctx.session, meeting, placed, ctx.now)
    old_start, new_start = moved.old_start, moved.placed.at

    def build(z: ZoneInfo) -> tuple[Block, ...]:
        """In the active language: the viewer's, or (in `notices`) each recipient's."""
        if scope == "series" and meeting.rrule:
            said = _(
                "Session #{id} {title} moved from {old} and the following occurrences to {new}."
            )
        else:
            said = _("Session #{id} {title} moved from {old} to {new}.")
        old, new = meetings.fmt_local(old_start, z), meetings.fmt_local(new_start, z)
        return (Text.of(*phrase(said, id=str(meeting.id), title=meeting.title, old=old, new=new)),)

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
        return _("Nobody else had answered yes or maybe, so nobody needed telling.")
    return n_(
        count,
        "{count} member who answered yes or maybe was told.",
        "{count} members who answered yes or maybe were told.",
    )


def _when(at: datetime | None, zone: ZoneInfo) -> str:
    return meetings.fmt_local(at, zone) if at is not None else ""
