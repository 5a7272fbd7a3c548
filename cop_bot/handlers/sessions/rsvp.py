"""`/rsvp ID yes|no|maybe|withdraw [date:YYYY-MM-DD]`: answer for a session's occurrence.

Capacity and the waiting list are `cop_bot.sessions.meetings.answer`/`withdraw`; this module
words the reply and the notices to members who moved up from the waiting list.
"""

from __future__ import annotations

from typing import Any

from cop_bot.core.args import Args
from cop_bot.core.errors import CommandError, UsageError
from cop_bot.core.model import Code, Context, Notice, Reply, Text, reply, spans
from cop_bot.core.router import Ctx, command
from cop_bot.core.wording import mention_of
from cop_bot.handlers.sessions.common import (
    date_option,
    meeting_named,
    occurrence_of,
    viewer_zone,
)
from cop_bot.sessions import meetings
from cop_bot.sessions.meetings import Occurrence
from cop_bot.storage.models import Meeting, MeetingRsvp, Member

WITHDRAW = ("withdraw", "cancel", "none")
_ANSWERED = {"yes": "See you there.", "maybe": "Noted as maybe.", "no": "Noted: not coming."}


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
    meeting = meeting_named(ctx, args.word(0), "/rsvp 3 yes")
    if value not in meetings.ANSWERS:
        raise UsageError(f"Answer yes, no, maybe or withdraw, not {value[:20]!r}.")
    occ = occurrence_of(ctx, meeting, date_option(args.options.get("date")))
    if occ.start <= ctx.now and value != "no":
        raise CommandError(f"Session #{meeting.id} has already started.")
    done = meetings.answer(ctx.session, occ, ctx.member, value, now=ctx.now)
    if done.row.waitlisted:
        message = "The session is full: you are on the waiting list and will move up automatically when a place frees."
    else:
        message = _ANSWERED[value]
    answered = {"answer": value, "waitlisted": done.row.waitlisted, "previous": done.previous}
    return _answered(ctx, meeting, occ, message, done.promoted, answered)


def _withdraw(ctx: Ctx, args: Args) -> Reply:
    if len(args.words) > 3:
        raise UsageError("Give the session's number, withdraw, and at most yes, no or maybe.")
    only = (args.word(2) or "").lower() or None
    if only is not None and only not in meetings.ANSWERS:
        raise UsageError(f"After withdraw give yes, no or maybe (or nothing), not {only[:20]!r}.")
    meeting = meeting_named(ctx, args.word(0), "/rsvp 3 withdraw")
    occ = occurrence_of(ctx, meeting, date_option(args.options.get("date")))
    done = meetings.withdraw(ctx.session, occ, ctx.member, only=only)
    shown = "yes (waiting list)" if done.previous == "waiting" else done.previous
    if done.removed:
        message = f"Your answer ({shown}) is withdrawn."
    elif done.previous is None:
        message = "You had not answered, so there is nothing to withdraw."
    else:
        message = f"Your answer is {shown}, not {only}, so it stays."
    withdrawn = {
        "answer": None if done.removed or shown is None else shown.split()[0],
        "withdrawn": done.previous if done.removed else None,
        "previous": done.previous,
    }
    return _answered(ctx, meeting, occ, message, done.promoted, withdrawn)


def _answered(
    ctx: Ctx,
    meeting: Meeting,
    occ: Occurrence,
    message: str,
    promoted: list[MeetingRsvp],
    answer: dict[str, Any],
) -> Reply:
    """The reply to an answer or a withdrawal: the occurrence, the counts, and notices to
    whoever moved up from the waiting list."""
    c = meetings.counts(meetings.answers(ctx.session, occ.meeting_id, occ.key))
    when = meetings.fmt_local(occ.start, viewer_zone(ctx))
    return reply(
        Text.of(f"#{meeting.id} ", meeting.title, f", {when}: {message}"),
        Context(spans(f"{c['yes']} yes, {c['maybe']} maybe, {c['waiting']} waiting.")),
        notices=_promoted_notices(ctx, occ, promoted),
        data={
            "rsvp": {
                "session": meeting.id,
                "occurrence": meetings.iso_utc(occ.key),
                "starts_at": meetings.iso_utc(occ.start),
                **answer,
            },
            "counts": c,
        },
    )


def _promoted_notices(ctx: Ctx, occ: Occurrence, rows: list[MeetingRsvp]) -> list[Notice]:
    out = []
    for r in rows:
        member = ctx.session.get(Member, r.member_id) if r.member_id else None
        if member is None:
            continue
        zone = meetings.viewer_zone(member, ctx.community)[0]
        out.append(
            Notice(
                to=mention_of(member),
                blocks=(
                    Text.of(
                        f"A place opened up: you are now attending #{occ.meeting_id} ",
                        occ.meeting.title,
                        f" on {meetings.fmt_local(occ.start, zone)}.",
                    ),
                    Context(spans("Can't make it? ", Code(f"/rsvp {occ.meeting_id} no"))),
                ),
            )
        )
    return out
