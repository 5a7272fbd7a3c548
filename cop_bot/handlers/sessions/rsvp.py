"""`/rsvp ID yes|no|maybe|withdraw [date:YYYY-MM-DD]`: answer for a session's occurrence.

Capacity and the waiting list are `cop_bot.sessions.meetings.answer`/`withdraw`; this module
words the reply and the notices to members who moved up from the waiting list.
"""

from __future__ import annotations

from typing import Any

from cop_bot.core import i18n
from cop_bot.core.args import Args
from cop_bot.core.errors import CommandError, UsageError
from cop_bot.core.i18n import N_, _
from cop_bot.core.model import Code, Context, Notice, Reply, Text, reply, spans
from cop_bot.core.router import Ctx, command
from cop_bot.core.times import folded
from cop_bot.core.wording import mention_of, phrase
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
_ANSWERED = {
    "yes": N_("See you there."),
    "maybe": N_("Noted as maybe."),
    "no": N_("Noted: not coming."),
}
_SHOWN = {
    "yes": N_("yes"),
    "maybe": N_("maybe"),
    "no": N_("no"),
    "waiting": N_("yes (waiting list)"),
}
"""How an answer is named in a sentence (`Your answer (yes) is withdrawn.`)."""


@command(
    "rsvp",
    summary=N_(
        "Answer yes, no or maybe for a session, or withdraw (next occurrence, or date:YYYY-MM-DD)."
    ),
    syntax=(
        "ID yes|no|maybe|withdraw [date:YYYY-MM-DD]",
        "ID withdraw [yes|no|maybe] [date:YYYY-MM-DD]",
    ),
    examples=(
        N_("/rsvp 1 yes"),
        N_("/rsvp 1 maybe date:2027-01-26"),
        N_("/rsvp 1 withdraw date:2027-01-26"),
    ),
    options=("date",),
    details=N_(
        "`withdraw` (or `cancel`, `none`) removes your answer; a place it frees goes to the "
        "first member on the waiting list. `withdraw yes` removes it only if it is still yes "
        "(removing a ✅ reaction on Matrix does this). The answer may be written in any of the "
        "bot's languages: yes (`oui`, `sí`, `sì`, `ja`, `نعم`, `ναι`), maybe (`peut-être`, "
        "`quizás`, `forse`, `vielleicht`, `ربما`, `ίσως`), no (`non`, `nein`, `لا`, `όχι`), "
        "with or without accents."
    ),
)
def rsvp(ctx: Ctx, args: Args) -> Reply:
    value = answer_word(args.word(1) or "")
    if value in WITHDRAW:
        return _withdraw(ctx, args)
    if len(args.words) != 2:
        raise UsageError(_("Give the session's number and yes, no, maybe or withdraw."))
    meeting = meeting_named(ctx, args.word(0), _("/rsvp 3 yes"))
    if value not in meetings.ANSWERS:
        raise UsageError(
            _("Answer yes, no, maybe or withdraw, not {answer}.").format(answer=repr(value[:20]))
        )
    occ = occurrence_of(ctx, meeting, date_option(args.options.get("date")))
    if occ.start <= ctx.now and value != "no":
        raise CommandError(_("Session #{id} has already started.").format(id=meeting.id))
    done = meetings.answer(ctx.session, occ, ctx.member, value, now=ctx.now)
    if done.row.waitlisted:
        message = _(
            "The session is full: you are on the waiting list and will move up automatically "
            "when a place frees."
        )
    else:
        message = _(_ANSWERED[value])
    answered = {"answer": value, "waitlisted": done.row.waitlisted, "previous": done.previous}
    return _answered(ctx, meeting, occ, message, done.promoted, answered)


def _withdraw(ctx: Ctx, args: Args) -> Reply:
    if len(args.words) > 3:
        raise UsageError(_("Give the session's number, withdraw, and at most yes, no or maybe."))
    only = answer_word(args.word(2) or "") or None
    if only is not None and only not in meetings.ANSWERS:
        raise UsageError(
            _("After withdraw give yes, no or maybe (or nothing), not {answer}.").format(
                answer=repr(only[:20])
            )
        )
    meeting = meeting_named(ctx, args.word(0), _("/rsvp 3 withdraw"))
    occ = occurrence_of(ctx, meeting, date_option(args.options.get("date")))
    done = meetings.withdraw(ctx.session, occ, ctx.member, only=only)
    shown = _(_SHOWN[done.previous]) if done.previous in _SHOWN else done.previous
    if done.removed:
        message = _("Your answer ({answer}) is withdrawn.").format(answer=shown)
    elif done.previous is None:
        message = _("You had not answered, so there is nothing to withdraw.")
    else:
        only_shown = _(_SHOWN[only]) if only in _SHOWN else only
        message = _("Your answer is {answer}, not {only}, so it stays.").format(
            answer=shown, only=only_shown
        )
    kept = "yes" if done.previous == "waiting" else done.previous
    withdrawn = {
        "answer": None if done.removed else kept,
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
    counted = _("{yes} yes, {maybe} maybe, {waiting} waiting.").format(
        yes=i18n.number(c["yes"]), maybe=i18n.number(c["maybe"]), waiting=i18n.number(c["waiting"])
    )
    said = phrase(
        _("#{id} {title}, {when}: {message}"),
        id=str(meeting.id),
        title=meeting.title,
        when=when,
        message=message,
    )
    return reply(
        Text.of(*said),
        Context(spans(counted)),
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
        with ctx.writing_to(member):
            opened = phrase(
                _("A place opened up: you are now attending #{id} {title} on {when}."),
                id=str(occ.meeting_id),
                title=occ.meeting.title,
                when=meetings.fmt_local(occ.start, zone),
            )
            cannot = phrase(
                _("Can't make it? {command}"), command=Code(f"/rsvp {occ.meeting_id} no")
            )
            out.append(Notice(to=mention_of(member), blocks=(Text.of(*opened), Context(cannot))))
    return out


_ANSWER_WORDS = {
    "yes": ("yes", "oui", "si", "ja", "نعم", "ναι"),
    "maybe": ("maybe", "peut-etre", "peutetre", "quizas", "quiza", "forse", "vielleicht"),
    "no": ("no", "non", "nein", "لا", "οχι"),
}
_ANSWER_WORDS["maybe"] += ("ربما", "ισως")
_ANSWER_OF = {word: answer for answer, words in _ANSWER_WORDS.items() for word in words}


def answer_word(typed: str) -> str:
    """`yes`, `Oui`, `sí`, `sì`, `JA`, `نعم`, `ναι` -> `yes` (and maybe, no likewise), with or
    without accents; any other word lower-cased, as typed (`withdraw`, a wrong answer)."""
    lowered = typed.strip().lower()
    return _ANSWER_OF.get(folded(lowered).replace("’", "'"), lowered)
